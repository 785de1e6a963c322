"""depends_on_past after a failure that is fixed by re-running the failed logical date.

Runs: 03-05 ok; 03-06 `load` FAILS (its downstream upstream_failed, the run failed); 03-06
again with the fix: dag.test replaces the failed run at that logical date, and `load`'s
depends_on_past looks at 03-05 (success); 03-07 ok, its previous run (by logical date) is the
replacement 03-06. `report` renders the prev_*_success values: the failed run never counts.
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"fail": True}},
        {"logical_date": "2024-03-06T00:00:00+00:00"},
        {"logical_date": "2024-03-07T00:00:00+00:00"},
    ]
}


def _load(params, ds):
    if params.get("fail"):
        raise ValueError("load failed")
    return f"loaded {ds}"


with DAG(
    dag_id="hist_depends_on_past_rerun",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    extract = BashOperator(task_id="extract", bash_command="echo extract {{ ds }}", depends_on_past=True)
    load = PythonOperator(task_id="load", python_callable=_load, depends_on_past=True)
    publish = BashOperator(task_id="publish", bash_command="echo publish {{ ds }}", depends_on_past=True)
    report = BashOperator(
        task_id="report",
        bash_command="echo 'prev ok: {{ prev_data_interval_start_success }} / {{ prev_start_date_success }}'",
    )
    extract >> load >> publish
