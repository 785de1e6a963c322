"""Airflow 2.x spelling (TriggerRule from riir_airflow.utils.trigger_rule, AirflowSkipException
from riir_airflow.exceptions): every trigger rule (as the enum member) against four upstream tasks
in four different end states: success, failed, skipped and upstream_failed."""
import pendulum

from riir_airflow import DAG
from riir_airflow.exceptions import AirflowSkipException
from riir_airflow.operators.python import PythonOperator
from riir_airflow.utils.trigger_rule import TriggerRule

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _ok(task):
    return task.task_id


def _fail():
    raise RuntimeError("planned failure")


def _skip():
    raise AirflowSkipException


with DAG("tr_legacy_all_kinds", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    ok = PythonOperator(task_id="ok", python_callable=_ok)
    fail = PythonOperator(task_id="fail", python_callable=_fail)
    skip = PythonOperator(task_id="skip", python_callable=_skip)
    uf_src = PythonOperator(task_id="uf_src", python_callable=_fail)
    uf = PythonOperator(task_id="uf", python_callable=_ok)
    uf_src >> uf
    for rule in [
        TriggerRule.ALL_SUCCESS,
        TriggerRule.ALL_FAILED,
        TriggerRule.ALL_DONE,
        TriggerRule.ALL_DONE_MIN_ONE_SUCCESS,
        TriggerRule.ONE_SUCCESS,
        TriggerRule.ONE_FAILED,
        TriggerRule.ONE_DONE,
        TriggerRule.NONE_FAILED,
        TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS,
        TriggerRule.NONE_SKIPPED,
        TriggerRule.ALL_SKIPPED,
        TriggerRule.ALWAYS,
    ]:
        [ok, fail, skip, uf] >> PythonOperator(task_id=rule.value, python_callable=_ok, trigger_rule=rule)
