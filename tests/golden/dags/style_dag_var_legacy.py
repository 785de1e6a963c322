"""`dag = DAG(...)` + `dag=dag` on every operator, Airflow 2.x import spelling.
Dependencies with set_upstream / set_downstream / << and lists; each task reports its
upstream ids and which upstream XComs it could already see (proves the execution order)."""
from datetime import timedelta

import pendulum

from riir_airflow import DAG
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.empty import EmptyOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _report(ti, task):
    ups = sorted(task.upstream_task_ids)
    seen = [u for u in ups if ti.xcom_pull(task_ids=u) is not None]
    return {"me": task.task_id, "up": ups, "seen": seen}


dag = DAG(
    "style_dag_var_legacy",
    description="classic style",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"owner": "legacy", "retries": 0, "retry_delay": timedelta(seconds=1), "queue_color": "blue"},
    tags=["golden"],
)

start = EmptyOperator(task_id="start", dag=dag)
a = PythonOperator(task_id="a", python_callable=_report, dag=dag)
b = PythonOperator(task_id="b", python_callable=_report, dag=dag)
c = PythonOperator(task_id="c", python_callable=_report, dag=dag)
d = PythonOperator(task_id="d", python_callable=_report, dag=dag)
end = BashOperator(task_id="end", bash_command="echo {{ task.owner }} {{ dag.dag_id }}", dag=dag)

a.set_upstream(start)
start.set_downstream(b)
c << [a, b]
d.set_upstream([a, b])
end.set_upstream([c, d])
