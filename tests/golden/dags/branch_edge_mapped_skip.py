"""Skips meeting mapped tasks: a mapped task whose XCom input comes from a branch-skipped task is
skipped without expanding (one map_index -1 placeholder, try 0); a mapped task downstream of a
skipped task but expanding a literal is skipped likewise; a mapped instance raising
AirflowSkipException (index 1) while the others succeed, then a mapped task over its output
(instance count and states pinned), an all_success reducer (skipped), a none_failed reducer (runs,
gets the pushed values) and a branch that follows a mapped task."""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.sdk.exceptions import AirflowSkipException

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="branch_edge_mapped_skip", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task.branch
    def choose():
        return "taken"

    @task
    def taken():
        return [1, 2]

    @task
    def not_taken():
        return [3, 4]

    @task
    def double(x):
        return x * 2

    @task
    def maybe_skip(x):
        if x == "skip":
            raise AirflowSkipException("skip this one")
        return x.upper()

    @task
    def again(x):
        return f"again-{x}"

    @task
    def reduce(values):
        return list(values)

    @task(trigger_rule="none_failed")
    def reduce_none_failed(values):
        return list(values)

    @task.branch
    def route(values):
        return "route_a" if len(list(values)) == 2 else "route_b"

    @task
    def route_a():
        return "a"

    @task
    def route_b():
        return "b"

    c = choose()
    t, n = taken(), not_taken()
    c >> [t, n]
    double.override(task_id="double_taken").expand(x=t)
    double.override(task_id="double_not_taken").expand(x=n)
    lit = double.override(task_id="double_literal_after_skip").expand(x=[5, 6])
    n >> lit

    ms = maybe_skip.expand(x=["a", "skip", "c"])
    again.expand(x=ms)
    reduce(ms)
    reduce_none_failed(ms)
    r = route(ms)
    r >> [route_a(), route_b()]
