"""Airflow 2.x path `airflow.utils.context`."""

from riir_airflow.sdk.context import Context, get_current_context

__all__ = ["Context", "get_current_context"]
