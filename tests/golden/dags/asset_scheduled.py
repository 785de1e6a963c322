"""An asset-scheduled DAG (`schedule=[Asset(...), Asset(...)]`) run by hand with dag.test: it
runs like a manual run (data interval = [logical_date, logical_date]); triggering_asset_events is
empty; dag_run.run_type is manual; templates see the usual dates."""
import pendulum

from riir_airflow.sdk import DAG, Asset, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(
    dag_id="asset_scheduled",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=[Asset("golden_upstream_a"), Asset(uri="s3://golden/upstream_b")],
) as dag:

    @task
    def inspect(triggering_asset_events=None, dag_run=None, data_interval_start=None, data_interval_end=None):
        return {
            "events": len(triggering_asset_events),
            "manual": dag_run.run_type == "manual",
            "interval": [str(data_interval_start), str(data_interval_end)],
        }

    inspect() >> BashOperator(
        task_id="dates", bash_command="echo {{ ds }} {{ data_interval_start }} {{ data_interval_end }}"
    )
