"""Airflow 2.x path `airflow.sensors.base`."""

from riir_airflow.sdk.sensors import BaseSensorOperator, PokeReturnValue

__all__ = ["BaseSensorOperator", "PokeReturnValue"]
