"""Dynamic task mapping: @task.expand over a literal list (keys `task[i]`), .partial(...)
fixed args, expand over an upstream XComArg, expand over an empty list (the mapped task ends
skipped, map_index -1, no instances), a classic BashOperator.partial().expand(), a cross product
of two expand args, expand_kwargs, and a reducer pulling all mapped values (in map-index order)."""
import pendulum

from riir_airflow.sdk import dag, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def mapping_basic():
    @task
    def add(x, y):
        return x + y

    @task
    def make_list():
        return [10, 20, 30]

    @task
    def nothing():
        return []

    @task
    def total(values):
        return {"values": list(values), "sum": sum(values)}

    @task
    def after_empty(values):
        return list(values)

    @task
    def pair(a, b):
        return f"{a}-{b}"

    @task
    def index(ti=None):
        return ti.map_index

    literal = add.partial(y=1).expand(x=[1, 2, 3])
    from_xcom = add.partial(y=100).expand(x=make_list())
    total(from_xcom)
    total.override(task_id="total_literal")(literal)
    empty = add.partial(y=0).expand(x=nothing())
    after_empty(empty)
    pair.expand(a=["p", "q"], b=[1, 2])
    add.expand_kwargs([{"x": 1, "y": 2}, {"x": 5, "y": 5}])
    BashOperator.partial(task_id="bash_mapped").expand(
        bash_command=["echo one {{ ds }}", "echo two {{ ti.map_index }}"]
    )
    index.expand_kwargs([{}, {}])


mapping_basic()
