"""Airflow 2.x path `airflow.models.param`."""

from riir_airflow.sdk.params import DagParam, Param, ParamsDict

__all__ = ["DagParam", "Param", "ParamsDict"]
