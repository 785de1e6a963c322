"""TaskGroups: nested groups (ids `outer.inner.t`), prefix_group_id=False, default_args on a group
(retries/owner override the DAG's), group >> task and task >> group edges (to the group's
roots/leaves), a task whose id collides with nothing because of the prefix."""
from datetime import timedelta

import pendulum

from riir_airflow.sdk import DAG, TaskGroup
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _report(ti, task):
    ups = sorted(task.upstream_task_ids)
    return {
        "id": task.task_id,
        "retries": task.retries,
        "owner": task.owner,
        "up": ups,
        "seen": [u for u in ups if ti.xcom_pull(task_ids=u) is not None],
    }


with DAG(
    dag_id="deps_taskgroups",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"owner": "dag-owner", "retries": 0, "retry_delay": timedelta(seconds=1)},
) as dag:
    start = PythonOperator(task_id="start", python_callable=_report)
    with TaskGroup("outer", default_args={"retries": 3, "owner": "group-owner"}) as outer:
        work = PythonOperator(task_id="work", python_callable=_report)
        with TaskGroup("inner", tooltip="nested") as inner:
            i1 = PythonOperator(task_id="i1", python_callable=_report)
            i2 = PythonOperator(task_id="i2", python_callable=_report, retries=1)
            i1 >> i2
        work >> inner
        echo = BashOperator(task_id="echo", bash_command="echo {{ task.task_id }} {{ ti.task_id }}")
        inner >> echo
    with TaskGroup("flat", prefix_group_id=False) as flat:
        f1 = PythonOperator(task_id="f1", python_callable=_report)
        f2 = PythonOperator(task_id="work", python_callable=_report)  # no prefix: real id "work"
    end = EmptyOperator(task_id="end")
    start >> outer >> flat >> end
