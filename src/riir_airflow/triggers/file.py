"""Airflow 2.x path `airflow.triggers.file`."""

from riir_airflow.providers.standard.triggers.file import FileTrigger

__all__ = ["FileTrigger"]
