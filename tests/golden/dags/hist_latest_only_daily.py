"""LatestOnlyOperator over a sequence of manual runs of an `@daily` DAG: every manual run passes,
whatever its logical date relative to the other runs and to now (03-05, 03-06, 03-07, an older
02-01 and a future 2099-01-01), so `work` always runs and `latest_only` pushes ["work"].
"""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.latest_only import LatestOnlyOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00"},
        {"logical_date": "2024-03-06T00:00:00+00:00"},
        {"logical_date": "2024-03-07T00:00:00+00:00"},
        {"logical_date": "2024-02-01T00:00:00+00:00"},
        {"logical_date": "2099-01-01T00:00:00+00:00"},
    ]
}

with DAG(
    dag_id="hist_latest_only_daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
    catchup=False,
) as dag:
    latest = LatestOnlyOperator(task_id="latest_only")
    work = BashOperator(
        task_id="work",
        bash_command="echo '{{ ds }} {{ dag_run.run_type }} manual={{ dag_run.run_type == \"manual\" }}'",
    )
    after = BashOperator(task_id="after", bash_command="echo after {{ ds }}", trigger_rule="all_done")
    side = BashOperator(task_id="side", bash_command="echo side {{ ds }}")
    # one direct downstream only: with two, the order of the followed ids in latest_only's
    # XCom is a set's iteration order in Airflow (["work", "side"] or ["side", "work"])
    latest >> work >> [after, side]
