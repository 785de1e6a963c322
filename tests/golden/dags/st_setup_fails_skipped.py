"""A failing setup: its work task and a task further down are upstream_failed, its teardown
(all_done_setup_success with no successful setup) is upstream_failed; a skipped setup
(AirflowSkipException): work and teardown skipped; a teardown with two setups where one fails and
one succeeds runs; run state failed."""
import pendulum

from riir_airflow.sdk import DAG, setup, task, teardown
from riir_airflow.sdk.exceptions import AirflowSkipException

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="st_setup_fails_skipped", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @setup
    def setup_fails():
        raise RuntimeError("setup failed")

    @setup
    def setup_skips():
        raise AirflowSkipException("not today")

    @setup
    def setup_ok():
        return "ok"

    @task
    def work(**context):
        return context["ti"].task_id

    @teardown
    def down(**context):
        return context["ti"].task_id

    f = setup_fails.override(task_id="f_setup")()
    f >> work.override(task_id="f_work")() >> work.override(task_id="f_work2")() >> down.override(
        task_id="f_teardown"
    )().as_teardown(setups=f)

    k = setup_skips.override(task_id="k_setup")()
    k >> work.override(task_id="k_work")() >> down.override(task_id="k_teardown")().as_teardown(setups=k)

    m1 = setup_fails.override(task_id="m_setup_fails")()
    m2 = setup_ok.override(task_id="m_setup_ok")()
    [m1, m2] >> work.override(task_id="m_work")() >> down.override(task_id="m_teardown")().as_teardown(
        setups=[m1, m2]
    )
