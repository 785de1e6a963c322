"""XComArg: a reference to a task's future XCom, usable as an argument and in `>>`.

Passing an XComArg to another task both creates the dependency and, at run time, resolves to
the pushed value. `str(xcom_arg)` gives the Jinja expression pulling it, so f-strings inside
templated fields (`bash_command=f"echo {t.output}"`) work as in Airflow.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Self

from riir_airflow.sdk.dependencies import DependencyMixin
from riir_airflow.sdk.types import NOTSET

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.context import Context

__all__ = ["XCOM_RETURN_KEY", "PlainXComArg", "XComArg", "iter_xcom_args"]

XCOM_RETURN_KEY = "return_value"


class XComArg(DependencyMixin):
    """`XComArg(task, key="return_value")`: the value `task` pushes under `key`.

    Subclasses: PlainXComArg (one task's XCom) and the transforms `.map(fn)`, `.zip(...)`,
    `.concat(...)`, which resolve to sequences and can feed `expand()`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> XComArg:  # noqa: PYI034 - XComArg(...) builds a PlainXComArg
        if cls is XComArg:
            return super().__new__(PlainXComArg)
        return super().__new__(cls)

    def resolve(self, context: Context) -> Any:
        raise NotImplementedError

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        raise NotImplementedError

    @property
    def roots(self) -> list[BaseOperator]:
        return [op for op, _ in self.iter_references()]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [op for op, _ in self.iter_references()]

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        for operator in self.roots:
            operator.set_upstream(other, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        for operator in self.leaves:
            operator.set_downstream(other, edge_modifier=edge_modifier)

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        """Apply `f` to each item when the value is used (lazily)."""
        return MapXComArg(self, [f])

    def zip(self, *others: XComArg, fillvalue: Any = NOTSET) -> ZipXComArg:
        """Pair items with the other values' items (stops at the shortest unless fillvalue)."""
        return ZipXComArg([self, *others], fillvalue=fillvalue)

    def concat(self, *others: XComArg) -> ConcatXComArg:
        """The items of this value followed by the others'."""
        return ConcatXComArg([self, *others])


def _items(value: Any) -> Sequence[Any]:
    """A value transforms can iterate. A dict is kept as is, as in Airflow 3.3: `.map()` then
    indexes it by position (each instance fails with KeyError) and `.concat()` takes its keys."""
    if isinstance(value, dict):
        return value  # type: ignore[return-value]
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"XCom value to map over must be a list or dict, got {type(value).__name__}")
    return value


class _MappedSequence(Sequence[Any]):
    """Items of a sequence passed through callables on access."""

    def __init__(self, values: Sequence[Any], callables: list[Callable[[Any], Any]]) -> None:
        self._values = values
        self._callables = callables

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        value = self._values[index]
        for f in self._callables:
            value = f(value)
        return value

    def __repr__(self) -> str:
        return f"_MappedSequence({list(self)!r})"


class MapXComArg(XComArg):
    def __init__(self, arg: XComArg, callables: list[Callable[[Any], Any]]) -> None:
        self.arg = arg
        self.callables = callables

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        yield from self.arg.iter_references()

    def map(self, f: Callable[[Any], Any]) -> MapXComArg:
        return MapXComArg(self.arg, [*self.callables, f])

    def resolve(self, context: Context) -> Any:
        return _MappedSequence(_items(self.arg.resolve(context)), self.callables)

    def __repr__(self) -> str:
        return f"{self.arg!r}.map([{len(self.callables)} functions])"


class ZipXComArg(XComArg):
    def __init__(self, args: list[XComArg], *, fillvalue: Any = NOTSET) -> None:
        self.args = args
        self.fillvalue = fillvalue

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        for arg in self.args:
            yield from arg.iter_references()

    def resolve(self, context: Context) -> Any:
        values = [_items(arg.resolve(context)) for arg in self.args]
        if self.fillvalue is NOTSET:
            return list(zip(*values))
        return list(itertools.zip_longest(*values, fillvalue=self.fillvalue))


class ConcatXComArg(XComArg):
    def __init__(self, args: list[XComArg]) -> None:
        self.args = args

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        for arg in self.args:
            yield from arg.iter_references()

    def concat(self, *others: XComArg) -> ConcatXComArg:
        return ConcatXComArg([*self.args, *others])

    def resolve(self, context: Context) -> Any:
        return list(itertools.chain.from_iterable(_items(arg.resolve(context)) for arg in self.args))


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

    def iter_references(self) -> Iterator[tuple[BaseOperator, str]]:
        yield self.operator, self.key

    def resolve(self, context: Context) -> Any:
        from riir_airflow.sdk.exceptions import XComNotFound

        ti = context["ti"]
        value = ti.xcom_pull(task_ids=self.operator.task_id, key=self.key, default=NOTSET)
        if value is not NOTSET:
            return value
        if self.key == XCOM_RETURN_KEY or getattr(self.operator, "multiple_outputs", False):
            return None
        raise XComNotFound(ti.dag_id, self.operator.task_id, self.key)

    def __enter__(self) -> Self:
        self.operator.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.operator.__exit__(*exc)

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
