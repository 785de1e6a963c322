"""Airflow 2.x path `airflow.decorators`: the TaskFlow decorators."""

from riir_airflow.sdk.dag import dag
from riir_airflow.sdk.decorators import setup, task, task_group, teardown

__all__ = ["dag", "setup", "task", "task_group", "teardown"]
