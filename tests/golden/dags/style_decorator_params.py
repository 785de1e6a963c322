"""`@dag` decorator: the function's parameters become DAG params (defaults from the signature,
overridden by the run conf); DagParam objects passed into @task calls resolve at run time."""
import pendulum

from riir_airflow.sdk import dag, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"name": "golden"}}


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["golden", "decorator"],
    doc_md="Decorated DAG",
    default_args={"owner": "deco"},
)
def style_decorator_params(name: str = "world", count: int = 2, flag: bool = False):
    @task
    def greet(who, times):
        return f"hello {who} x{times}"

    @task
    def all_params(params=None):
        return dict(params)

    show = BashOperator(
        task_id="show",
        bash_command="echo {{ params.name }} {{ params.count }} {{ params.flag }} {{ dag.dag_id }}",
    )
    greet(name, count) >> all_params() >> show


style_decorator_params()
