"""Airflow 2.x path `airflow.sensors.time_delta` (3.x: `airflow.providers.standard.sensors.time_delta`)."""

from riir_airflow.providers.standard.sensors.time_delta import (
    TimeDeltaSensor,
    TimeDeltaSensorAsync,
    WaitSensor,
)

__all__ = ["TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"]
