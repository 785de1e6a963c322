"""Airflow 2.x path `airflow.operators.branch` (3.x: `airflow.providers.standard.operators.branch`)."""

from riir_airflow.providers.standard.operators.branch import (
    BaseBranchOperator,
    BranchMixIn,
)

__all__ = [
    "BaseBranchOperator",
    "BranchMixIn",
]
