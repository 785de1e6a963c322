"""Airflow 2.x path `airflow.operators.python` (3.x: `airflow.providers.standard.operators.python`)."""

from riir_airflow.providers.standard.operators.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
    get_current_context,
)

__all__ = ["BranchPythonOperator", "PythonOperator", "ShortCircuitOperator", "get_current_context"]
