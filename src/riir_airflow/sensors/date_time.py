"""Airflow 2.x path `airflow.sensors.date_time` (3.x: `airflow.providers.standard.sensors.date_time`)."""

from riir_airflow.providers.standard.sensors.date_time import DateTimeSensor, DateTimeSensorAsync

__all__ = ["DateTimeSensor", "DateTimeSensorAsync"]
