"""execution_timeout: a Python task exceeding 1 s with retries=0 (failed, try 1) and with
retries=1 (failed, try 2), a bash task exceeding it, a task finishing within its timeout, and an
all_done task after them."""
import time
from datetime import timedelta

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _slow():
    time.sleep(2)
    return "not reached"


def _quick():
    time.sleep(0.1)
    return "quick"


def _ok(task):
    return task.task_id


with DAG(
    dag_id="timeout_tasks",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retry_delay": timedelta(seconds=1)},
) as dag:
    t0 = PythonOperator(task_id="slow_no_retry", python_callable=_slow, execution_timeout=timedelta(seconds=1))
    t1 = PythonOperator(
        task_id="slow_one_retry",
        python_callable=_slow,
        execution_timeout=timedelta(seconds=1),
        retries=1,
    )
    tb = BashOperator(task_id="bash_slow", bash_command="sleep 2; echo late", execution_timeout=timedelta(seconds=1))
    tq = PythonOperator(task_id="quick", python_callable=_quick, execution_timeout=timedelta(seconds=2))
    after = PythonOperator(task_id="after", python_callable=_ok, trigger_rule="all_done")
    [t0, t1, tb, tq] >> after
