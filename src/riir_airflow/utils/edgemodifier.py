"""Airflow 2.x path `airflow.utils.edgemodifier`."""

from riir_airflow.sdk.edges import EdgeModifier, Label

__all__ = ["EdgeModifier", "Label"]
