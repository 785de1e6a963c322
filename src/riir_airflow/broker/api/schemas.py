"""Request and response models of the DAG and DAG-run endpoints, in Airflow 3's shapes.

The names are Airflow's schema names, so `/openapi.json` reads like Airflow's spec, and the
fields are those the `apache-airflow-client` (3.3) models expect: every response carries every
field (None when riir has nothing to say), bodies refuse unknown fields (`extra="forbid"`, 422).
"""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BatchListBody",
    "DAGCollectionResponse",
    "DAGDetailsResponse",
    "DAGPatchBody",
    "DAGResponse",
    "DAGRunClearBody",
    "DAGRunCollectionResponse",
    "DAGRunPatchBody",
    "DAGRunResponse",
    "DAGRunsBatchBody",
    "DAGTagCollectionResponse",
    "DagRunMutableState",
    "DagRunStateName",
    "DagStatsCollectionResponse",
    "DagTagResponse",
    "DagVersionResponse",
    "StrictBody",
    "TriggerDAGRunPostBody",
]

Datetime = datetime.datetime | None


class StrictBody(BaseModel):
    """A request body: unknown fields are refused (422), as Airflow's bodies do."""

    model_config = ConfigDict(extra="forbid")


class DagRunStateName(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class DagRunMutableState(enum.StrEnum):
    """The states a run may be set to through the API."""

    QUEUED = "queued"
    SUCCESS = "success"
    FAILED = "failed"


class DagTagResponse(BaseModel):
    name: str
    dag_id: str
    dag_display_name: str


class DAGTagCollectionResponse(BaseModel):
    tags: list[str]
    total_entries: int


class DagVersionResponse(BaseModel):
    id: uuid.UUID
    version_number: int
    dag_id: str
    bundle_name: str | None = None
    bundle_version: str | None = None
    created_at: datetime.datetime
    dag_display_name: str
    bundle_url: str | None = None


class DAGResponse(BaseModel):
    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool
    last_parsed_time: Datetime = None
    last_parse_duration: float | None = None
    last_expired: Datetime = None
    bundle_name: str | None = None
    bundle_version: str | None = None
    relative_fileloc: str | None = None
    fileloc: str
    description: str | None = None
    timetable_summary: str | None = None
    timetable_description: str | None = None
    timetable_periodic: bool = False
    timetable_partitioned: bool = False
    tags: list[DagTagResponse]
    max_active_tasks: int
    max_active_runs: int | None = None
    max_consecutive_failed_dag_runs: int
    has_task_concurrency_limits: bool
    has_import_errors: bool
    next_dagrun_logical_date: Datetime = None
    next_dagrun_data_interval_start: Datetime = None
    next_dagrun_data_interval_end: Datetime = None
    next_dagrun_run_after: Datetime = None
    allowed_run_types: list[str] | None = None
    owners: list[str]
    is_backfillable: bool
    file_token: str


class DAGDetailsResponse(DAGResponse):
    catchup: bool
    dag_run_timeout: str | None = None
    asset_expression: dict[str, Any] | None = None
    doc_md: str | None = None
    start_date: Datetime = None
    end_date: Datetime = None
    is_paused_upon_creation: bool | None = None
    params: dict[str, Any] | None = None
    render_template_as_native_obj: bool = False
    template_search_path: list[str] | None = None
    timezone: str | None = None
    last_parsed: Datetime = None
    default_args: dict[str, Any] | None = None
    owner_links: dict[str, str] | None = None
    is_favorite: bool = False
    active_runs_count: int = 0
    concurrency: int
    latest_dag_version: DagVersionResponse | None = None
    rerun_with_latest_version: bool | None = None


class DAGCollectionResponse(BaseModel):
    dags: list[DAGResponse]
    total_entries: int


class DAGPatchBody(StrictBody):
    is_paused: bool


class DAGRunResponse(BaseModel):
    dag_run_id: str
    dag_id: str
    logical_date: Datetime = None
    queued_at: Datetime = None
    start_date: Datetime = None
    end_date: Datetime = None
    duration: float | None = None
    data_interval_start: Datetime = None
    data_interval_end: Datetime = None
    run_after: datetime.datetime
    last_scheduling_decision: Datetime = None
    run_type: str
    state: DagRunStateName
    triggered_by: str | None = None
    triggering_user_name: str | None = None
    conf: dict[str, Any] | None = None
    note: str | None = None
    dag_versions: list[DagVersionResponse]
    bundle_version: str | None = None
    dag_display_name: str
    partition_key: str | None = None
    partition_date: Datetime = None


class DAGRunCollectionResponse(BaseModel):
    dag_runs: list[DAGRunResponse]
    total_entries: int


class TriggerDAGRunPostBody(StrictBody):
    """`logical_date` must be given (it may be null), as in Airflow 3."""

    dag_run_id: str | None = Field(default=None, min_length=1, max_length=250)
    data_interval_start: Datetime = None
    data_interval_end: Datetime = None
    logical_date: Datetime
    run_after: Datetime = None
    conf: dict[str, Any] | None = None
    note: str | None = Field(default=None, max_length=1000)
    partition_key: str | None = None


class DAGRunPatchBody(StrictBody):
    state: DagRunMutableState | None = None
    note: str | None = Field(default=None, max_length=1000)


class DAGRunClearBody(StrictBody):
    """How to clear a run (also the options of the bulk `clearDagRuns`). Both `only_new` and
    `only_failed` are refused on the body as sent, before its fields are checked: Airflow's 422
    `Value error, ...` comes first, whatever else is wrong."""

    dry_run: bool = True
    only_failed: bool = False
    only_new: bool = False
    run_on_latest_version: bool | None = None
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="before")
    @classmethod
    def _only_new_or_only_failed(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("only_new") and data.get("only_failed"):
            raise ValueError("only_new and only_failed are mutually exclusive")
        return data


class BatchListBody(StrictBody):
    """What the batch list bodies of runs and of task instances share: the page (`order_by`,
    `page_offset`, `page_limit`) and the `<field>_gte|gt|lte|lt` ranges of `run_after`,
    `logical_date`, `start_date`, `end_date` and `duration` (their fields come first in the
    schema; the subclasses add their own filters)."""

    order_by: str | None = None
    page_offset: int = Field(default=0, ge=0)
    page_limit: int = Field(default=100, ge=0)
    run_after_gte: Datetime = None
    run_after_gt: Datetime = None
    run_after_lte: Datetime = None
    run_after_lt: Datetime = None
    logical_date_gte: Datetime = None
    logical_date_gt: Datetime = None
    logical_date_lte: Datetime = None
    logical_date_lt: Datetime = None
    start_date_gte: Datetime = None
    start_date_gt: Datetime = None
    start_date_lte: Datetime = None
    start_date_lt: Datetime = None
    end_date_gte: Datetime = None
    end_date_gt: Datetime = None
    end_date_lte: Datetime = None
    end_date_lt: Datetime = None
    duration_gte: float | None = None
    duration_gt: float | None = None
    duration_lte: float | None = None
    duration_lt: float | None = None


class DAGRunsBatchBody(BatchListBody):
    dag_ids: list[str] | None = None
    states: list[DagRunStateName | None] | None = None
    conf_contains: str | None = None


class DagStatsStateResponse(BaseModel):
    state: DagRunStateName
    count: int


class DagStatsResponse(BaseModel):
    dag_id: str
    dag_display_name: str
    stats: list[DagStatsStateResponse]


class DagStatsCollectionResponse(BaseModel):
    dags: list[DagStatsResponse]
    total_entries: int
