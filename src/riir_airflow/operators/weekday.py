"""Airflow 2.x path `airflow.operators.weekday`."""

from riir_airflow.providers.standard.operators.weekday import BranchDayOfWeekOperator

__all__ = ["BranchDayOfWeekOperator"]
