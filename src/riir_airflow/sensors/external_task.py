"""Airflow 2.x path `airflow.sensors.external_task` (3.x: `airflow.providers.standard.sensors.external_task`)."""

from riir_airflow.providers.standard.sensors.external_task import ExternalTaskMarker, ExternalTaskSensor

__all__ = ["ExternalTaskMarker", "ExternalTaskSensor"]
