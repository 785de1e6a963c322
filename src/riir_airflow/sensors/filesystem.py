"""Airflow 2.x path `airflow.sensors.filesystem` (3.x: `airflow.providers.standard.sensors.filesystem`)."""

from riir_airflow.providers.standard.sensors.filesystem import FileSensor

__all__ = ["FileSensor"]
