"""Messages of the cross-DAG operations (`riir_airflow.store.cross_dag`) between app and broker.

`POST /internal/v1/cross/count` (CrossCount -> CrossCountAnswer), `/cross/run-state`
(CrossRunState -> CrossRunStateAnswer), `/cross/trigger` (CrossTrigger -> CrossTriggerAnswer).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from riir_airflow.store.records import DagRunRecord

__all__ = [
    "CrossCount",
    "CrossCountAnswer",
    "CrossRunState",
    "CrossRunStateAnswer",
    "CrossTrigger",
    "CrossTriggerAnswer",
]


@dataclass(slots=True)
class CrossCount:
    """Count runs (`what` "dag_runs") or task instances ("task_instances") of another DAG."""

    what: str
    dag_id: str
    logical_dates: list[datetime.datetime] | None = None
    run_ids: list[str] | None = None
    task_ids: list[str] | None = None
    task_group_id: str | None = None
    states: list[str] | None = None


@dataclass(slots=True)
class CrossCountAnswer:
    count: int


@dataclass(slots=True)
class CrossRunState:
    dag_id: str
    run_id: str


@dataclass(slots=True)
class CrossRunStateAnswer:
    state: str | None = None  # None: no such run


@dataclass(slots=True)
class CrossTrigger:
    """Create `run` (queued) for another DAG; its app is told at once. `replace` deletes an
    existing run of the same id first."""

    run: DagRunRecord
    replace: bool = False


@dataclass(slots=True)
class CrossTriggerAnswer:
    run: DagRunRecord
