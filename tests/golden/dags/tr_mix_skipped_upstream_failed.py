"""Airflow 2.x import spelling. Every trigger rule against one skipped and one upstream_failed upstream task: each task named after its rule has exactly
these upstream tasks: ['skip', 'uf']. (`uf` is upstream_failed because its own upstream `uf_src` failed.)"""
import pendulum

from riir_airflow import DAG
from riir_airflow.exceptions import AirflowSkipException
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

RULES = ['all_success', 'all_failed', 'all_done', 'all_done_min_one_success', 'one_success', 'one_failed', 'one_done', 'none_failed', 'none_failed_min_one_success', 'none_skipped', 'all_skipped', 'always']


def _ok(task):
    return task.task_id


def _fail():
    raise ValueError("planned failure")


def _skip():
    raise AirflowSkipException("planned skip")


with DAG(dag_id="tr_mix_skipped_upstream_failed", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    kinds = {"ok": _ok, "ok2": _ok, "fail": _fail, "fail2": _fail, "skip": _skip, "skip2": _skip}
    upstream = []
    for name in ['skip', 'uf']:
        if name == "uf":
            src = PythonOperator(task_id="uf_src", python_callable=_fail)
            up = PythonOperator(task_id="uf", python_callable=_ok)
            src >> up
        else:
            up = PythonOperator(task_id=name, python_callable=kinds[name])
        upstream.append(up)
    for rule in RULES:
        upstream >> PythonOperator(task_id=rule, python_callable=_ok, trigger_rule=rule)
