"""Propagation through chains: skipped spreads down all_success chains (and is stopped by
all_done / none_failed), upstream_failed spreads down all_success chains (stopped by all_done /
one_failed), a none_failed_min_one_success join after a skip chain, an always task at the end,
and a run-state check (the run fails because a leaf is upstream_failed)."""
import pendulum

from riir_airflow.sdk import DAG, TriggerRule
from riir_airflow.sdk.exceptions import AirflowSkipException
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _ok(task):
    return task.task_id


def _fail():
    raise ValueError("boom")


def _skip():
    raise AirflowSkipException("skip!")


def op(task_id, fn=_ok, rule=TriggerRule.ALL_SUCCESS):
    return PythonOperator(task_id=task_id, python_callable=fn, trigger_rule=rule)


with DAG(dag_id="tr_propagation", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    # skip chain
    s0 = op("s0_skip", _skip)
    s1 = op("s1")
    s2 = EmptyOperator(task_id="s2_empty")
    s3 = op("s3_all_done", rule=TriggerRule.ALL_DONE)
    s4 = op("s4")
    s5 = op("s5_none_failed", rule=TriggerRule.NONE_FAILED)
    s0 >> s1 >> s2 >> s3 >> s4
    s1 >> s5

    # fail chain
    f0 = op("f0_fail", _fail)
    f1 = op("f1")
    f2 = EmptyOperator(task_id="f2_empty")
    f3 = op("f3_one_failed", rule=TriggerRule.ONE_FAILED)
    f4 = op("f4_all_done", rule=TriggerRule.ALL_DONE)
    f5 = op("f5_none_failed", rule=TriggerRule.NONE_FAILED)
    f6 = op("f6_all_failed", rule=TriggerRule.ALL_FAILED)
    f0 >> f1 >> f2 >> [f3, f4, f5, f6]

    # joins across both chains
    ok = op("ok")
    j1 = op("join_nfmos", rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    [ok, s1] >> j1
    j2 = op("join_one_success", rule=TriggerRule.ONE_SUCCESS)
    [s1, f1, ok] >> j2
    j3 = op("join_all_skipped", rule=TriggerRule.ALL_SKIPPED)
    [s1, s2] >> j3
    final = op("final_always", rule=TriggerRule.ALWAYS)
    [j1, j2, j3, f4, s4] >> final
