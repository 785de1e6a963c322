"""`@task.branch_virtualenv`: like `@task.virtualenv`; the function returns the task id(s) to follow."""

from __future__ import annotations

from riir_airflow.providers.standard.decorators.python import PythonCallableDecorated, python_decorator
from riir_airflow.providers.standard.operators.python_virtualenv import BranchPythonVirtualenvOperator

__all__ = ["BranchPythonVirtualenvDecoratedOperator", "branch_virtualenv_task"]


class BranchPythonVirtualenvDecoratedOperator(PythonCallableDecorated, BranchPythonVirtualenvOperator):
    custom_operator_name = "@task.branch_virtualenv"


branch_virtualenv_task = python_decorator(BranchPythonVirtualenvDecoratedOperator)
