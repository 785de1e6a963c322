"""`@task` / `@task.python`, and the base of every TaskFlow decorator built on PythonOperator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk.decorators import DecoratedOperator, task_decorator_factory

__all__ = ["PythonCallableDecorated", "PythonDecoratedOperator", "python_decorator", "python_task"]


class PythonCallableDecorated(DecoratedOperator):
    """Mixed in before a PythonOperator subclass: the callable and its arguments are also
    what PythonOperator itself is built with."""

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
            kwargs_to_upstream={
                "python_callable": python_callable,
                "op_args": op_args,
                "op_kwargs": op_kwargs,
            },
            **kwargs,
        )


def python_decorator(operator_class: type[DecoratedOperator]) -> Callable[..., Any]:
    """The `@task.<kind>` factory for a decorated operator class."""

    def factory(
        python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
    ) -> Any:
        return task_decorator_factory(
            python_callable,
            decorated_operator_class=operator_class,
            multiple_outputs=multiple_outputs,
            **kwargs,
        )

    return factory


class PythonDecoratedOperator(PythonCallableDecorated, PythonOperator):
    custom_operator_name = "@task"


python_task = python_decorator(PythonDecoratedOperator)
