"""Airflow 2.x path `airflow.sensors.bash` (3.x: `airflow.providers.standard.sensors.bash`)."""

from riir_airflow.providers.standard.sensors.bash import BashSensor

__all__ = ["BashSensor"]
