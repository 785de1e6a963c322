"""Airflow 2.x path `airflow.utils.types`."""

from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.types import NOTSET, ArgNotSet

__all__ = ["NOTSET", "ArgNotSet", "DagRunType"]
