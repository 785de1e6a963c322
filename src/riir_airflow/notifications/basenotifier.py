"""Airflow 2.x path `airflow.notifications.basenotifier`."""

from riir_airflow.sdk.notifier import BaseNotifier

__all__ = ["BaseNotifier"]
