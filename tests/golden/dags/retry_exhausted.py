"""Retries exhausted (Airflow 2.x spelling): a task that always fails with retries=1 ends failed
with try_number 2; its all_success downstream is upstream_failed, a one_failed task runs; a task
with retries=0 fails on try 1."""
from datetime import timedelta

import pendulum

from riir_airflow import DAG
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _always_fail(ti):
    raise RuntimeError(f"fails on try {ti.try_number}")


def _ok(task):
    return task.task_id


with DAG("retry_exhausted", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    doomed = PythonOperator(
        task_id="doomed",
        python_callable=_always_fail,
        retries=1,
        retry_delay=timedelta(seconds=1),
    )
    no_retry = BashOperator(task_id="no_retry", bash_command="exit 2", retries=0)
    downstream = PythonOperator(task_id="downstream", python_callable=_ok)
    on_fail = PythonOperator(task_id="on_fail", python_callable=_ok, trigger_rule="one_failed")
    doomed >> [downstream, on_fail]
    no_retry >> on_fail
