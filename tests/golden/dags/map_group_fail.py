"""A mapped task group with a failing index: in group `g` expanded over 3 values, member `check`
fails for index 1 only; instance 1 of the downstream member `use` becomes upstream_failed while
instances 0 and 2 succeed; a member with trigger_rule all_done runs for every index; a task after
the group (all_success) is upstream_failed, an all_done reducer after it gets the values that
exist, and one_failed runs."""
import pendulum

from riir_airflow.sdk import dag, task, task_group

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_group_fail():
    @task
    def check(n):
        if n == 2:
            raise ValueError("bad value 2")
        return n * 10

    @task
    def use(v):
        return v + 1

    @task(trigger_rule="all_done")
    def cleanup(ti=None):
        return f"cleanup-{ti.map_index}"

    @task
    def after(values):
        return list(values)

    @task(trigger_rule="all_done")
    def after_all_done(values):
        return list(values)

    @task(trigger_rule="one_failed")
    def alarm():
        return "alarm"

    @task_group
    def g(n):
        u = use(check(n))
        u >> cleanup()
        return u

    out = g.expand(n=[1, 2, 3])
    after(out)
    after_all_done(out)
    out >> alarm()


map_group_fail()
