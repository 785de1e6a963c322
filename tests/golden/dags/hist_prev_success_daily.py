"""prev_*_success over a sequence of manual dag.test runs of an `@daily` DAG (catchup off).

Runs, in this order: 03-05 ok, 03-06 ok, 03-07 FAILS (conf fail), 03-08 ok, then 03-06T12:00
(between two earlier runs by logical date) ok. The previous successful run is the latest run
with a SMALLER logical date in state success, whatever order the runs were made in: 03-08 sees
03-06 (the failed 03-07 is skipped), and 03-06T12:00 sees 03-06, not 03-08 which ran before it.
dag.test creates each run with start_date = its logical date, so `prev_start_date_success` is the
previous successful run's logical date; `prev_end_date_success` is wall-clock (only its relations
are rendered).
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00"},
        {"logical_date": "2024-03-07T00:00:00+00:00", "conf": {"fail": True}},
        {"logical_date": "2024-03-08T00:00:00+00:00"},
        {"logical_date": "2024-03-06T12:00:00+00:00"},
    ]
}

TEMPLATES = {
    "prev_dis": "{{ prev_data_interval_start_success }}",
    "prev_die": "{{ prev_data_interval_end_success }}",
    "prev_start": "{{ prev_start_date_success }}",
    # the prev_* values are lazy proxies in Airflow: `is none` tests the proxy, truthiness the value
    "prev_start_is_none": "{{ prev_start_date_success is none }}",
    "prev_start_falsy": "{{ not prev_start_date_success }}",
    "prev_end_falsy": "{{ not prev_end_date_success }}",
    "prev_end_after_prev_start": "{{ (prev_end_date_success > prev_start_date_success) if prev_end_date_success else 'n/a' }}",
    "prev_end_after_logical_date": "{{ (prev_end_date_success > logical_date) if prev_end_date_success else 'n/a' }}",
    "prev_dis_before_ld": "{{ (prev_data_interval_start_success < logical_date) if prev_data_interval_start_success else 'n/a' }}",
    "days_since_prev": "{{ ((logical_date - prev_data_interval_end_success).total_seconds() / 86400) if prev_data_interval_end_success else 'n/a' }}",
    "dis": "{{ data_interval_start }}",
    "die": "{{ data_interval_end }}",
    "run_start": "{{ dag_run.start_date }}",
}


def _echo(values):
    return values


def _gate(params):
    if params.get("fail"):
        raise ValueError("asked to fail")
    return "passed"


def _from_context(prev_data_interval_start_success, prev_start_date_success, prev_end_date_success, logical_date):
    # the values as a task receives them through the context (not through a template)
    prev_dis = prev_data_interval_start_success
    return {
        "prev_dis_is_None": prev_dis is None,
        "prev_dis_falsy": not prev_dis,
        "prev_dis": prev_dis.isoformat() if prev_dis else None,
        "prev_start": prev_start_date_success.isoformat() if prev_start_date_success else None,
        "prev_end_set": bool(prev_end_date_success),
        "ld_minus_prev_dis_h": (logical_date - prev_dis).total_seconds() / 3600 if prev_dis else None,
    }


with DAG(
    dag_id="hist_prev_success_daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
) as dag:
    dates = PythonOperator(task_id="dates", python_callable=_echo, op_kwargs={"values": TEMPLATES})
    from_context = PythonOperator(task_id="from_context", python_callable=_from_context)
    bash = BashOperator(
        task_id="bash",
        bash_command="echo prev={{ prev_data_interval_start_success | ds if prev_data_interval_start_success else 'none' }} now={{ ds }}",
    )
    gate = PythonOperator(task_id="gate", python_callable=_gate)
    [dates, from_context, bash] >> gate
