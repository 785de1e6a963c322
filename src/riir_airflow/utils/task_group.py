"""Airflow 2.x path `airflow.utils.task_group`."""

from riir_airflow.sdk.taskgroup import TaskGroup

__all__ = ["TaskGroup"]
