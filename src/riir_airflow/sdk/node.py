"""What operators and mapped operators share as nodes of a DAG: identity and relationships.

A task's upstream/downstream ids, its DAG and TaskGroup membership, and `>>` handling are the
same whether the task is a plain operator or a mapped one (`op.partial(...).expand(...)`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from riir_airflow.sdk.dependencies import DependencyMixin

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.sdk.taskgroup import TaskGroup
    from riir_airflow.sdk.xcom_arg import XComArg

__all__ = ["TaskNode"]


class TaskNode(DependencyMixin):
    """Base of DAG tasks. Subclasses set task_id, _user_task_id, _dag, task_group, owner,
    priority_weight, weight_rule, upstream_task_ids and downstream_task_ids."""

    task_id: str
    _user_task_id: str
    _dag: DAG | None
    task_group: TaskGroup | None
    upstream_task_ids: set[str]
    downstream_task_ids: set[str]
    is_mapped: bool = False

    @property
    def mapped_task_group_id(self) -> str | None:
        """The innermost mapped task group this task runs in (once per map index), if any."""
        from riir_airflow.sdk.mappedtaskgroup import mapped_task_group_of

        group = mapped_task_group_of(self)
        return group.group_id if group is not None else None

    # -- identity ---------------------------------------------------------------------------
    @property
    def node_id(self) -> str:
        return self.task_id

    @property
    def label(self) -> str:
        """The task id without its group prefix (an operator may set its own `label`)."""
        return self.__dict__.get("_label_override", self._user_task_id)

    @label.setter
    def label(self, value: str) -> None:
        self.__dict__["_label_override"] = value

    @property
    def dag(self) -> DAG:
        if self._dag is None:
            from riir_airflow.sdk.exceptions import AirflowException

            raise AirflowException(f"Operator {self} has not been assigned to a DAG yet")
        return self._dag

    @dag.setter
    def dag(self, dag: DAG | None) -> None:
        if dag is None or dag is self._dag:
            return
        if self._dag is not None:
            raise ValueError(f"The DAG assigned to {self} can not be changed.")
        if self.task_group is None or self.task_group.dag is not dag:
            self.task_group = dag.task_group
        dag.add_task(self)
        self.task_group.add(self)
        self._dag = dag

    @property
    def has_dag(self) -> bool:
        return self._dag is not None

    @property
    def dag_id(self) -> str:
        return self._dag.dag_id if self._dag else f"adhoc_{self.owner}"

    @property
    def roots(self) -> list[TaskNode]:
        return [self]

    @property
    def leaves(self) -> list[TaskNode]:
        return [self]

    @property
    def output(self) -> XComArg:
        from riir_airflow.sdk.xcom_arg import XComArg

        return XComArg(self)

    def _set_relatives(self, other: Any, upstream: bool, edge_modifier: Any = None) -> None:
        from riir_airflow.sdk.edges import EdgeModifier

        nodes = other if isinstance(other, (list, tuple, set)) else [other]
        for node in nodes:
            if isinstance(node, EdgeModifier):
                if upstream:
                    node.set_downstream(self)
                else:
                    node.set_upstream(self)
                continue
            if not isinstance(node, DependencyMixin):
                raise TypeError(
                    f"Relationships can only be set between operators; received {type(node).__name__}"
                )
            targets = node.leaves if upstream else node.roots
            for task in targets:
                if not isinstance(task, TaskNode):
                    task = task.operator  # an XComArg's producing task
                self._link(task, upstream, edge_modifier)

    def _link(self, task: TaskNode, upstream: bool, edge_modifier: Any) -> None:
        dag = self._dag or task._dag
        if dag is None:
            raise ValueError(
                f"Tried to create relationships between tasks that don't have DAGs yet: {self}, {task}"
            )
        if self._dag is not None and task._dag is not None and self._dag is not task._dag:
            raise ValueError(f"Tried to set relationships between tasks in more than one DAG: {self}, {task}")
        self.dag = dag
        task.dag = dag
        up, down = (task, self) if upstream else (self, task)
        up.downstream_task_ids.add(down.task_id)
        down.upstream_task_ids.add(up.task_id)
        if edge_modifier is not None:
            edge_modifier.add_edge_info(dag, up.task_id, down.task_id)

    def set_upstream(self, other: Any, edge_modifier: Any = None) -> None:
        self._set_relatives(other, upstream=True, edge_modifier=edge_modifier)

    def set_downstream(self, other: Any, edge_modifier: Any = None) -> None:
        self._set_relatives(other, upstream=False, edge_modifier=edge_modifier)

    @property
    def upstream_list(self) -> list[TaskNode]:
        return [self.dag.task_dict[t] for t in sorted(self.upstream_task_ids)]

    @property
    def downstream_list(self) -> list[TaskNode]:
        return [self.dag.task_dict[t] for t in sorted(self.downstream_task_ids)]

    def get_direct_relative_ids(self, upstream: bool = False) -> set[str]:
        return set(self.upstream_task_ids if upstream else self.downstream_task_ids)

    def get_flat_relative_ids(self, *, upstream: bool = False) -> set[str]:
        """Every task reachable upstream (or downstream) of this one."""
        seen: set[str] = set()
        frontier = list(self.get_direct_relative_ids(upstream))
        while frontier:
            tid = frontier.pop()
            if tid in seen:
                continue
            seen.add(tid)
            frontier.extend(self.dag.task_dict[tid].get_direct_relative_ids(upstream))
        return seen

    @property
    def priority_weight_total(self) -> int:
        if self.weight_rule == "absolute" or self._dag is None:
            return self.priority_weight
        ids = self.get_flat_relative_ids(upstream=self.weight_rule == "upstream")
        return self.priority_weight + sum(self.dag.task_dict[t].priority_weight for t in ids)

    # -- `with teardown.as_teardown(setups=setup):` ---------------------------------------------
    def __enter__(self) -> Self:
        """A setup or teardown used as a context: tasks created in the block are its scope."""
        if not (getattr(self, "is_setup", False) or getattr(self, "is_teardown", False)):
            from riir_airflow.sdk.exceptions import AirflowException

            raise AirflowException("Only setup/teardown tasks can be used as context managers.")
        self.__dict__["_scope_known"] = set(self.dag.task_dict)
        return self

    def __exit__(self, *exc: object) -> None:
        known = self.__dict__.pop("_scope_known", set())
        if exc[0] is not None:
            return
        dag = self.dag
        new = [t for tid, t in dag.task_dict.items() if tid not in known and t is not self]
        new_ids = {t.task_id for t in new}
        roots = [t for t in new if not (t.upstream_task_ids & new_ids)]
        leaves = [t for t in new if not (t.downstream_task_ids & new_ids)]
        if getattr(self, "is_teardown", False):
            setups = [dag.task_dict[u] for u in sorted(self.upstream_task_ids) if dag.task_dict[u].is_setup]
            for setup in setups:
                for root in roots:
                    setup.set_downstream(root)
            for leaf in leaves:
                leaf.set_downstream(self)
        else:
            for root in roots:
                self.set_downstream(root)

