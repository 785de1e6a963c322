"""depends_on_past over manual runs (catchup off) when nothing failed: a previous success OR
skip lets the task run.

A branch picks `a` or `b` (conf). `a`, `b` and the join `done` (none_failed_min_one_success)
depend on past. Runs: 03-05 picks a (b skipped), 03-06 picks b (a skipped; b's previous TI was
skipped), 03-07 picks a (a's previous TI was skipped), then 03-01, earlier than every run
(no previous run by logical date: first instance, passes).
"""
import pendulum

from riir_airflow.sdk import DAG, task

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00", "conf": {"pick": "a"}},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"pick": "b"}},
        {"logical_date": "2024-03-07T00:00:00+00:00", "conf": {"pick": "a"}},
        {"logical_date": "2024-03-01T00:00:00+00:00", "conf": {"pick": "b"}},
    ]
}


with DAG(
    dag_id="hist_depends_on_past_ok",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
    default_args={"depends_on_past": True},
) as dag:

    @task.branch(depends_on_past=False)
    def pick(params=None):
        return params["pick"]

    @task
    def a(ds=None):
        return f"a {ds}"

    @task
    def b(ds=None):
        return f"b {ds}"

    @task(trigger_rule="none_failed_min_one_success")
    def done(ti=None):
        prev = ti.get_previous_ti()
        return {"prev_done_state": None if prev is None else str(prev.state)}

    pick() >> [a(), b()] >> done()
