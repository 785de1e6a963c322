"""Mapping classic operators: BashOperator.partial(env=...).expand(bash_command=[...]) with one
index exiting 99 (that instance skipped, the others succeed), BashOperator expand over env,
PythonOperator.partial(python_callable=...).expand(op_args=...) and .expand(op_kwargs=...),
`@task.bash` mapped, and an all_success task after the partly skipped mapped bash (skipped)."""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _describe(*args, a=None, b=None):
    return {"args": list(args), "a": a, "b": b}


with DAG(dag_id="map_classic_ops", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    cmds = BashOperator.partial(task_id="bash_cmds", env={"X": "fixed"}, append_env=True).expand(
        bash_command=["echo $X-0", "exit 99", "echo {{ ti.map_index }}-{{ ds }}"]
    )
    cmds >> EmptyOperator(task_id="after_cmds")
    BashOperator.partial(task_id="bash_env", bash_command="echo $COLOR").expand(
        env=[{"COLOR": "red"}, {"COLOR": "{{ ds_nodash }}"}]
    )
    PythonOperator.partial(task_id="py_args", python_callable=_describe).expand(op_args=[[1, 2], ["{{ ds }}"], []])
    PythonOperator.partial(task_id="py_kwargs", python_callable=_describe, op_args=["fixed"]).expand(
        op_kwargs=[{"a": 1}, {"b": "{{ ti.map_index }}"}]
    )

    @task.bash
    def tb(word):
        return f"echo word={word}"

    tb.expand(word=["alpha", "beta"])
