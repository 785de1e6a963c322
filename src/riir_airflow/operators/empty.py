"""Airflow 2.x path `airflow.operators.empty` (3.x: `airflow.providers.standard.operators.empty`)."""

from riir_airflow.providers.standard.operators.empty import (
    EmptyOperator,
)

__all__ = [
    "EmptyOperator",
]
