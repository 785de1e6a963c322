"""Dynamic task mapping: `Op.partial(**fixed).expand(**mapped)` and TaskFlow's
`fn.partial(...).expand(...)` / `.expand_kwargs(...)`.

A MappedOperator is one task of the DAG (one node for `>>`, trigger rules and the engine) that
the runtime expands, once its upstream XComs exist, into one task instance per map index. Each
instance runs a plain operator built by `unmap(kwargs)` from the fixed and the mapped arguments.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.baseoperator import _as_timedelta, _merged_default_args, operator_defaults
from riir_airflow.sdk.dag import DagContext, validate_key
from riir_airflow.sdk.expandinput import DictOfListsExpandInput, ExpandInput, ListOfDictsExpandInput
from riir_airflow.sdk.node import TaskNode
from riir_airflow.sdk.taskgroup import TaskGroupContext
from riir_airflow.sdk.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator

__all__ = ["MappedOperator", "OperatorPartial", "is_unmapping", "unmapping"]

_UNMAPPING: contextvars.ContextVar[bool] = contextvars.ContextVar("riir_unmapping", default=False)


@contextlib.contextmanager
def unmapping() -> Iterator[None]:
    """While building an instance's operator: no DAG registration, no dependency wiring."""
    token = _UNMAPPING.set(True)
    try:
        yield
    finally:
        _UNMAPPING.reset(token)


def is_unmapping() -> bool:
    return _UNMAPPING.get()


class OperatorPartial:
    """What `Op.partial(...)` returns: call `.expand(...)` or `.expand_kwargs(...)` on it."""

    def __init__(
        self, operator_class: type[BaseOperator], kwargs: dict[str, Any], mapped_into: str | None = None
    ) -> None:
        if "task_id" not in kwargs:
            raise TypeError("partial() missing required argument: 'task_id'")
        self.operator_class = operator_class
        self.kwargs = kwargs
        self.mapped_into = mapped_into

    def expand(self, **mapped_kwargs: Any) -> Any:
        if not mapped_kwargs:
            raise TypeError("no arguments to expand against")
        overlap = set(mapped_kwargs) & set(self._fixed_names())
        if overlap:
            raise TypeError(f"fixed arguments cannot be mapped too: {sorted(overlap)}")
        return self._create(DictOfListsExpandInput(dict(mapped_kwargs)))

    def expand_kwargs(self, kwargs: Any) -> Any:
        return self._create(ListOfDictsExpandInput(kwargs))

    def _fixed_names(self) -> list[str]:
        if self.mapped_into is not None:
            return list(self.kwargs.get(self.mapped_into) or {})
        return list(self.kwargs)

    def _create(self, expand_input: ExpandInput) -> Any:
        from riir_airflow.sdk.xcom_arg import XComArg

        op = MappedOperator(
            operator_class=self.operator_class,
            partial_kwargs=dict(self.kwargs),
            expand_input=expand_input,
            mapped_into=self.mapped_into,
        )
        return XComArg(op) if self.mapped_into is not None else op


class MappedOperator(TaskNode):
    """A task expanded at run time into instances `task_id[0..n-1]`."""

    is_mapped = True

    def __init__(
        self,
        *,
        operator_class: type[BaseOperator],
        partial_kwargs: dict[str, Any],
        expand_input: ExpandInput,
        mapped_into: str | None,
    ) -> None:
        self.operator_class = operator_class
        self.expand_input = expand_input
        self.mapped_into = mapped_into
        dag = partial_kwargs.pop("dag", None) or DagContext.current()
        group = partial_kwargs.pop("task_group", None) or TaskGroupContext.current()
        self.default_args = _merged_default_args({"dag": dag, "task_group": group, **partial_kwargs})
        partial_kwargs.pop("default_args", None)
        self.partial_kwargs = partial_kwargs
        task_id = partial_kwargs.pop("task_id")
        validate_key(task_id, "task_id")
        self._user_task_id = task_id
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._dag = None
        if group is not None and dag is not None and group.dag is not dag:
            group = None
        self.task_group = group
        self.task_id = group.child_id(task_id) if group is not None else task_id
        if dag is not None:
            self.dag = dag
        for arg in [*expand_input.iter_references(), *self._partial_references()]:
            for operator, _ in arg.iter_references():
                self.set_upstream(operator)

    def _partial_references(self) -> list[Any]:
        from riir_airflow.sdk.xcom_arg import iter_xcom_args

        return list(iter_xcom_args(list(self.partial_kwargs.values())))

    # -- what the engine and runner read (fixed arguments, else default_args, else defaults) --
    def _arg(self, name: str, default: Any = None) -> Any:
        if name in self.partial_kwargs:
            return self.partial_kwargs[name]
        return self.default_args.get(name, default)

    @property
    def trigger_rule(self) -> TriggerRule:
        return TriggerRule.canonical(self._arg("trigger_rule", TriggerRule.ALL_SUCCESS))

    @property
    def retries(self) -> int:
        value = self._arg("retries")
        return operator_defaults()["retries"] if value is None else int(value)

    @property
    def retry_delay(self) -> datetime.timedelta:
        value = self._arg("retry_delay")
        return operator_defaults()["retry_delay"] if value is None else _as_timedelta(value)  # type: ignore[return-value]

    @property
    def retry_exponential_backoff(self) -> float | bool:
        return self._arg("retry_exponential_backoff", 0)

    @property
    def max_retry_delay(self) -> datetime.timedelta | None:
        return _as_timedelta(self._arg("max_retry_delay"))

    owner = property(lambda self: self._arg("owner") or operator_defaults()["owner"])
    priority_weight = property(lambda self: self._arg("priority_weight", 1))
    weight_rule = property(lambda self: self._arg("weight_rule") or operator_defaults()["weight_rule"])
    pool = property(lambda self: self._arg("pool") or "default_pool")
    queue = property(lambda self: self._arg("queue") or operator_defaults()["queue"])
    depends_on_past = property(lambda self: bool(self._arg("depends_on_past", False)))
    max_active_tis_per_dag = property(lambda self: self._arg("max_active_tis_per_dag"))
    is_setup = False
    is_teardown = False
    on_failure_fail_dagrun = False

    @property
    def template_fields(self) -> Any:
        return self.operator_class.template_fields

    @property
    def task_type(self) -> str:
        return self.operator_class.__name__

    @property
    def operator_name(self) -> str:
        return getattr(self.operator_class, "custom_operator_name", None) or self.operator_class.__name__

    @property
    def params(self) -> Any:
        from riir_airflow.sdk.params import ParamsDict

        return ParamsDict(self._arg("params") or {})

    @property
    def multiple_outputs(self) -> bool:
        return bool(self._arg("multiple_outputs", False))

    # -- expansion ----------------------------------------------------------------------------
    def unmap(self, mapped: dict[str, Any]) -> BaseOperator:
        """The plain operator of one instance, with that instance's mapped arguments."""
        kwargs = dict(self.partial_kwargs)
        if self.mapped_into is not None:
            kwargs[self.mapped_into] = {**(kwargs.get(self.mapped_into) or {}), **mapped}
        else:
            kwargs.update(mapped)
        with unmapping():
            op = self.operator_class(task_id=self.task_id, default_args=self.default_args, **kwargs)
        op._dag = self._dag
        op.task_group = self.task_group
        op.upstream_task_ids = set(self.upstream_task_ids)
        op.downstream_task_ids = set(self.downstream_task_ids)
        return op

    def __repr__(self) -> str:
        return f"<Mapped({self.operator_class.__name__}): {self.task_id}>"
