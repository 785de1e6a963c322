"""Reducing mapped XComs (LazyXComSequence in 3.x): len(), iteration, indexing ([0], [-1]), `in`,
sum, list(), iterating twice; xcom_pull of a mapped task from a classic operator (without
map_indexes, with map_indexes=1 and with a list of map indexes), and in a template."""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _pull(ti):
    everything = ti.xcom_pull(task_ids="square")
    return {
        "all": list(everything),
        "one": ti.xcom_pull(task_ids="square", map_indexes=1),
        "some": ti.xcom_pull(task_ids="square", map_indexes=[0, 3]),
        "words": list(ti.xcom_pull(task_ids="word")),
    }


with DAG(dag_id="map_reducers", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task
    def square(x):
        return x * x

    @task
    def word(w):
        return w.upper()

    @task
    def reduce(values):
        it = iter(values)
        first = next(it)
        return {
            "len": len(values),
            "first": values[0],
            "last": values[-1],
            "second_via_iter": next(it),
            "has_9": 9 in values,
            "has_5": 5 in values,
            "sum": sum(values),
            "list": list(values),
            "again": [v for v in values],
            "first_iter": first,
        }

    sq = square.expand(x=[1, 2, 3, 4])
    wd = word.expand(w=["a", "b"])
    reduce(sq)
    pull = PythonOperator(task_id="pull", python_callable=_pull)
    [sq, wd] >> pull
    tmpl = BashOperator(task_id="tmpl", bash_command="echo {{ ti.xcom_pull(task_ids='square') | list | sum }}")
    sq >> tmpl
