"""A failing teardown is ignored for the run state (run success) unless it was declared with
`on_failure_fail_dagrun=True`: this DAG has only the ignored kind (setup and work succeed, the
teardown fails, the run is success); see st_teardown_fail_dagrun for the other kind."""
import pendulum

from riir_airflow.sdk import DAG, setup, task, teardown

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="st_teardown_fails", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @setup
    def prepare():
        return "ready"

    @task
    def work():
        return "worked"

    @teardown
    def cleanup_fails():
        raise RuntimeError("teardown failed")

    s = prepare()
    s >> work() >> cleanup_fails().as_teardown(setups=s)
