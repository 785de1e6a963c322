"""Airflow 2.x path `airflow.sensors.weekday` (3.x: `airflow.providers.standard.sensors.weekday`)."""

from riir_airflow.providers.standard.sensors.weekday import DayOfWeekSensor

__all__ = ["DayOfWeekSensor"]
