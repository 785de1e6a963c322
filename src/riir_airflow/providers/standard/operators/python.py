"""PythonOperator and its branching / short-circuit variants.

The callable receives `op_args` positionally and, as keyword arguments, `op_kwargs` plus every
context entry whose name matches one of its parameters (all of them when it takes `**kwargs`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar

from riir_airflow.sdk.baseoperator import BaseOperator
from riir_airflow.sdk.context import Context, context_merge, get_current_context
from riir_airflow.sdk.skipmixin import XCOM_SKIPMIXIN_KEY, BranchMixIn, SkipMixin

__all__ = [
    "BranchPythonOperator",
    "PythonOperator",
    "ShortCircuitOperator",
    "determine_kwargs",
    "get_current_context",
]

log = logging.getLogger("riir_airflow.task")


def determine_kwargs(
    python_callable: Callable[..., Any], args: Collection[Any], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyword arguments to call `python_callable` with, picked from `kwargs`."""
    signature = inspect.signature(python_callable)
    parameters = list(signature.parameters.items())
    positional: set[str] = set()  # the parameters op_args fill
    for name, param in parameters[: len(args)]:
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            break
        if name in kwargs:
            raise ValueError(f"The key {name!r} in args is a part of kwargs and therefore reserved.")
        positional.add(name)
    if any(p.kind is p.VAR_KEYWORD for _, p in parameters):
        return dict(kwargs)
    return {
        name: kwargs[name]
        for name, p in parameters
        if name in kwargs and name not in positional and p.kind is not p.VAR_POSITIONAL
    }


class PythonOperator(BaseOperator):
    """Run a Python callable; its return value becomes the `return_value` XCom."""

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")
    template_fields_renderers: ClassVar[dict[str, str]] = {"templates_dict": "json", "op_args": "py", "op_kwargs": "py"}
    ui_color = "#ffefeb"
    shallow_copy_attrs: Sequence[str] = ("python_callable", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        show_return_value_in_logs: bool = True,
        **kwargs: Any,
    ) -> None:
        if not callable(python_callable):
            raise TypeError("`python_callable` param must be callable")
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = op_args or ()
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict
        self.templates_exts = tuple(templates_exts) if templates_exts else None
        self.show_return_value_in_logs = show_return_value_in_logs

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        super().render_template_fields(context, jinja_env)
        if self.templates_exts and self.templates_dict:
            from riir_airflow.sdk.templating import render_value

            env = jinja_env or self.get_template_env()
            self.templates_dict = {
                k: render_value(v, context, env, template_ext=self.templates_exts)
                for k, v in self.templates_dict.items()
            }

    def execute(self, context: Context) -> Any:
        context_merge(context, self.op_kwargs, templates_dict=self.templates_dict)
        self.op_kwargs = determine_kwargs(self.python_callable, self.op_args, context)
        return_value = self.execute_callable()
        if self.show_return_value_in_logs:
            log.info("Done. Returned value was: %s", return_value)
        else:
            log.info("Done. Returned value not shown")
        return return_value

    def execute_callable(self) -> Any:
        return self.python_callable(*self.op_args, **self.op_kwargs)


class BranchPythonOperator(PythonOperator, BranchMixIn):
    """The callable returns the task id(s) (or TaskGroup id) to follow; other direct
    downstream tasks are skipped."""

    def execute(self, context: Context) -> Any:
        return self.do_branch(context, super().execute(context))


class ShortCircuitOperator(PythonOperator, SkipMixin):
    """Continue only when the callable returns a truthy value.

    Falsy: with `ignore_downstream_trigger_rules=True` every downstream task is skipped;
    with False only the direct downstream tasks are, and the rest follow their trigger rules.
    """

    inherits_from_skipmixin = True

    def __init__(self, *, ignore_downstream_trigger_rules: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules

    def execute(self, context: Context) -> Any:
        condition = super().execute(context)
        log.info("Condition result is %s", condition)
        if condition:
            log.info("Proceeding with downstream tasks...")
            return condition
        ti = context["ti"]
        skipped = ti.downstream_to_skip(transitive=self.ignore_downstream_trigger_rules)
        ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={"skipped": sorted(skipped)})
        ti.skip_tasks(sorted(skipped))
        return None


# The operators that run the callable in another interpreter live in python_virtualenv.py;
# importable from here as in Airflow, loaded on first use.
_IN_PYTHON_VIRTUALENV = (
    "BranchExternalPythonOperator",
    "BranchPythonVirtualenvOperator",
    "ExternalPythonOperator",
    "PythonVirtualenvOperator",
)


def __getattr__(name: str) -> Any:
    if name in _IN_PYTHON_VIRTUALENV:
        from riir_airflow.providers.standard.operators import python_virtualenv

        return getattr(python_virtualenv, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
