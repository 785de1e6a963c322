"""XComArg: a reference to a task's future XCom, usable as an argument and in `>>`.

Passing an XComArg to another task both creates the dependency and, at run time, resolves to
the pushed value. `str(xcom_arg)` gives the Jinja expression pulling it, so f-strings inside
templated fields (`bash_command=f"echo {t.output}"`) work as in Airflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.dependencies import DependencyMixin

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.context import Context

__all__ = ["XCOM_RETURN_KEY", "PlainXComArg", "XComArg", "iter_xcom_args"]

XCOM_RETURN_KEY = "return_value"


class XComArg(DependencyMixin):
    """`XComArg(task, key="return_value")`: the value `task` pushes under `key`."""

    def __new__(cls, *args: Any, **kwargs: Any) -> XComArg:  # noqa: PYI034 - XComArg(...) builds a PlainXComArg
        if cls is XComArg:
            return super().__new__(PlainXComArg)
        return super().__new__(cls)

    def resolve(self, context: Context) -> Any:
        raise NotImplementedError

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        raise NotImplementedError


class PlainXComArg(XComArg):
    def __init__(self, operator: BaseOperator, key: str = XCOM_RETURN_KEY) -> None:
        self.operator = operator
        self.key = key

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PlainXComArg) and other.operator is self.operator and other.key == self.key
        )

    def __hash__(self) -> int:
        return hash((id(self.operator), self.key))

    def __getitem__(self, key: str) -> PlainXComArg:
        if self.key != XCOM_RETURN_KEY:
            raise ValueError("XComArg only supports one level of indexing")
        return PlainXComArg(self.operator, key)

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("'XComArg' object is not iterable")

    def __repr__(self) -> str:
        if self.key == XCOM_RETURN_KEY:
            return f"XComArg({self.operator!r})"
        return f"XComArg({self.operator!r}, {self.key!r})"

    def __str__(self) -> str:
        return (
            f"{{{{ task_instance.xcom_pull(task_ids='{self.operator.task_id}', "
            f"dag_id='{self.operator.dag_id}', key='{self.key}') }}}}"
        )

    @property
    def roots(self) -> list[BaseOperator]:
        return [self.operator]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [self.operator]

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        self.operator.set_upstream(other, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        self.operator.set_downstream(other, edge_modifier=edge_modifier)

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        yield self.operator, self.key

    def resolve(self, context: Context) -> Any:
        from riir_airflow.sdk.exceptions import XComNotFound
        from riir_airflow.sdk.types import NOTSET

        ti = context["ti"]
        value = ti.xcom_pull(task_ids=self.operator.task_id, key=self.key, default=NOTSET)
        if value is not NOTSET:
            return value
        if self.key == XCOM_RETURN_KEY or getattr(self.operator, "multiple_outputs", False):
            return None
        raise XComNotFound(ti.dag_id, self.operator.task_id, self.key)

    # Setup/teardown sugar on the produced task.
    def as_setup(self) -> PlainXComArg:
        self.operator.as_setup()
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> PlainXComArg:
        self.operator.as_teardown(setups=setups, on_failure_fail_dagrun=on_failure_fail_dagrun)
        return self


def iter_xcom_args(value: Any) -> Iterator[XComArg]:
    """Every XComArg nested in a value (lists, tuples, sets, dicts), for wiring dependencies."""
    if isinstance(value, XComArg):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from iter_xcom_args(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_xcom_args(item)
