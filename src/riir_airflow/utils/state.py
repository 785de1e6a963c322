"""Airflow 2.x path `airflow.utils.state`."""

from riir_airflow.sdk.state import DagRunState, State, TaskInstanceState

__all__ = ["DagRunState", "State", "TaskInstanceState"]
