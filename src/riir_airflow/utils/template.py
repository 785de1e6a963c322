"""Airflow 2.x path `airflow.utils.template`."""

from riir_airflow.sdk.templating import literal

__all__ = ["literal"]
