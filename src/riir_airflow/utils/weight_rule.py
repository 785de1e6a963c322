"""Airflow 2.x path `airflow.utils.weight_rule`."""

from riir_airflow.sdk.weight_rule import WeightRule

__all__ = ["WeightRule"]
