"""Setup/teardown with decorators: `@setup` / `@teardown` functions wired with `>>` chains and
`as_teardown(setups=...)`; a teardown taking the setup's XCom as an argument (that makes the
setup its setup); two setups feeding one teardown; `with teardown_task.as_teardown(setups=s):`
context-manager scope; everything succeeds."""
import pendulum

from riir_airflow.sdk import dag, setup, task, teardown

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def st_decorators():
    @setup
    def make_cluster():
        return "cluster-1"

    @task
    def run_job(cluster):
        return f"job on {cluster}"

    @teardown
    def drop_cluster(cluster):
        return f"dropped {cluster}"

    @setup
    def open_a():
        return "a"

    @setup
    def open_b():
        return "b"

    @task
    def use_both():
        return "both"

    @teardown
    def close_both():
        return "closed"

    @setup
    def ctx_setup():
        return "ctx"

    @task
    def ctx_work_1():
        return 1

    @task
    def ctx_work_2():
        return 2

    @teardown
    def ctx_teardown():
        return "ctx-done"

    c = make_cluster()
    j = run_job(c)
    j >> drop_cluster(c)

    a, b = open_a(), open_b()
    [a, b] >> use_both() >> close_both().as_teardown(setups=[a, b])

    s = ctx_setup()
    with ctx_teardown().as_teardown(setups=s):
        ctx_work_1() >> ctx_work_2()


st_decorators()
