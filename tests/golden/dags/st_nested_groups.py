"""Nested setup/teardown scopes and task groups: an outer setup/teardown around a TaskGroup that
has its own inner setup/work/teardown; the inner work fails: inner and outer teardowns both run
and succeed, the outer work after the group is upstream_failed; a second group whose
setup/teardown both live inside the group and whose work succeeds; a group >> group chain."""
import pendulum

from riir_airflow.sdk import DAG, TaskGroup, setup, task, teardown

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="st_nested_groups", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @setup
    def up(**context):
        return context["ti"].task_id

    @teardown
    def down(**context):
        return context["ti"].task_id

    @task
    def work(**context):
        return context["ti"].task_id

    @task
    def boom():
        raise RuntimeError("inner work failed")

    outer_s = up.override(task_id="outer_setup")()
    outer_t = down.override(task_id="outer_teardown")()
    with TaskGroup("inner") as inner:
        s = up.override(task_id="setup")()
        b = boom.override(task_id="work")()
        t = down.override(task_id="teardown")()
        s >> b >> t.as_teardown(setups=s)
    after = work.override(task_id="outer_work")()
    outer_s >> inner >> after >> outer_t.as_teardown(setups=outer_s)

    with TaskGroup("clean") as clean:
        cs = up.override(task_id="setup")()
        cw = work.override(task_id="work")()
        ct = down.override(task_id="teardown")()
        cs >> cw >> ct.as_teardown(setups=cs)
    with TaskGroup("next") as nxt:
        work.override(task_id="work")()
    clean >> nxt
