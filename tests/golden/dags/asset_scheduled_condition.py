"""A DAG scheduled on an asset condition, `(Asset(a) | Asset(b)) & Asset(c)`, run by hand with
dag.test: runs like a manual run (conf {}); a task with an outlet on one of its own schedule assets
(dag.test does not start another run)."""
import pendulum

from riir_airflow.sdk import DAG, Asset, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

a, b, c = Asset("golden_cond_a"), Asset("golden_cond_b"), Asset("golden_cond_c")

with DAG(
    dag_id="asset_scheduled_condition",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=(a | b) & c,
) as dag:

    @task(outlets=[a])
    def touch_a(outlet_events=None):
        outlet_events[a].extra = {"touched": True}
        return "touched"

    @task
    def describe(dag_run=None, ds=None):
        return {"ds": ds, "manual": dag_run.run_type == "manual", "conf": dag_run.conf}

    touch_a() >> describe()
