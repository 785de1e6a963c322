"""Airflow 2.x import spelling. Retries that succeed: retries=2 with a task failing on its first try (try_number 2 at the end),
a task failing twice with retry_exponential_backoff + max_retry_delay (try_number 3), a bash task
failing on try 1 using $AIRFLOW_CTX_TRY_NUMBER, and retries coming from default_args."""
from datetime import timedelta

import pendulum

from riir_airflow import DAG
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _fail_until(ti, n):
    if ti.try_number < n:
        raise ValueError(f"try {ti.try_number} fails")
    return {"succeeded_on_try": ti.try_number, "max_tries": ti.max_tries}


with DAG(
    dag_id="retry_then_succeed",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=1)},
) as dag:
    once = PythonOperator(task_id="fail_once", python_callable=_fail_until, op_kwargs={"n": 2})
    twice = PythonOperator(
        task_id="fail_twice_backoff",
        python_callable=_fail_until,
        op_kwargs={"n": 3},
        retries=3,
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(seconds=2),
    )
    bash = BashOperator(
        task_id="bash_fail_once",
        bash_command='if [ "$AIRFLOW_CTX_TRY_NUMBER" -lt 2 ]; then echo "try $AIRFLOW_CTX_TRY_NUMBER"; exit 1; fi; echo "ok on {{ ti.try_number }}"',
    )
    after = BashOperator(task_id="after", bash_command="echo after {{ ti.try_number }}")
    [once, twice, bash] >> after
