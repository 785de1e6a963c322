"""Mapped task groups: `@task_group` functions `.expand(...)`-ed over a list of inputs.

Every task inside runs once per map index; task `b[i]` depends on `a[i]` of the same group only
(the engine narrows upstream counting to the same index), and a task inside pulling another
group member's XCom gets that index's value. The function's mapped arguments are
`MappedArgument` placeholders that resolve, per instance, from the group's expand input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from riir_airflow.sdk.expandinput import DictOfListsExpandInput, ExpandInput
from riir_airflow.sdk.taskgroup import TaskGroup

__all__ = ["MappedArgument", "MappedTaskGroup", "mapped_task_group_of"]


class MappedTaskGroup(TaskGroup):
    is_mapped = True

    def __init__(self, *, expand_input: ExpandInput, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expand_input = expand_input

    def wire_input_dependencies(self) -> None:
        """The tasks producing the group's input come before the group's first tasks."""
        producers = [op for arg in self.expand_input.iter_references() for op, _ in arg.iter_references()]
        for root in self.get_roots():
            for producer in producers:
                root.set_upstream(producer)

    def resolve_input(self, context: Any) -> Any:
        return self.expand_input.resolve(context)


class MappedArgument:
    """One argument of a mapped task group's function; resolves per map index."""

    def __init__(self, group: MappedTaskGroup, name: str) -> None:
        self.group = group
        self.name = name

    def iter_references(self) -> Iterator[Any]:
        return self.group.expand_input.iter_references()

    def resolve(self, context: Any) -> Any:
        resolved = self.group.resolve_input(context)
        kwargs = self.group.expand_input.kwargs_at(resolved, context["ti"].map_index)
        if self.name not in kwargs:
            if isinstance(self.group.expand_input, DictOfListsExpandInput):
                raise KeyError(self.name)
            return None
        return kwargs[self.name]

    def __repr__(self) -> str:
        return f"MappedArgument({self.group.group_id}.{self.name})"


def mapped_task_group_of(task: Any) -> MappedTaskGroup | None:
    """The innermost mapped task group a task sits in, if any."""
    group = getattr(task, "task_group", None)
    while group is not None:
        if getattr(group, "is_mapped", False):
            return group
        group = group.parent_group
    return None
