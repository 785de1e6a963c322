"""Tasks whose return value feeds expand() but is not mappable fail themselves (not the mapped
task): a str, an int, None (nothing pushed); a list of non-dicts into expand_kwargs (the mapped
instance fails instead); the mapped downstream is upstream_failed (try 0) and an all_done task
after it runs."""
import pendulum

from riir_airflow.sdk import dag, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_non_list():
    @task
    def give_str():
        return "abc"

    @task
    def give_int():
        return 3

    @task
    def give_none():
        return None

    @task
    def give_non_dicts():
        return [1, 2]

    @task
    def use(x=None):
        return x

    @task(trigger_rule="all_done")
    def after(**context):
        return context["ti"].task_id

    for src in [give_str, give_int, give_none]:
        mapped = use.override(task_id=f"use_{src.__name__}").expand(x=src())
        mapped >> after.override(task_id=f"after_{src.__name__}")()
    kw = use.override(task_id="use_kwargs").expand_kwargs(give_non_dicts())
    kw >> after.override(task_id="after_kwargs")()


map_non_list()
