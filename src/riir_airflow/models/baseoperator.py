"""Airflow 2.x path `airflow.models.baseoperator`."""

from riir_airflow.sdk.baseoperator import BaseOperator, chain, chain_linear, cross_downstream

__all__ = ["BaseOperator", "chain", "chain_linear", "cross_downstream"]
