"""Request and response models of the task-instance, log, XCom, source, version, event-log and
import-error endpoints, in Airflow 3's shapes (see `schemas.py` for the conventions)."""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from riir_airflow.broker.api.schemas import BatchListBody, DagVersionResponse, Datetime, StrictBody

__all__ = [
    "ClearTaskInstanceCollectionResponse",
    "ClearTaskInstancesBody",
    "DAGSourceResponse",
    "DAGVersionCollectionResponse",
    "EventLogCollectionResponse",
    "EventLogResponse",
    "ImportErrorCollectionResponse",
    "ImportErrorResponse",
    "PatchTaskInstanceBody",
    "StructuredLogMessage",
    "TaskInstanceCollectionResponse",
    "TaskInstanceHistoryCollectionResponse",
    "TaskInstanceHistoryResponse",
    "TaskInstanceResponse",
    "TaskInstanceStateName",
    "TaskInstancesBatchBody",
    "TaskInstancesLogResponse",
    "XComCollectionResponse",
    "XComCreateBody",
    "XComResponse",
    "XComResponseNative",
    "XComResponseString",
    "XComUpdateBody",
]


class TaskInstanceStateName(enum.StrEnum):
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


class _TaskInstanceFields(BaseModel):
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    start_date: Datetime = None
    end_date: Datetime = None
    duration: float | None = None
    state: TaskInstanceStateName | None = None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None = None
    unixname: str | None = None
    pool: str
    pool_slots: int = 1
    queue: str | None = None
    priority_weight: int | None = None
    operator: str | None = None
    operator_name: str | None = None
    queued_when: Datetime = None
    scheduled_when: Datetime = None
    pid: int | None = None
    executor: str | None = None
    executor_config: str = "{}"
    dag_version: DagVersionResponse | None = None


class TaskInstanceResponse(_TaskInstanceFields):
    id: uuid.UUID
    logical_date: Datetime = None
    run_after: datetime.datetime
    note: str | None = None
    rendered_map_index: str | None = None
    rendered_fields: dict[str, Any] | None = None
    trigger: dict[str, Any] | None = None
    triggerer_job: dict[str, Any] | None = None


class TaskInstanceCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceResponse]
    total_entries: int


class ClearTaskInstanceCollectionResponse(BaseModel):
    """What a dry-run clear would clear."""

    task_instances: list[TaskInstanceResponse]
    total_entries: int


class TaskInstanceHistoryResponse(_TaskInstanceFields):
    pass


class TaskInstanceHistoryCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceHistoryResponse]
    total_entries: int


class PatchTaskInstanceBody(StrictBody):
    new_state: TaskInstanceStateName | None = None
    note: str | None = Field(default=None, max_length=1000)
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False


class ClearTaskInstancesBody(StrictBody):
    dry_run: bool = True
    start_date: Datetime = None
    end_date: Datetime = None
    only_failed: bool = True
    only_running: bool = False
    reset_dag_runs: bool = True
    task_ids: list[str | tuple[str, int]] | None = None
    dag_run_id: str | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False
    run_on_latest_version: bool | None = None
    prevent_running_task: bool = False
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _airflow_refusals(cls, data: Any) -> Any:
        """Airflow's refusals (422 `Value error, ...`), judged as Airflow does on the body as
        sent, before its fields: options that exclude each other (only_failed with only_running,
        dag_run_id with a date), dates out of order, an empty task_ids list."""
        if not isinstance(data, dict):
            return data
        start, end, run = data.get("start_date"), data.get("end_date"), data.get("dag_run_id")
        if data.get("only_failed") and data.get("only_running"):
            raise ValueError("only_failed and only_running both are set to True")
        if start and end and _later(start, end):
            raise ValueError("end_date is sooner than start_date")
        if run and (start or end):
            which = "(start_date and end_date)" if start and end else "start_date" if start else "end_date"
            raise ValueError(f"Exactly one of dag_run_id or {which} must be provided")
        if isinstance(data.get("task_ids"), list) and not data["task_ids"]:
            raise ValueError("task_ids list should have at least 1 element.")
        return data


_DATETIME: TypeAdapter[datetime.datetime] = TypeAdapter(datetime.datetime)


def _later(start: Any, end: Any) -> bool:
    """Whether `start` is after `end` (False when either is no date: its field reports that)."""
    try:
        return _DATETIME.validate_python(start) > _DATETIME.validate_python(end)
    except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        return False


class TaskInstancesBatchBody(BatchListBody):
    dag_ids: list[str] | None = None
    dag_run_ids: list[str] | None = None
    task_ids: list[str] | None = None
    state: list[TaskInstanceStateName | None] | None = None
    pool: list[str] | None = None
    queue: list[str] | None = None
    executor: list[str] | None = None


class StructuredLogMessage(BaseModel):
    """One log line: `event` is its text; more keys may follow (Airflow's structured logs)."""

    model_config = ConfigDict(extra="allow")
    timestamp: Datetime = None
    event: str


class TaskInstancesLogResponse(BaseModel):
    content: list[StructuredLogMessage] | list[str]
    continuation_token: str | None = None


class XComResponse(BaseModel):
    key: str
    timestamp: datetime.datetime
    logical_date: Datetime = None
    map_index: int
    task_id: str
    dag_id: str
    run_id: str
    dag_display_name: str
    task_display_name: str
    run_after: datetime.datetime


class XComResponseNative(XComResponse):
    value: Any


class XComResponseString(XComResponse):
    value: str | None = None


class XComCollectionResponse(BaseModel):
    xcom_entries: list[XComResponse]
    total_entries: int


class XComCreateBody(StrictBody):
    key: str = Field(min_length=1)
    value: Any
    map_index: int = -1


class XComUpdateBody(StrictBody):
    value: Any
    map_index: int = -1


class DAGSourceResponse(BaseModel):
    content: str | None = None
    dag_id: str
    version_number: int | None = None
    dag_display_name: str


class DAGVersionCollectionResponse(BaseModel):
    dag_versions: list[DagVersionResponse]
    total_entries: int


class EventLogResponse(BaseModel):
    event_log_id: int
    when: datetime.datetime
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    event: str
    logical_date: Datetime = None
    owner: str | None = None
    extra: str | None = None
    dag_display_name: str | None = None
    task_display_name: str | None = None


class EventLogCollectionResponse(BaseModel):
    event_logs: list[EventLogResponse]
    total_entries: int


class ImportErrorResponse(BaseModel):
    import_error_id: int
    timestamp: datetime.datetime
    filename: str
    bundle_name: str | None = None
    stack_trace: str


class ImportErrorCollectionResponse(BaseModel):
    import_errors: list[ImportErrorResponse]
    total_entries: int
