"""BranchPythonOperator returning a list of task ids, a TaskGroup id (follows the group's root
tasks) and None (skips every direct downstream)."""
import pendulum

from riir_airflow.sdk import DAG, TaskGroup
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _ret(task):
    return task.task_id


with DAG(dag_id="op_branch_variants", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    # a list
    br_list = BranchPythonOperator(task_id="br_list", python_callable=lambda: ["l1", "l3"])
    l1, l2, l3 = (PythonOperator(task_id=n, python_callable=_ret) for n in ["l1", "l2", "l3"])
    br_list >> [l1, l2, l3]

    # a task group id
    br_group = BranchPythonOperator(task_id="br_group", python_callable=lambda: "grp_yes")
    with TaskGroup("grp_yes") as grp_yes:
        y1 = PythonOperator(task_id="y1", python_callable=_ret)
        y2 = PythonOperator(task_id="y2", python_callable=_ret)
        y1 >> y2
    with TaskGroup("grp_no") as grp_no:
        n1 = PythonOperator(task_id="n1", python_callable=_ret)
        n2 = PythonOperator(task_id="n2", python_callable=_ret)
        n1 >> n2
    br_group >> [grp_yes, grp_no]

    # None: skip all direct downstream
    br_none = BranchPythonOperator(task_id="br_none", python_callable=lambda: None)
    z1 = PythonOperator(task_id="z1", python_callable=_ret)
    z2 = EmptyOperator(task_id="z2")
    z_after = PythonOperator(task_id="z_after", python_callable=_ret, trigger_rule="all_done")
    br_none >> [z1, z2]
    z1 >> z_after
