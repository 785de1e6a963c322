"""A followed task that is also downstream of a skipped one: branch >> [a, b] and a >> b, the branch
chooses b: a is skipped, so b (all_success) is skipped too although it was chosen; b2 in the same
shape with none_failed_min_one_success runs; b3 with none_failed runs; a task chosen by a branch
and also downstream of a falsy short circuit (ignore_downstream_trigger_rules=False) is skipped;
LatestOnly-free, all manual."""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.python import BranchPythonOperator, ShortCircuitOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@task
def mark(**context):
    return context["ti"].task_id


with DAG(dag_id="branch_edge_diamond", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    for rule in ["all_success", "none_failed_min_one_success", "none_failed", "one_success"]:
        br = BranchPythonOperator(task_id=f"br_{rule}", python_callable=lambda r=rule: f"chosen_{r}")
        a = mark.override(task_id=f"skipped_{rule}")()
        b = mark.override(task_id=f"chosen_{rule}", trigger_rule=rule)()
        br >> [a, b]
        a >> b

    sc = ShortCircuitOperator(
        task_id="sc_false", python_callable=lambda: False, ignore_downstream_trigger_rules=False
    )
    br2 = BranchPythonOperator(task_id="br_with_sc", python_callable=lambda: "chosen_and_sc")
    target = mark.override(task_id="chosen_and_sc")()
    loser = mark.override(task_id="loser")()
    br2 >> [target, loser]
    sc >> target
    target >> mark.override(task_id="after_target")()
