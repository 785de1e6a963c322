"""Airflow 2.x spelling of Param (`riir_airflow.models.param`); params given in default_args
are merged into the DAG params; task-level params override DAG params; the run conf overrides
both."""
import pendulum

from riir_airflow import DAG
from riir_airflow.models.param import Param
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"c": "conf-c"}}


def _show(params):
    return {k: params[k] for k in sorted(params)}


with DAG(
    "params_legacy_param",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"params": {"from_default_args": "da"}},
    params={"a": Param("dag-a", type="string"), "b": "dag-b", "c": "dag-c"},
) as dag:
    dag_level = BashOperator(
        task_id="dag_level",
        bash_command="echo {{ params.a }} {{ params.b }} {{ params.c }} {{ params.from_default_args }}",
    )
    task_level = BashOperator(
        task_id="task_level",
        params={"b": "task-b", "c": "task-c", "t": Param(3, type="integer")},
        bash_command="echo {{ params.a }} {{ params.b }} {{ params.c }} {{ params.t }}",
    )
    py = PythonOperator(task_id="py", python_callable=_show, params={"p": "task-p"})
    dag_level >> task_level >> py
