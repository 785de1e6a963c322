"""Branching and short-circuiting: how an operator asks for downstream tasks to be skipped.

The authoring side only validates ids and expands TaskGroup ids to their root tasks; which
tasks end up skipped is the engine's decision (riir_airflow.engine), applied by the runtime
task instance (`ti.skip_all_except`, `ti.skip_downstream`). As in Airflow 3, the decision is
reported by raising DownstreamTasksSkipped, so the branching task ends `success` without a
`return_value` XCom, and records what it followed under the `skipmixin_key` XCom.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.baseoperator import BaseOperator
from riir_airflow.sdk.exceptions import AirflowException

if TYPE_CHECKING:
    from riir_airflow.sdk.context import Context

__all__ = ["XCOM_SKIPMIXIN_KEY", "BaseBranchOperator", "BranchMixIn", "SkipMixin"]

XCOM_SKIPMIXIN_KEY = "skipmixin_key"
XCOM_SKIPMIXIN_FOLLOWED = "followed"
XCOM_SKIPMIXIN_SKIPPED = "skipped"


class SkipMixin:
    """Skip downstream tasks of the running task."""

    def skip(self, ti: Any, tasks: Iterable[Any]) -> None:
        task_ids = [t if isinstance(t, str) else t.task_id for t in tasks]
        ti.skip_tasks(task_ids)

    def skip_all_except(self, ti: Any, branch_task_ids: None | str | Iterable[str]) -> None:
        """Follow only `branch_task_ids` (task or TaskGroup ids) among the direct downstreams."""
        task: BaseOperator = ti.task
        dag = task.dag
        if branch_task_ids is None:
            ids: list[str] = []
        elif isinstance(branch_task_ids, str):
            ids = [branch_task_ids]
        else:
            ids = list(branch_task_ids)
        for item in ids:
            if not isinstance(item, str):
                raise AirflowException(
                    f"'branch_task_ids' expected all task IDs are strings. Invalid tasks found: {item!r}."
                )
        followed: set[str] = set()
        for item in ids:
            if item in dag.task_group_dict:
                followed.update(t.task_id for t in dag.task_group_dict[item].get_roots())
            elif item in dag.task_dict:
                followed.add(item)
            else:
                raise AirflowException(
                    f"'branch_task_ids' must contain only valid task_ids. Invalid tasks found: {{{item!r}}}."
                )
        # As in Airflow, a followed id need not be a direct downstream task: it then keeps only
        # the direct downstream tasks that lead to it (usually none).
        ti.xcom_push(key=XCOM_SKIPMIXIN_KEY, value={XCOM_SKIPMIXIN_FOLLOWED: sorted(followed)})
        ti.skip_all_except(followed)


class BranchMixIn(SkipMixin):
    """Turn a branch choice into skips."""

    def do_branch(self, context: Context, branches_to_execute: None | str | Iterable[str]) -> Any:
        self.skip_all_except(context["ti"], branches_to_execute)
        return branches_to_execute


class BaseBranchOperator(BaseOperator, BranchMixIn):
    """Subclass and implement `choose_branch(context)` returning task id(s) to follow."""

    def choose_branch(self, context: Context) -> str | Iterable[str] | None:
        raise NotImplementedError

    def execute(self, context: Context) -> Any:
        return self.do_branch(context, self.choose_branch(context))
