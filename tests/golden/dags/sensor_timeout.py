"""Sensor timeouts: a poke-mode PythonSensor that never succeeds (timeout=1 s, retries=2) fails
with try_number 1 (AirflowSensorTimeout is not retried); the same in reschedule mode; with
soft_fail=True (poke and reschedule) the sensor ends skipped (try 1) and its all_success
downstream is skipped; all_done / one_failed / none_failed downstreams."""
import datetime

import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.sensors.python import PythonSensor

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _never():
    return False


@task
def mark(**context):
    return context["ti"].task_id


with DAG(
    dag_id="sensor_timeout",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retries": 2, "retry_delay": datetime.timedelta(seconds=1)},
) as dag:
    hard = PythonSensor(task_id="hard_poke", python_callable=_never, poke_interval=0.3, timeout=1)
    hard_r = PythonSensor(
        task_id="hard_resched", python_callable=_never, poke_interval=1, timeout=2, mode="reschedule"
    )
    soft = PythonSensor(task_id="soft_poke", python_callable=_never, poke_interval=0.3, timeout=1, soft_fail=True)
    soft_r = PythonSensor(
        task_id="soft_resched",
        python_callable=_never,
        poke_interval=1,
        timeout=2,
        mode="reschedule",
        soft_fail=True,
    )
    hard >> mark.override(task_id="after_hard")()
    hard >> mark.override(task_id="after_hard_one_failed", trigger_rule="one_failed")()
    hard_r >> mark.override(task_id="after_hard_resched")()
    soft >> mark.override(task_id="after_soft")()
    soft >> mark.override(task_id="after_soft_none_failed", trigger_rule="none_failed")()
    soft_r >> mark.override(task_id="after_soft_resched")()
    [hard, soft] >> mark.override(task_id="after_both_all_done", trigger_rule="all_done")()
