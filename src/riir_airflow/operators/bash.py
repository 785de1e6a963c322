"""Airflow 2.x path `airflow.operators.bash` (3.x: `airflow.providers.standard.operators.bash`)."""

from riir_airflow.providers.standard.operators.bash import (
    BashOperator,
    run_bash,
)

__all__ = [
    "BashOperator",
    "run_bash",
]
