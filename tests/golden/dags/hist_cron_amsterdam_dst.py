"""Manual runs of a cron DAG in Europe/Amsterdam around both 2024 DST changes (default Airflow 3
CronTriggerTimetable: a manual run's data interval is [logical_date, logical_date]).

Cron "0 3 * * *" local time; runs at 03:00 local on 03-30 (CET), 03-31 (CEST, the night
clocks jumped 02:00 -> 03:00), 04-01, 10-26 (CEST), 10-27 (CET, 03:00 -> 02:00 that night).
Context dates are UTC; prev_data_interval_*_success step over the DST changes (23 h / 25 h).
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-30T03:00:00+01:00"},
        {"logical_date": "2024-03-31T03:00:00+02:00"},
        {"logical_date": "2024-04-01T03:00:00+02:00"},
        {"logical_date": "2024-10-26T03:00:00+02:00"},
        {"logical_date": "2024-10-27T03:00:00+01:00"},
    ]
}

TEMPLATES = {
    "ds": "{{ ds }}",
    "ts": "{{ ts }}",
    "dis": "{{ data_interval_start }}",
    "die": "{{ data_interval_end }}",
    "dis_local": "{{ data_interval_start.in_timezone(dag.timezone).isoformat() }}",
    "prev_dis": "{{ prev_data_interval_start_success }}",
    "prev_die": "{{ prev_data_interval_end_success }}",
    "prev_dis_local": "{{ prev_data_interval_start_success.in_timezone(dag.timezone).isoformat() if prev_data_interval_start_success else None }}",
    "hours_since_prev": "{{ ((data_interval_start - prev_data_interval_end_success).total_seconds() / 3600) if prev_data_interval_end_success else None }}",
    "prev_start": "{{ prev_start_date_success }}",
}


def _echo(values):
    return values


with DAG(
    dag_id="hist_cron_amsterdam_dst",
    start_date=pendulum.datetime(2024, 1, 1, tz="Europe/Amsterdam"),
    schedule="0 3 * * *",
) as dag:
    PythonOperator(task_id="dates", python_callable=_echo, op_kwargs={"values": TEMPLATES})
