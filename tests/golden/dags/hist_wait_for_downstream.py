"""wait_for_downstream over manual runs: the previous run's DIRECT downstream tasks of the task
must be success or skipped too (and wait_for_downstream implies depends_on_past).

`extract` (wait_for_downstream) >> `transform` >> `load`. Runs: 03-05 all ok; 03-06 `transform`
skips itself (`load` skipped); 03-07 `extract` runs (previous downstream skipped is fine),
`transform` FAILS (`load` upstream_failed); 03-08: `extract` waits for the failed `transform` of
03-07 forever (stalled; see README), `monitor` (no past deps) runs.
"""
import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.sdk.exceptions import AirflowSkipException
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00", "conf": {"transform": "ok"}},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"transform": "skip"}},
        {"logical_date": "2024-03-07T00:00:00+00:00", "conf": {"transform": "fail"}},
        {"logical_date": "2024-03-08T00:00:00+00:00", "conf": {"transform": "ok"}},
    ]
}


with DAG(
    dag_id="hist_wait_for_downstream",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    extract = BashOperator(task_id="extract", bash_command="echo extract {{ ds }}", wait_for_downstream=True)

    @task
    def transform(params=None, ds=None):
        if params["transform"] == "skip":
            raise AirflowSkipException("nothing to transform")
        if params["transform"] == "fail":
            raise ValueError("transform failed")
        return f"transformed {ds}"

    load = BashOperator(task_id="load", bash_command="echo load {{ ds }}")
    monitor = BashOperator(
        task_id="monitor",
        bash_command="echo 'last good run: {{ prev_data_interval_start_success }}'",
    )
    extract >> transform() >> load
