"""Airflow 2.x path `airflow.models.xcom_arg`."""

from riir_airflow.sdk.xcom_arg import PlainXComArg, XComArg

__all__ = ["PlainXComArg", "XComArg"]
