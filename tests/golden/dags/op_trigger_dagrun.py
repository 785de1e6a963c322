"""TriggerDagRunOperator in dag.test, targeting this same DAG id with a fixed trigger_run_id
(no other DAG is needed in the metadata DB)."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {}}


def _pull(ti):
    return {"trigger_run_id": ti.xcom_pull(task_ids="trigger", key="trigger_run_id")}


with DAG(dag_id="op_trigger_dagrun", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    trig = TriggerDagRunOperator(
        task_id="trigger",
        trigger_dag_id="op_trigger_dagrun",
        trigger_run_id="triggered_{{ ds_nodash }}",
        conf={"from": "{{ ds }}"},
        logical_date="{{ logical_date + macros.timedelta(days=1) }}",
    )
    pull = PythonOperator(task_id="pull", python_callable=_pull)
    trig >> pull
