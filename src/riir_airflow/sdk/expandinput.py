"""What a mapped task is expanded over, and the arithmetic of map indexes.

`expand(a=[1, 2], b=["x", "y"])` maps over the cross product (the last argument varies
fastest: index 1 is a=1, b="y"); `expand_kwargs([...])` maps over a list of keyword dicts.
Values may be literals or XComArgs; the runtime resolves XComArgs to the pushed lists/dicts
(a mapped upstream's values come as a lazy sequence) and then asks these objects for the
number of instances and for each instance's keyword arguments. A dict maps to its
`(key, value)` items.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from riir_airflow.sdk.exceptions import UnmappableXComTypePushed
from riir_airflow.sdk.xcom_arg import XComArg, iter_xcom_args

__all__ = ["DictOfListsExpandInput", "ExpandInput", "ListOfDictsExpandInput", "is_mappable_value"]


def is_mappable_value(value: Any) -> bool:
    from riir_airflow.sdk.lazy_sequence import LazyXComSequence

    return isinstance(value, (dict, LazyXComSequence)) or (
        isinstance(value, Sequence) and not isinstance(value, (str, bytes))
    )


def _as_sequence(name: str, value: Any) -> Sequence[Any]:
    if isinstance(value, Mapping):
        return list(value.items())
    if not is_mappable_value(value):
        raise UnmappableXComTypePushed(value)
    return value


@dataclass
class DictOfListsExpandInput:
    """`expand(name=values, ...)`: one instance per combination of the values."""

    value: dict[str, Any]

    def iter_references(self) -> Iterator[XComArg]:
        yield from iter_xcom_args(self.value)

    def resolve(self, context: Any) -> dict[str, Sequence[Any]]:
        resolved = {}
        for name, value in self.value.items():
            if isinstance(value, XComArg):
                value = value.resolve(context)
            resolved[name] = _as_sequence(name, value)
        return resolved

    @staticmethod
    def length(resolved: dict[str, Sequence[Any]]) -> int:
        return math.prod(len(v) for v in resolved.values()) if resolved else 0

    @staticmethod
    def kwargs_at(resolved: dict[str, Sequence[Any]], index: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in reversed(list(resolved)):  # the last argument varies fastest
            values = resolved[name]
            index, position = divmod(index, len(values))
            out[name] = values[position]
        return dict(reversed(list(out.items())))


@dataclass
class ListOfDictsExpandInput:
    """`expand_kwargs(list_of_dicts)`: one instance per dict."""

    value: Any

    def iter_references(self) -> Iterator[XComArg]:
        yield from iter_xcom_args(self.value)

    def resolve(self, context: Any) -> Sequence[Any]:
        value = self.value.resolve(context) if isinstance(self.value, XComArg) else self.value
        if not is_mappable_value(value) or isinstance(value, Mapping):
            raise UnmappableXComTypePushed(value)
        return value

    @staticmethod
    def length(resolved: Sequence[Any]) -> int:
        return len(resolved)

    @staticmethod
    def kwargs_at(resolved: Sequence[Any], index: int) -> dict[str, Any]:
        item = resolved[index]
        if isinstance(item, XComArg):
            raise TypeError("expand_kwargs items must be dicts, not XComArgs")
        if not isinstance(item, Mapping):
            raise TypeError(
                f"expand_kwargs() expects a list of dicts, got an item of type {type(item).__name__}"
            )
        return dict(item)


ExpandInput = DictOfListsExpandInput | ListOfDictsExpandInput
