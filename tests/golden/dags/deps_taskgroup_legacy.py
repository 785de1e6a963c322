"""Airflow 2.x spelling: TaskGroup from riir_airflow.utils.task_group, Label from
riir_airflow.utils.edgemodifier, chain from riir_airflow.models.baseoperator, a TaskGroup
created with `dag=` outside a with-block, and `task_group=` on operators.
(Not covered on purpose: in Airflow 3.3 a Label edge between two tasks inside a TaskGroup,
followed by chain(..., group, ...), produced a self-loop and a cycle error.)"""
import pendulum

from riir_airflow.models import DAG
from riir_airflow.models.baseoperator import chain
from riir_airflow.operators.empty import EmptyOperator
from riir_airflow.operators.python import PythonOperator
from riir_airflow.utils.edgemodifier import Label
from riir_airflow.utils.task_group import TaskGroup

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _report(ti, task):
    ups = sorted(task.upstream_task_ids)
    return {"up": ups, "seen": [u for u in ups if ti.xcom_pull(task_ids=u) is not None]}


dag = DAG("deps_taskgroup_legacy", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None)

begin = EmptyOperator(task_id="begin", dag=dag)
grp = TaskGroup("grp", dag=dag)
g1 = PythonOperator(task_id="g1", python_callable=_report, dag=dag, task_group=grp)
g2 = PythonOperator(task_id="g2", python_callable=_report, dag=dag, task_group=grp)
sub = TaskGroup("sub", parent_group=grp, dag=dag)
s1 = PythonOperator(task_id="s1", python_callable=_report, dag=dag, task_group=sub)
finish = PythonOperator(task_id="finish", python_callable=_report, dag=dag)

g1 >> s1
chain(begin, grp, finish)
g2 >> finish
finish >> Label("done") >> PythonOperator(task_id="last", python_callable=_report, dag=dag)
