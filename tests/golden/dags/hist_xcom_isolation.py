"""XCom isolation between runs: a task that did not run in this run has no XCom here, even when
it pushed in an earlier run; include_prior_dates=True finds the earlier run's value.

A branch runs `producer` only when conf {"produce": true}. `consumer` (none_failed) always runs.
Runs: 03-05 produce, 03-06 not, 03-07 produce, 03-08 not. TaskFlow and classic pulls, plus a
TaskFlow argument from a skipped producer's output (consumer_arg: skipped with it).
"""
import pendulum

from riir_airflow.sdk import DAG, task

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00", "conf": {"produce": True}},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"produce": False}},
        {"logical_date": "2024-03-07T00:00:00+00:00", "conf": {"produce": True}},
        {"logical_date": "2024-03-08T00:00:00+00:00", "conf": {"produce": False}},
    ]
}


with DAG(
    dag_id="hist_xcom_isolation",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:

    @task.branch
    def choose(params=None):
        return "producer" if params["produce"] else "skip_marker"

    @task
    def producer(ds=None, ti=None):
        ti.xcom_push(key="stamp", value=f"stamp {ds}")
        return f"produced {ds}"

    @task
    def skip_marker():
        return "nothing produced"

    @task(trigger_rule="none_failed")
    def consumer(ti=None):
        return {
            "this_run": ti.xcom_pull(task_ids="producer"),
            "this_run_stamp": ti.xcom_pull(task_ids="producer", key="stamp"),
            "prior": ti.xcom_pull(task_ids="producer", include_prior_dates=True),
            "prior_stamp": ti.xcom_pull(task_ids="producer", key="stamp", include_prior_dates=True),
            "marker_this_run": ti.xcom_pull(task_ids="skip_marker"),
            "marker_prior": ti.xcom_pull(task_ids="skip_marker", include_prior_dates=True),
        }

    @task
    def consumer_arg(value):
        return f"got {value}"

    p = producer()
    c = choose()
    c >> [p, skip_marker()] >> consumer()
    consumer_arg(p)
