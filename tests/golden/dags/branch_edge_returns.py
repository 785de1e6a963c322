"""What a branch callable may return: None (every direct downstream skipped), an empty list (same),
a list of two ids, a tuple, a task id that is in the DAG but NOT a direct downstream (nothing
downstream is followed: all direct downstreams skipped; the far task runs on its own rules), an
unknown task id (the branch task fails), and a none_failed_min_one_success join after each."""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.python import BranchPythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@task
def mark(**context):
    return context["ti"].task_id


with DAG(dag_id="branch_edge_returns", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    cases = {
        "none": lambda: None,
        "empty": lambda: [],
        "two": lambda: ["two_a", "two_b"],
        "tuple": lambda: ("tuple_b",),
        "far": lambda: "far_c",
        "unknown": lambda: "no_such_task",
    }
    for name, fn in cases.items():
        br = BranchPythonOperator(task_id=f"br_{name}", python_callable=fn)
        a, b, c = (mark.override(task_id=f"{name}_{x}")() for x in "abc")
        join = mark.override(task_id=f"{name}_join", trigger_rule="none_failed_min_one_success")()
        br >> [a, b]
        b >> c
        [a, c] >> join
