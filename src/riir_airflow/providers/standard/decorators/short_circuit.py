"""`@task.short_circuit`: downstream continues only if the function returns a truthy value."""

from __future__ import annotations

from riir_airflow.providers.standard.decorators.python import PythonCallableDecorated, python_decorator
from riir_airflow.providers.standard.operators.python import ShortCircuitOperator

__all__ = ["ShortCircuitDecoratedOperator", "short_circuit_task"]


class ShortCircuitDecoratedOperator(PythonCallableDecorated, ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"


short_circuit_task = python_decorator(ShortCircuitDecoratedOperator)
