"""Sensors in dag.test: @task.sensor returning PokeReturnValue (done at once, its xcom_value is
the XCom), a PythonSensor that succeeds on its first poke, and a PythonSensor that never succeeds
with timeout=1 s and soft_fail=True (skipped), whose downstream is skipped."""
import pendulum

from riir_airflow.sdk import DAG, PokeReturnValue, task
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.providers.standard.sensors.python import PythonSensor

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _ok(task):
    return task.task_id


with DAG(dag_id="sensors_basic", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task.sensor(poke_interval=1, timeout=10, mode="poke")
    def sensed(ds=None):
        return PokeReturnValue(is_done=True, xcom_value={"sensed": ds})

    ready = PythonSensor(task_id="ready", python_callable=lambda: True, poke_interval=1, timeout=10)
    never = PythonSensor(
        task_id="never",
        python_callable=lambda: False,
        poke_interval=0.5,
        timeout=1,
        soft_fail=True,
    )
    after_never = PythonOperator(task_id="after_never", python_callable=_ok)
    after_ready = PythonOperator(task_id="after_ready", python_callable=_ok)
    sensed() >> ready >> after_ready
    never >> after_never
