"""Deferrable variants of the time sensors (targets in the past, or a second ahead):
DateTimeSensorAsync with a templated past target (defers, the trigger fires at once, XCom null),
the same with end_from_trigger=True, TimeDeltaSensor(deferrable=True) whose target is in the past
(returns True without deferring: XCom true), TimeDeltaSensorAsync (deprecated alias), the
synchronous TimeDeltaSensor (XCom null), WaitSensor (1 s, not deferrable; the deferrable one is in
defer_dagtest_quirks), and an async sensor in reschedule mode; all_success join after them."""
import datetime

import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.sensors.date_time import DateTimeSensor, DateTimeSensorAsync
from riir_airflow.providers.standard.sensors.time_delta import TimeDeltaSensor, TimeDeltaSensorAsync, WaitSensor

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@task
def summary(**context):
    return context["ti"].task_id


with DAG(dag_id="defer_sensors_async", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    dt_async = DateTimeSensorAsync(task_id="dt_async", target_time="{{ logical_date.add(hours=1) }}")
    dt_async_end = DateTimeSensorAsync(
        task_id="dt_async_end_from_trigger", target_time="{{ data_interval_end }}", end_from_trigger=True
    )
    dt_sync = DateTimeSensor(task_id="dt_sync", target_time="{{ ds }}T00:00:00+00:00", poke_interval=1)
    td_deferrable = TimeDeltaSensor(task_id="td_deferrable", delta=datetime.timedelta(minutes=5), deferrable=True)
    td_async = TimeDeltaSensorAsync(task_id="td_async", delta=datetime.timedelta(minutes=5))
    td_sync = TimeDeltaSensor(task_id="td_sync", delta=datetime.timedelta(minutes=5), poke_interval=1)
    wait_sync = WaitSensor(task_id="wait_sync", time_to_wait=datetime.timedelta(seconds=1))
    dt_resched = DateTimeSensorAsync(
        task_id="dt_async_reschedule", target_time="2024-01-01T00:00:00+00:00", mode="reschedule"
    )
    [dt_async, dt_async_end, dt_sync, td_deferrable, td_async, td_sync, wait_sync, dt_resched] >> summary()
