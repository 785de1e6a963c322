"""Airflow 2.x path `airflow.triggers.temporal`."""

from riir_airflow.providers.standard.triggers.temporal import DateTimeTrigger, TimeDeltaTrigger

__all__ = ["DateTimeTrigger", "TimeDeltaTrigger"]
