"""LatestOnlyOperator on a daily DAG: a manual run (dag.test creates one) is not skipped, so
the downstream tasks run; an all_done task after it too."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.latest_only import LatestOnlyOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(
    dag_id="op_latest_only",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    latest = LatestOnlyOperator(task_id="latest_only")
    work = BashOperator(task_id="work", bash_command="echo working {{ ds }}")
    always = BashOperator(task_id="after", bash_command="echo after", trigger_rule="all_done")
    latest >> work >> always
