"""Task-instance and DAG-run states, with Airflow's names.

The string values are the contract: they are what the store records, the REST API returns
and `dags test --output json` prints. `str(state)` is the bare value so templates and logs show
`success`, not `TaskInstanceState.SUCCESS`.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["FINISHED_TI_STATES", "UNFINISHED_TI_STATES", "DagRunState", "State", "TaskInstanceState"]


class TaskInstanceState(str, Enum):
    """States a task instance passes through (None, i.e. "no state yet", is `NONE` here)."""

    NONE = "none"
    REMOVED = "removed"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    RESTARTING = "restarting"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UP_FOR_RESCHEDULE = "up_for_reschedule"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    DEFERRED = "deferred"

    def __str__(self) -> str:
        return self.value


class DagRunState(str, Enum):
    """A run's state. Unlike task-instance states, `str()` gives `DagRunState.SUCCESS`, as it
    renders in Airflow 3 templates; compare with the plain value (`== "success"`)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


FINISHED_TI_STATES: frozenset[TaskInstanceState] = frozenset(
    {
        TaskInstanceState.SUCCESS,
        TaskInstanceState.FAILED,
        TaskInstanceState.SKIPPED,
        TaskInstanceState.UPSTREAM_FAILED,
        TaskInstanceState.REMOVED,
    }
)
UNFINISHED_TI_STATES: frozenset[TaskInstanceState] = frozenset(set(TaskInstanceState) - FINISHED_TI_STATES)


class State:
    """Airflow 2.x style namespace: `State.SUCCESS`, `State.finished`, ..."""

    NONE = None
    REMOVED = TaskInstanceState.REMOVED
    SCHEDULED = TaskInstanceState.SCHEDULED
    QUEUED = TaskInstanceState.QUEUED
    RUNNING = TaskInstanceState.RUNNING
    SUCCESS = TaskInstanceState.SUCCESS
    RESTARTING = TaskInstanceState.RESTARTING
    FAILED = TaskInstanceState.FAILED
    UP_FOR_RETRY = TaskInstanceState.UP_FOR_RETRY
    UP_FOR_RESCHEDULE = TaskInstanceState.UP_FOR_RESCHEDULE
    UPSTREAM_FAILED = TaskInstanceState.UPSTREAM_FAILED
    SKIPPED = TaskInstanceState.SKIPPED
    DEFERRED = TaskInstanceState.DEFERRED

    finished = frozenset(FINISHED_TI_STATES)
    unfinished = frozenset(UNFINISHED_TI_STATES)
    failed_states = frozenset({TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED})
    success_states = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED})
