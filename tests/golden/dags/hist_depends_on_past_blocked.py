"""A middle run fails, and depends_on_past blocks the task in the next run (catchup off).

Runs: 03-05 ok; 03-06 `flaky` FAILS (`after` upstream_failed); 03-07: `flaky`'s previous TI
(03-06) failed, so it never starts: Airflow's dag.test() waits forever ("No tasks to run"
every second; dagrun_timeout is not checked by dag.test). The golden pins the run as it stands
then (see README: "stalled"): run `running`, `flaky` and `after` with no state, while
`independent` (no depends_on_past) ran and saw 03-05 as the previous successful run.
Then 02-28, earlier than every run: no previous run by logical date, so nothing blocks it.
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00", "conf": {"fail": True}},
        {"logical_date": "2024-03-07T00:00:00+00:00"},
        {"logical_date": "2024-02-28T00:00:00+00:00"},
    ]
}


def _flaky(params, ds):
    if params.get("fail"):
        raise ValueError("flaky failed")
    return f"flaky ok {ds}"


with DAG(
    dag_id="hist_depends_on_past_blocked",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    flaky = PythonOperator(task_id="flaky", python_callable=_flaky, depends_on_past=True)
    after = BashOperator(task_id="after", bash_command="echo after {{ ds }}")
    independent = BashOperator(
        task_id="independent",
        bash_command="echo 'prev ok: {{ prev_data_interval_start_success }}, prev start: {{ prev_start_date_success }}'",
    )
    flaky >> after
