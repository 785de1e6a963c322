"""`@task` / `@task.python`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk.decorators import DecoratedOperator, task_decorator_factory

__all__ = ["PythonDecoratedOperator", "python_operator_kwargs", "python_task"]


def python_operator_kwargs(
    python_callable: Callable[..., Any], op_args: Any, op_kwargs: Any
) -> dict[str, Any]:
    """What a PythonOperator-based decorated operator passes up to PythonOperator.__init__."""
    return {"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs}


class PythonDecoratedOperator(DecoratedOperator, PythonOperator):
    custom_operator_name = "@task"

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


def python_task(
    python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
) -> Any:
    return task_decorator_factory(
        python_callable,
        decorated_operator_class=PythonDecoratedOperator,
        multiple_outputs=multiple_outputs,
        **kwargs,
    )
