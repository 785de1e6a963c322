"""`@task.branch_external_python`: like `@task.external_python`; the function returns the task id(s) to follow."""

from __future__ import annotations

from riir_airflow.providers.standard.decorators.python import PythonCallableDecorated, python_decorator
from riir_airflow.providers.standard.operators.python_virtualenv import BranchExternalPythonOperator

__all__ = ["BranchExternalPythonDecoratedOperator", "branch_external_python_task"]


class BranchExternalPythonDecoratedOperator(PythonCallableDecorated, BranchExternalPythonOperator):
    custom_operator_name = "@task.branch_external_python"


branch_external_python_task = python_decorator(BranchExternalPythonDecoratedOperator)
