"""`@task.short_circuit`: downstream continues only if the function returns a truthy value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riir_airflow.providers.standard.decorators.python import python_operator_kwargs
from riir_airflow.providers.standard.operators.python import ShortCircuitOperator
from riir_airflow.sdk.decorators import DecoratedOperator, task_decorator_factory

__all__ = ["ShortCircuitDecoratedOperator", "short_circuit_task"]


class ShortCircuitDecoratedOperator(DecoratedOperator, ShortCircuitOperator):
    custom_operator_name = "@task.short_circuit"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Any = None,
        op_kwargs: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            kwargs_to_upstream=python_operator_kwargs(python_callable, op_args, op_kwargs),
            **kwargs,
        )


def short_circuit_task(
    python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
) -> Any:
    return task_decorator_factory(
        python_callable,
        decorated_operator_class=ShortCircuitDecoratedOperator,
        multiple_outputs=multiple_outputs,
        **kwargs,
    )
