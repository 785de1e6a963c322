"""`@task.external_python`: the function runs with an existing interpreter, `python=` (ExternalPythonOperator)."""

from __future__ import annotations

from riir_airflow.providers.standard.decorators.python import PythonCallableDecorated, python_decorator
from riir_airflow.providers.standard.operators.python_virtualenv import ExternalPythonOperator

__all__ = ["ExternalPythonDecoratedOperator", "external_python_task"]


class ExternalPythonDecoratedOperator(PythonCallableDecorated, ExternalPythonOperator):
    custom_operator_name = "@task.external_python"


external_python_task = python_decorator(ExternalPythonDecoratedOperator)
