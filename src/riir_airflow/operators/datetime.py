"""Airflow 2.x path `airflow.operators.datetime`."""

from riir_airflow.providers.standard.operators.datetime import BranchDateTimeOperator

__all__ = ["BranchDateTimeOperator"]
