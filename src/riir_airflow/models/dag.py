"""Airflow 2.x path `airflow.models.dag`."""

from riir_airflow.sdk.dag import DAG, dag

__all__ = ["DAG", "dag"]
