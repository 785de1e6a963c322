"""depends_on_past on a catchup=True DAG whose runs are all manual (dag.test): Airflow compares
with the previous SCHEDULED run (run_type != manual), and there is none, so the task runs even
after its previous manual run failed.

Runs: 03-05 ok, 03-06 `flaky` FAILS, 03-07 `flaky` runs anyway (ok), 03-08 ok.
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
        {"logical_date": "2024-03-08T00:00:00+00:00"},
    ]
}


def _flaky(params, ds):
    if params.get("fail"):
        raise ValueError("flaky failed")
    return f"flaky ok {ds}"


with DAG(
    dag_id="hist_depends_on_past_catchup",
    start_date=pendulum.datetime(2024, 3, 1, tz="UTC"),
    schedule="@daily",
    catchup=True,
) as dag:
    flaky = PythonOperator(task_id="flaky", python_callable=_flaky, depends_on_past=True)
    after = BashOperator(
        task_id="after",
        bash_command="echo after {{ ds }} prev_ok={{ prev_data_interval_start_success }}",
        depends_on_past=True,
        wait_for_downstream=True,
    )
    flaky >> after
