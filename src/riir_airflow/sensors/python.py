"""Airflow 2.x path `airflow.sensors.python` (3.x: `airflow.providers.standard.sensors.python`)."""

from riir_airflow.providers.standard.sensors.python import PythonSensor

__all__ = ["PythonSensor"]
