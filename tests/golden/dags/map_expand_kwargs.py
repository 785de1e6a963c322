"""expand_kwargs: a literal list of dicts on @task (with partial()), from an upstream XCom, on
PythonOperator (op_args / op_kwargs per instance) and on BashOperator (bash_command + env per
instance, templated), and fed by `.map()` turning a list into kwargs dicts."""
import pendulum

from riir_airflow.sdk import dag, task
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _join(*args, k=None):
    return {"args": list(args), "k": k}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_expand_kwargs():
    @task
    def calc(a, b, op="+"):
        return f"{a}{op}{b}={a + b if op == '+' else a * b}"

    @task
    def make_kwargs():
        return [{"a": 1, "b": 2}, {"a": 3, "b": 4, "op": "*"}]

    @task
    def names():
        return ["ann", "bob", "cy"]

    calc.override(task_id="literal").expand_kwargs([{"a": 1, "b": 1}, {"a": 2, "b": 5, "op": "*"}])
    calc.override(task_id="with_partial").partial(op="*").expand_kwargs([{"a": 2, "b": 3}, {"a": 4, "b": 5}])
    calc.override(task_id="from_xcom").expand_kwargs(make_kwargs())
    PythonOperator.partial(task_id="py_kwargs", python_callable=_join).expand_kwargs(
        [{"op_args": [1, "{{ ds }}"]}, {"op_kwargs": {"k": "{{ ds_nodash }}"}}, {"op_args": [], "op_kwargs": {}}]
    )
    BashOperator.partial(task_id="bash_kwargs", append_env=False).expand_kwargs(
        [
            {"bash_command": "echo $WHO {{ ti.map_index }}", "env": {"WHO": "first"}},
            {"bash_command": "echo $WHO-{{ ds }}", "env": {"WHO": "second"}},
        ]
    )
    calc.override(task_id="from_map").expand_kwargs(
        names().map(lambda n: {"a": n, "b": "!"})
    )


map_expand_kwargs()
