"""Dynamic task mapping over literals: a list, a dict (each instance gets a (key, value) pair,
in insertion order), a list of lists and a list of dicts as values, partial() fixed args
(templated str kept as the template result), a cross product of a list and a dict (list is the
outer loop), and a one-element expansion."""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_literal_dict():
    @task
    def show(item, prefix="-", ti=None):
        return {"i": ti.map_index, "prefix": prefix, "item": item}

    @task
    def pair(a, kv):
        return [a, kv[0], kv[1]]

    show.override(task_id="over_list").expand(item=[3, 1, 2])
    show.override(task_id="over_dict").expand(item={"b": 1, "a": [2, 3], "c": {"d": None}})
    show.override(task_id="over_nested").partial(prefix="{{ ds }}").expand(item=[[1, 2], {"k": "v"}, "s", None])
    show.override(task_id="one").expand(item=["only"])
    pair.expand(a=["x", "y"], kv={"k1": 1, "k2": 2, "k3": 3})


map_literal_dict()
