"""Airflow 2.x path `airflow.triggers.base`."""

from riir_airflow.sdk.triggers import (
    BaseTrigger,
    TaskFailedEvent,
    TaskSkippedEvent,
    TaskSuccessEvent,
    TriggerEvent,
)

__all__ = ["BaseTrigger", "TaskFailedEvent", "TaskSkippedEvent", "TaskSuccessEvent", "TriggerEvent"]
