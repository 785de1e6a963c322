"""prev_*_success and data intervals of manual runs of a `timedelta(hours=6)` DAG, over a sequence.

Runs: 06:00 ok, 12:00 FAILS, 18:00 ok, next day 00:00 ok, then 03:17 (off the 6-hour grid) ok.
Airflow 3 makes a timedelta schedule a DeltaTriggerTimetable: a manual run's data interval is
[logical_date, logical_date], so prev_data_interval_start/end_success are the previous
successful run's logical date (18:00 sees 06:00, skipping the failed 12:00).
"""
import datetime

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T06:00:00+00:00"},
        {"logical_date": "2024-03-05T12:00:00+00:00", "conf": {"fail": True}},
        {"logical_date": "2024-03-05T18:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00"},
        {"logical_date": "2024-03-06T03:17:00+00:00"},
    ]
}


def _gate(params):
    if params.get("fail"):
        raise ValueError("asked to fail")


with DAG(
    dag_id="hist_prev_success_timedelta",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=datetime.timedelta(hours=6),
) as dag:
    show = BashOperator(
        task_id="show",
        bash_command=(
            "echo 'interval={{ data_interval_start | ts }}..{{ data_interval_end | ts }}'; "
            "echo 'prev={{ prev_data_interval_start_success }}..{{ prev_data_interval_end_success }}'; "
            "echo 'prev_start={{ prev_start_date_success }}'; "
            "echo 'hours_since_prev={{ ((data_interval_start - prev_data_interval_end_success).total_seconds() / 3600) if prev_data_interval_end_success else None }}'; "
            "echo 'prev_end_later={{ (prev_end_date_success > prev_data_interval_end_success) if prev_end_date_success else None }}'"
        ),
    )
    last = BashOperator(task_id="last_line", bash_command="echo '{{ ts }} after {{ prev_data_interval_end_success | ts if prev_data_interval_end_success else \"nothing\" }}'")
    gate = PythonOperator(task_id="gate", python_callable=_gate)
    [show, last] >> gate
