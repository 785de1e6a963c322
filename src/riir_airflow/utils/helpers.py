"""Airflow 2.x path `airflow.utils.helpers` (only the linking helpers DAG files import)."""

from riir_airflow.sdk.dependencies import chain, cross_downstream

__all__ = ["chain", "cross_downstream"]
