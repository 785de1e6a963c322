"""Airflow 2.x path `airflow.decorators`: the TaskFlow decorators."""

from riir_airflow.sdk.decorators import setup, task, task_group, teardown
from riir_airflow.sdk.dag import dag

__all__ = ["dag", "task", "task_group", "setup", "teardown"]
