"""Typed records the store keeps: DAG runs, task instances, XComs, logs, variables, connections,
asset events and deferred tasks' triggers.

These are the messages that cross the runtime <-> store boundary (and, later, the app <-> broker
wire), defined once. Datetimes are timezone-aware UTC. XCom values travel as JSON text produced
by `riir_airflow.sdk.serde`, so a store never needs to understand them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.sdk.state import DagRunState, TaskInstanceState

__all__ = [
    "AssetEventRecord",
    "ConnectionRecord",
    "DagRunAlreadyExists",
    "DagRunRecord",
    "DeferralRecord",
    "TaskInstanceRecord",
    "VariableRecord",
    "XComRecord",
]


class DagRunAlreadyExists(Exception):
    """A run with the same (dag_id, run_id), or the same (dag_id, logical_date), exists."""


@dataclass(slots=True)
class DagRunRecord:
    dag_id: str
    run_id: str
    run_type: str  # "manual" | "scheduled" | "backfill" | "asset_triggered"
    state: DagRunState
    run_after: datetime.datetime
    logical_date: datetime.datetime | None = None
    data_interval_start: datetime.datetime | None = None
    data_interval_end: datetime.datetime | None = None
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    conf: dict[str, Any] = field(default_factory=dict)
    triggered_by: str | None = None
    note: str | None = None
    clear_number: int = 0


@dataclass(slots=True)
class TaskInstanceRecord:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    state: TaskInstanceState = TaskInstanceState.NONE
    try_number: int = 0
    max_tries: int = 0
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    # When an up_for_retry / up_for_reschedule instance may run again.
    next_attempt_at: datetime.datetime | None = None
    operator: str = ""
    pool: str = "default_pool"
    queue: str = "default"
    priority_weight: int = 1
    hostname: str = ""
    # Set when the engine skipped or failed the task without running it, or from the error.
    note: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.task_id, self.map_index)


@dataclass(slots=True)
class XComRecord:
    dag_id: str
    run_id: str
    task_id: str
    key: str
    value: str  # JSON text (riir_airflow.sdk.serde)
    map_index: int = -1
    timestamp: datetime.datetime | None = None
    logical_date: datetime.datetime | None = None  # filled by the store on read


@dataclass(slots=True)
class ConnectionRecord:
    conn_id: str
    conn_type: str | None = None
    description: str | None = None
    host: str | None = None
    login: str | None = None
    password: str | None = None
    schema: str | None = None
    port: int | None = None
    extra: str | None = None  # JSON text


@dataclass(slots=True)
class VariableRecord:
    key: str
    value: str
    description: str | None = None


@dataclass(slots=True)
class AssetEventRecord:
    """One update of an asset: what a successful task with the asset in its outlets emits.

    `id` and (when None) `timestamp` are filled by the store. `source_aliases` names the asset
    aliases the event was emitted through (empty for a plain outlet).
    """

    name: str
    uri: str
    group: str = "asset"
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-compatible
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_task_id: str | None = None
    source_map_index: int = -1
    source_aliases: list[str] = field(default_factory=list)
    timestamp: datetime.datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class DeferralRecord:
    """The trigger a deferred task instance waits on, kept so a restarted DAG app resumes it.

    One per task instance (the latest deferral wins). `classpath` and `trigger_kwargs` rebuild
    the trigger (`BaseTrigger.serialize()`; the kwargs as `riir_airflow.sdk.serde` JSON text);
    `method_name` and `kwargs` (serde JSON text, None for none) are what the task resumes with
    once the trigger fires; `timeout_at` is when the deferral times out (None: never). Like
    XCom values, the JSON texts are opaque to the store.
    """

    dag_id: str
    run_id: str
    task_id: str
    classpath: str
    trigger_kwargs: str  # JSON text (riir_airflow.sdk.serde)
    method_name: str
    map_index: int = -1
    try_number: int = 0
    kwargs: str | None = None  # JSON text (riir_airflow.sdk.serde)
    timeout_at: datetime.datetime | None = None
