"""Airflow 2.x path `airflow.models.xcom` (the constant providers import)."""

from riir_airflow.sdk.xcom_arg import XCOM_RETURN_KEY

__all__ = ["XCOM_RETURN_KEY"]
