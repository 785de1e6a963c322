"""`with DAG(...)` style, Airflow 3 spelling; default_args (owner, retries, unknown key ignored),
doc_md/tags/description (no effect), a bash and a python task chained with >>."""
from datetime import timedelta

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {}}

default_args = {
    "owner": "data-team",
    "retries": 1,
    "retry_delay": timedelta(seconds=1),
    "this_key_is_unknown": "ignored",
}


def _owner_and_retries(ti, task):
    return {"owner": task.owner, "retries": task.retries, "max_tries": ti.max_tries, "try": ti.try_number}


with DAG(
    dag_id="style_with_dag",
    description="with-DAG style",
    doc_md="# Style\nSome **markdown**.",
    tags=["golden", "style"],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args=default_args,
) as dag:
    hello = BashOperator(task_id="hello", bash_command="echo hello {{ ds }} from {{ task.owner }}")
    info = PythonOperator(task_id="info", python_callable=_owner_and_retries)
    override = BashOperator(task_id="override", bash_command="echo {{ task.retries }}", retries=0, owner="me")
    hello >> info >> override
