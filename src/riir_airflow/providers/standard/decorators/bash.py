"""`@task.bash`: the function returns the bash command to run (rendered as a template)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riir_airflow.providers.standard.decorators.python import python_decorator
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import determine_kwargs
from riir_airflow.sdk.context import Context, context_merge
from riir_airflow.sdk.decorators import DecoratedOperator

__all__ = ["BashDecoratedOperator", "bash_task"]


class BashDecoratedOperator(DecoratedOperator, BashOperator):
    custom_operator_name = "@task.bash"
    template_fields = (*BashOperator.template_fields, "op_args", "op_kwargs")

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
            # The command comes from the callable's return value at run time.
            kwargs_to_upstream={"bash_command": ""},
            **kwargs,
        )

    def execute(self, context: Context) -> Any:
        context_merge(context, self.op_kwargs)
        kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        command = self.python_callable(*self.op_args, **kwargs)
        if not isinstance(command, str) or not command.strip():
            raise TypeError("The returned value from the TaskFlow callable must be a non-empty string.")
        self.bash_command = self.render_template(command, context)
        context["ti"].record_rendered_field("bash_command", self.bash_command)
        return super().execute(context)


bash_task = python_decorator(BashDecoratedOperator)
