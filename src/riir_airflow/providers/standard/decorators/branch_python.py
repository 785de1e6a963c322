"""`@task.branch`: the function returns the task id(s) to follow."""

from __future__ import annotations

from riir_airflow.providers.standard.decorators.python import PythonCallableDecorated, python_decorator
from riir_airflow.providers.standard.operators.python import BranchPythonOperator

__all__ = ["BranchPythonDecoratedOperator", "branch_task"]


class BranchPythonDecoratedOperator(PythonCallableDecorated, BranchPythonOperator):
    custom_operator_name = "@task.branch"


branch_task = python_decorator(BranchPythonDecoratedOperator)
