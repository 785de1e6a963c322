"""`>>`, `<<`, `chain`, `cross_downstream`, `chain_linear`: how nodes get connected.

Everything that can sit on either side of `>>` (operators, task groups, XComArgs, edge labels)
implements `DependencyMixin`: it names its `roots` (what an upstream edge attaches to) and
`leaves` (what a downstream edge leaves from). Lists on either side fan out or in.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

__all__ = ["DependencyMixin", "chain", "chain_linear", "cross_downstream"]


class DependencyMixin:
    """Mixin for nodes that can be linked with `>>`/`<<`."""

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        raise NotImplementedError

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        raise NotImplementedError

    def __rshift__(self, other: Any) -> Any:
        self.set_downstream(other)
        return other

    def __lshift__(self, other: Any) -> Any:
        self.set_upstream(other)
        return other

    def __rrshift__(self, other: Any) -> DependencyMixin:
        # [a, b] >> self
        self.__lshift__(other)
        return self

    def __rlshift__(self, other: Any) -> DependencyMixin:
        # [a, b] << self
        self.__rshift__(other)
        return self


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, DependencyMixin):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    raise TypeError(f"Cannot link {value!r}: expected a task, task group, XComArg or a list of them")


def chain(*elements: Any) -> None:
    """Link elements one after the other; two adjacent lists link pairwise (equal lengths)."""
    for up, down in itertools.pairwise(elements):
        up_is_node = isinstance(up, DependencyMixin)
        down_is_node = isinstance(down, DependencyMixin)
        if up_is_node and down_is_node:
            up.set_downstream(down)
        elif up_is_node:
            for d in _as_list(down):
                up.set_downstream(d)
        elif down_is_node:
            for u in _as_list(up):
                u.set_downstream(down)
        else:
            ups, downs = _as_list(up), _as_list(down)
            if len(ups) != len(downs):
                raise ValueError(
                    f"Chain not supported for different length Iterable. Got {len(ups)} and {len(downs)}."
                )
            for u, d in zip(ups, downs):
                u.set_downstream(d)


def chain_linear(*elements: Any) -> None:
    """Link every node of each element to every node of the next element."""
    from riir_airflow.sdk.edges import EdgeModifier

    if len(elements) < 2:
        raise ValueError("No dependencies were set. Did you forget to expand with `*`?")
    if any(isinstance(node, EdgeModifier) for element in elements for node in _as_list(element)):
        raise ValueError("Labels are not supported by chain_linear")
    for up, down in itertools.pairwise(elements):
        for u in _as_list(up):
            for d in _as_list(down):
                u.set_downstream(d)


def cross_downstream(from_tasks: Sequence[Any], to_tasks: Any) -> None:
    """Make every task of `to_tasks` downstream of every task of `from_tasks`."""
    for task in from_tasks:
        task.set_downstream(to_tasks)
