"""Branching into TaskGroups: a branch returning one root task inside a group ("grp.a2": the other
root grp.a1 is skipped, the group's inner join (all_success) is skipped, a none_failed_min_one_success
inner join runs); a branch returning a nested group id ("outer.inner": its roots run, the sibling
task of the outer group is skipped); a branch returning a list mixing a group id and a task id."""
import pendulum

from riir_airflow.sdk import DAG, TaskGroup, task
from riir_airflow.providers.standard.operators.python import BranchPythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@task
def mark(**context):
    return context["ti"].task_id


with DAG(dag_id="branch_edge_groups", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    br1 = BranchPythonOperator(task_id="br_into_group", python_callable=lambda: "grp.a2")
    with TaskGroup("grp") as grp:
        a1 = mark.override(task_id="a1")()
        a2 = mark.override(task_id="a2")()
        join_all = mark.override(task_id="join_all_success")()
        join_nf = mark.override(task_id="join_nfmos", trigger_rule="none_failed_min_one_success")()
        [a1, a2] >> join_all
        [a1, a2] >> join_nf
    br1 >> grp

    br2 = BranchPythonOperator(task_id="br_nested_group", python_callable=lambda: "outer.inner")
    with TaskGroup("outer") as outer:
        sibling = mark.override(task_id="sibling")()
        with TaskGroup("inner") as inner:
            i1 = mark.override(task_id="i1")()
            i2 = mark.override(task_id="i2")()
            i1 >> i2
    br2 >> [sibling, inner]

    @task.branch
    def br_mixed():
        return ["g2", "solo_yes"]

    b3 = br_mixed()
    with TaskGroup("g2") as g2:
        mark.override(task_id="x")() >> mark.override(task_id="y")()
    with TaskGroup("g3") as g3:
        mark.override(task_id="x")()
    yes = mark.override(task_id="solo_yes")()
    no = mark.override(task_id="solo_no")()
    b3 >> [g2, g3, yes, no]
    [g2, g3] >> mark.override(task_id="after_groups", trigger_rule="none_failed_min_one_success")()
