"""Airflow 2.x path `airflow.exceptions` (3.x: `airflow.sdk.exceptions`)."""

from riir_airflow.sdk.exceptions import *
from riir_airflow.sdk.exceptions import __all__  # noqa: F401
