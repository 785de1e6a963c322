"""Edge labels: `a >> Label("yes") >> b` annotates the edge a->b without adding a node."""

from __future__ import annotations

from typing import Any

from riir_airflow.sdk.dependencies import DependencyMixin

__all__ = ["EdgeModifier", "Label"]


class EdgeModifier(DependencyMixin):
    """A pass-through node: records the nodes on each side, then links them with its label."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[Any] = []
        self._downstream: list[Any] = []

    @property
    def roots(self) -> list[Any]:
        return self._downstream

    @property
    def leaves(self) -> list[Any]:
        return self._upstream

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        others = other if isinstance(other, (list, tuple, set)) else [other]
        for node in others:
            self._upstream.append(node)
            for down in self._downstream:
                node.set_downstream(down, edge_modifier=self)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        others = other if isinstance(other, (list, tuple, set)) else [other]
        for node in others:
            self._downstream.append(node)
            for up in self._upstream:
                up.set_downstream(node, edge_modifier=self)

    def add_edge_info(self, dag: Any, upstream_id: str, downstream_id: str) -> None:
        dag.set_edge_info(upstream_id, downstream_id, {"label": self.label})


def Label(label: str) -> EdgeModifier:
    """An edge label shown between two tasks."""
    return EdgeModifier(label)
