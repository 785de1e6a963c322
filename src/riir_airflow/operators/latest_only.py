"""Airflow 2.x path `airflow.operators.latest_only` (3.x: `airflow.providers.standard.operators.latest_only`)."""

from riir_airflow.providers.standard.operators.latest_only import (
    LatestOnlyOperator,
)

__all__ = [
    "LatestOnlyOperator",
]
