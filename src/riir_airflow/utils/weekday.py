"""Airflow 2.x path `airflow.utils.weekday`."""

from riir_airflow.providers.standard.utils.weekday import WeekDay

__all__ = ["WeekDay"]
