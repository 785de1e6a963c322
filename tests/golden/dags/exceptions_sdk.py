"""Exceptions from riir_airflow.sdk.exceptions: AirflowSkipException (skipped, no retry),
AirflowFailException with retries=3 (failed on try 1, NOT retried), a plain exception with
retries=1 (retried, failed on try 2), AirflowException with retries=1, a skip raised on the
second try, and downstream effects."""
from datetime import timedelta

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _skip():
    raise AirflowSkipException("nothing to do")


def _fail_hard():
    raise AirflowFailException("no point retrying")


def _plain():
    raise KeyError("plain")


def _airflow_exc():
    raise AirflowException("generic")


def _skip_on_retry(ti):
    if ti.try_number == 1:
        raise ValueError("first try fails")
    raise AirflowSkipException("skip on try 2")


def _ok(task):
    return task.task_id


with DAG(
    dag_id="exceptions_sdk",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retry_delay": timedelta(seconds=1)},
) as dag:
    skip = PythonOperator(task_id="skip", python_callable=_skip, retries=2)
    hard = PythonOperator(task_id="fail_hard", python_callable=_fail_hard, retries=3)
    plain = PythonOperator(task_id="plain", python_callable=_plain, retries=1)
    afx = PythonOperator(task_id="airflow_exception", python_callable=_airflow_exc, retries=1)
    sor = PythonOperator(task_id="skip_on_retry", python_callable=_skip_on_retry, retries=1)
    after_skip = PythonOperator(task_id="after_skip", python_callable=_ok)
    after_hard = PythonOperator(task_id="after_hard", python_callable=_ok)
    after_sor = PythonOperator(task_id="after_skip_on_retry", python_callable=_ok, trigger_rule="none_failed")
    skip >> after_skip
    hard >> after_hard
    sor >> after_sor
