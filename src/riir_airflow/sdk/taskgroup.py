"""TaskGroups: a naming scope (ids prefixed `group.task`) and a unit for `>>`.

A group has no run-time existence: it prefixes ids, passes its `default_args` to the tasks
created inside it, and links its roots/leaves when it is on either side of `>>`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, Self

from riir_airflow.sdk.dependencies import DependencyMixin

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.dag import DAG

__all__ = ["TaskGroup", "TaskGroupContext"]

_GROUP_ID_RE = re.compile(r"^[\w-]+$")


class TaskGroup(DependencyMixin):
    """A group of tasks (and nested groups) inside one DAG."""

    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: DAG | None = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str | None = None,
    ) -> None:
        from riir_airflow.sdk.dag import DagContext

        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.children: dict[str, BaseOperator | TaskGroup] = {}
        self.upstream_group_ids: set[str] = set()
        self.downstream_group_ids: set[str] = set()
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()

        if group_id is None:  # the root group of a DAG
            if parent_group is not None:
                raise ValueError("Only the root TaskGroup may have group_id None")
            self._group_id: str | None = None
            self.parent_group = None
            self.dag = dag
            self.group_display_name = ""
            return

        if not isinstance(group_id, str) or not _GROUP_ID_RE.match(group_id):
            raise ValueError(
                f"The key {group_id!r} has to be made of alphanumeric characters, dashes and underscores exclusively"
            )
        parent_group = parent_group or TaskGroupContext.current()
        dag = dag or (parent_group.dag if parent_group else None) or DagContext.current()
        if dag is None:
            raise RuntimeError("TaskGroup can only be used inside a DAG")
        parent_group = parent_group or dag.task_group
        self.parent_group = parent_group
        self.dag = dag
        self._group_id = group_id
        if add_suffix_on_collision:
            self._group_id = self._unique_id(group_id)
        self.group_display_name = group_display_name or group_id
        # Defaults from the enclosing group apply unless overridden here.
        self.default_args = {**parent_group.default_args, **self.default_args}
        parent_group.add(self)

    def _unique_id(self, base: str) -> str:
        assert self.parent_group is not None and self.dag is not None
        candidate = base
        suffix = 0
        while self.parent_group.child_id(candidate) in self.dag.task_group_dict:
            suffix += 1
            candidate = f"{base}__{suffix}"
        return candidate

    # -- identity ---------------------------------------------------------------------------
    @property
    def is_root(self) -> bool:
        return self._group_id is None

    @property
    def group_id(self) -> str | None:
        if self._group_id is None:
            return None
        assert self.parent_group is not None
        if self.parent_group.group_id and self.parent_group.prefix_group_id:
            return f"{self.parent_group.group_id}.{self._group_id}"
        return self._group_id

    @property
    def label(self) -> str | None:
        return self._group_id

    @property
    def node_id(self) -> str | None:
        return self.group_id

    def child_id(self, label: str) -> str:
        """The full id a child called `label` gets inside this group."""
        if self.prefix_group_id and self.group_id:
            return f"{self.group_id}.{label}"
        return label

    def add(self, node: BaseOperator | TaskGroup) -> None:
        key = node.node_id
        assert key is not None
        if key in self.children:
            from riir_airflow.sdk.exceptions import DuplicateTaskIdFound

            kind = "TaskGroup" if isinstance(node, TaskGroup) else "Task"
            raise DuplicateTaskIdFound(f"{kind} id '{key}' has already been added to the DAG")
        if isinstance(node, TaskGroup):
            assert self.dag is not None
            if key in self.dag.task_group_dict:
                from riir_airflow.sdk.exceptions import DuplicateTaskIdFound

                raise DuplicateTaskIdFound(f"TaskGroup id '{key}' has already been added to the DAG")
            self.dag.task_group_dict[key] = node
        self.children[key] = node

    # -- membership ---------------------------------------------------------------------------
    def iter_tasks(self) -> list[BaseOperator]:
        """Every task in this group and its nested groups, in definition order."""
        out: list[BaseOperator] = []
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                out.extend(child.iter_tasks())
            else:
                out.append(child)
        return out

    def get_roots(self) -> list[BaseOperator]:
        tasks = self.iter_tasks()
        ids = {t.task_id for t in tasks}
        return [t for t in tasks if not (t.upstream_task_ids & ids)]

    def get_leaves(self) -> list[BaseOperator]:
        """The tasks where the group's work ends. A teardown at the end does not count: the
        work it tears down does (the nearest in-group upstream tasks that are neither setups nor
        teardowns and lead to no other work in the group), so `group >> next` waits for the
        work, not for the cleanup."""
        tasks = self.iter_tasks()
        by_id = {t.task_id: t for t in tasks}

        def feeds_other_work(task: BaseOperator, besides: str) -> bool:
            return any(
                d != besides and d in by_id and not by_id[d].is_teardown for d in task.downstream_task_ids
            )

        def work_before(teardown: BaseOperator) -> list[BaseOperator]:
            found: list[BaseOperator] = []
            for up_id in sorted(teardown.upstream_task_ids & by_id.keys()):
                up = by_id[up_id]
                if up.is_teardown:
                    found.extend(work_before(up))
                elif not up.is_setup and not feeds_other_work(up, teardown.task_id):
                    found.append(up)
            return found

        leaves: list[BaseOperator] = []
        for task in tasks:
            if task.downstream_task_ids & by_id.keys():
                continue
            for leaf in work_before(task) if task.is_teardown else [task]:
                if leaf not in leaves:
                    leaves.append(leaf)
        return leaves

    @property
    def roots(self) -> list[BaseOperator]:
        return self.get_roots()

    @property
    def leaves(self) -> list[BaseOperator]:
        return self.get_leaves()

    # -- dependencies -------------------------------------------------------------------------
    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        for root in self.get_roots():
            root.set_upstream(other, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        for leaf in self.get_leaves():
            leaf.set_downstream(other, edge_modifier=edge_modifier)

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self) -> Self:
        TaskGroupContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        TaskGroupContext.pop()

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"


class TaskGroupContext:
    """The stack of `with TaskGroup(...)` blocks currently open."""

    _stack: ClassVar[list[TaskGroup]] = []

    @classmethod
    def push(cls, group: TaskGroup) -> None:
        cls._stack.append(group)

    @classmethod
    def pop(cls) -> TaskGroup | None:
        return cls._stack.pop() if cls._stack else None

    @classmethod
    def current(cls) -> TaskGroup | None:
        return cls._stack[-1] if cls._stack else None
