"""Airflow 2.x path `airflow.sensors.time_sensor` (3.x: `airflow.providers.standard.sensors.time`)."""

from riir_airflow.providers.standard.sensors.time import TimeSensor

__all__ = ["TimeSensor"]
