"""Nested short circuits: a truthy short circuit followed by a falsy one with
ignore_downstream_trigger_rules=False (only its direct downstream is skipped; an all_done task
further down runs); a falsy outer short circuit (default: everything downstream skipped, including
a second short circuit and all_done / always tasks); a short circuit on the path a branch chose;
`@task.short_circuit` returning a falsy dict vs a truthy list (pushed)."""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.python import BranchPythonOperator, ShortCircuitOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@task
def mark(**context):
    return context["ti"].task_id


with DAG(
    dag_id="branch_edge_short_circuits", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None
) as dag:
    outer_true = ShortCircuitOperator(task_id="outer_true", python_callable=lambda: "yes")
    inner_false = ShortCircuitOperator(
        task_id="inner_false", python_callable=lambda: 0, ignore_downstream_trigger_rules=False
    )
    d1 = mark.override(task_id="inner_direct")()
    d2 = mark.override(task_id="inner_grandchild_all_done", trigger_rule="all_done")()
    d3 = mark.override(task_id="inner_grandchild_default")()
    outer_true >> inner_false >> d1 >> [d2, d3]

    outer_false = ShortCircuitOperator(task_id="outer_false", python_callable=lambda: False)
    nested = ShortCircuitOperator(task_id="nested_sc", python_callable=lambda: True)
    e1 = mark.override(task_id="deep_all_done", trigger_rule="all_done")()
    e2 = mark.override(task_id="deep_always", trigger_rule="always")()
    outer_false >> nested >> e1 >> e2

    br = BranchPythonOperator(task_id="branch", python_callable=lambda: "sc_on_path")
    sc_path = ShortCircuitOperator(task_id="sc_on_path", python_callable=lambda: None)
    other = mark.override(task_id="other_path")()
    br >> [sc_path, other]
    sc_path >> mark.override(task_id="after_sc_on_path")()
    [sc_path, other] >> mark.override(task_id="paths_join", trigger_rule="none_failed_min_one_success")()

    @task.short_circuit
    def falsy_dict():
        return {}

    @task.short_circuit
    def truthy_list():
        return [0]

    falsy_dict() >> mark.override(task_id="after_falsy_dict")()
    truthy_list() >> mark.override(task_id="after_truthy_list")()
