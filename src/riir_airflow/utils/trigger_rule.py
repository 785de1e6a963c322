"""Airflow 2.x path `airflow.utils.trigger_rule`."""

from riir_airflow.sdk.trigger_rule import TriggerRule

__all__ = ["TriggerRule"]
