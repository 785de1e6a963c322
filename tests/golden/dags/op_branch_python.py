"""BranchPythonOperator returning one task id, with the join patterns of
the spec's trip-ups: the not-chosen branch is skipped, a default (all_success) join is SKIPPED,
a none_failed_min_one_success join runs, the skipped branch's downstream is skipped, an all_done
task after that runs; a task directly downstream of both the branch and the chosen branch is kept."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"choose": "b1"}}


def _choose(dag_run):
    return dag_run.conf["choose"]


def _ret(task):
    return task.task_id


with DAG(dag_id="op_branch_python", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    branch = BranchPythonOperator(task_id="branch", python_callable=_choose)
    b1 = PythonOperator(task_id="b1", python_callable=_ret)
    b2 = PythonOperator(task_id="b2", python_callable=_ret)
    b2_child = PythonOperator(task_id="b2_child", python_callable=_ret)
    after_skip_all_done = PythonOperator(task_id="after_skip_all_done", python_callable=_ret, trigger_rule="all_done")
    join_default = EmptyOperator(task_id="join_default")
    join_nfmos = PythonOperator(task_id="join_nfmos", python_callable=_ret, trigger_rule="none_failed_min_one_success")
    direct_and_b1 = PythonOperator(task_id="direct_and_b1", python_callable=_ret)

    branch >> [b1, b2]
    b2 >> b2_child >> after_skip_all_done
    [b1, b2] >> join_default
    [b1, b2] >> join_nfmos
    branch >> direct_and_b1
    b1 >> direct_and_b1
