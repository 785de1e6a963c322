"""`map_index_template` (only states and XComs are compared; the rendered names are pinned by
nothing here but the run must work): a @task naming instances after an argument, a classic
BashOperator naming them after `task.bash_command`, a template using a context variable set by
the task itself, and a template that fails to render after execute (StrictUndefined): in Airflow 3.3.2 that
instance FAILS although its callable returned (no XCom recorded)."""
import pendulum

from riir_airflow.sdk import DAG, get_current_context, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="map_index_template", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task(map_index_template="{{ city }}")
    def weather(city):
        return f"sunny in {city}"

    @task(map_index_template="{{ my_label }}")
    def labelled(n):
        ctx = get_current_context()
        ctx["my_label"] = f"n={n}"
        return n * n

    @task(map_index_template="{{ undefined_thing.attr }}")
    def bad_template(n):
        return n

    weather.expand(city=["Paris", "Oslo"])
    labelled.expand(n=[2, 3])
    bad_template.expand(n=[7])
    BashOperator.partial(task_id="bash_named", map_index_template="{{ task.bash_command }}").expand(
        bash_command=["echo a", "echo b"]
    )
