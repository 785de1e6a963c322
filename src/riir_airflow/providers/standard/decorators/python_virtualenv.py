"""`@task.virtualenv`: the function runs in a virtualenv made for the task (PythonVirtualenvOperator)."""

from __future__ import annotations

from riir_airflow.providers.standard.decorators.python import PythonCallableDecorated, python_decorator
from riir_airflow.providers.standard.operators.python_virtualenv import PythonVirtualenvOperator

__all__ = ["PythonVirtualenvDecoratedOperator", "virtualenv_task"]


class PythonVirtualenvDecoratedOperator(PythonCallableDecorated, PythonVirtualenvOperator):
    custom_operator_name = "@task.virtualenv"


virtualenv_task = python_decorator(PythonVirtualenvDecoratedOperator)
