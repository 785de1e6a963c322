"""Teardown after a failing work task: setup >> [work_ok, work_fails] >> teardown; the teardown runs
(all_done_setup_success) and succeeds; a normal all_success task after the teardown runs and
succeeds (only its direct upstream, the teardown, counts); a task downstream of the failed work is
upstream_failed; run state failed."""
import pendulum

from riir_airflow.sdk import DAG, setup, task, teardown

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="st_work_fails", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @setup
    def prepare():
        return "ready"

    @task
    def work_ok():
        return "ok"

    @task
    def work_fails():
        raise RuntimeError("work failed")

    @task
    def after_fail():
        return "never"

    @teardown
    def cleanup():
        return "cleaned"

    @task
    def after_teardown():
        return "after teardown"

    s = prepare()
    ok, bad = work_ok(), work_fails()
    t = cleanup()
    s >> [ok, bad] >> t.as_teardown(setups=s)
    bad >> after_fail()
    t >> after_teardown()
