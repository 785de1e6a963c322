"""`@task.branch_virtualenv`: like `@task.virtualenv`; the function returns the task id(s) to follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riir_airflow.providers.standard.operators.python_virtualenv import BranchPythonVirtualenvOperator
from riir_airflow.sdk.decorators import DecoratedOperator, task_decorator_factory

__all__ = ["BranchPythonVirtualenvDecoratedOperator", "branch_virtualenv_task"]


class BranchPythonVirtualenvDecoratedOperator(DecoratedOperator, BranchPythonVirtualenvOperator):
    custom_operator_name = "@task.branch_virtualenv"

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


def branch_virtualenv_task(
    python_callable: Callable[..., Any] | None = None, multiple_outputs: bool | None = None, **kwargs: Any
) -> Any:
    return task_decorator_factory(
        python_callable,
        decorated_operator_class=BranchPythonVirtualenvDecoratedOperator,
        multiple_outputs=multiple_outputs,
        **kwargs,
    )
