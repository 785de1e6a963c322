"""@task_group called twice (second call gets group id `stage__1`), a @task used several times
(ids `add`, `add__1`, `add__2`), task groups returning XComArgs, group default_args."""
import pendulum

from riir_airflow.sdk import dag, task, task_group

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def deps_task_group_decorator():
    @task
    def add(x, y):
        return x + y

    @task
    def ident(ti=None):
        return ti.task_id

    @task_group
    def stage(value):
        first = ident()
        doubled = add(value, value)
        first >> doubled
        return doubled

    @task_group(group_id="custom_name", default_args={"retries": 2})
    def custom(value):
        @task
        def retries_seen(v, ti=None):
            return {"v": v, "max_tries": ti.max_tries, "task_id": ti.task_id}

        return retries_seen(value)

    a = add(1, 2)
    b = add(a, 10)
    c = add(b, 100)
    s1 = stage(c)
    s2 = stage(s1)
    custom(s2)


deps_task_group_decorator()
