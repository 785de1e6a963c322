"""Metastore rows -> the API's response models (one place knows both shapes).

Conventions where riir has no Airflow counterpart:
- Ids Airflow keeps as UUIDs (task instances, DAG versions) are UUIDv5 of the row's natural key,
  so they are stable across requests and brokers.
- A task instance's state "none" is `null`, as in Airflow; `duration` is end - start in seconds.
- `file_token` is the url-safe base64 of the DAG's fileloc (opaque to clients, as in Airflow).
"""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from riir_airflow.broker.api.schemas import DAGResponse, DAGRunResponse, DagTagResponse, DagVersionResponse
from riir_airflow.broker.api.schemas_ti import (
    EventLogResponse,
    ImportErrorResponse,
    TaskInstanceHistoryResponse,
    TaskInstanceResponse,
    XComResponse,
)

__all__ = [
    "dag_response",
    "duration",
    "event_log_response",
    "import_error_response",
    "run_response",
    "ti_response",
    "ti_uuid",
    "version_response",
    "xcom_response",
]

_NS = uuid.UUID("5b0f3b58-7a43-4cc5-9f0e-8d1f2f0f3a11")
Row = Mapping[str, Any]


def ti_uuid(dag_id: str, run_id: str, task_id: str, map_index: int) -> uuid.UUID:
    return uuid.uuid5(_NS, f"ti\x00{dag_id}\x00{run_id}\x00{task_id}\x00{map_index}")


def duration(start: datetime.datetime | None, end: datetime.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def version_response(row: Row | None) -> DagVersionResponse | None:
    """A dag_version row (id, dag_id, version_number, created_at) as Airflow's DagVersionResponse."""
    if row is None:
        return None
    return DagVersionResponse(
        id=uuid.uuid5(_NS, f"version\x00{row['dag_id']}\x00{row['version_number']}"),
        version_number=row["version_number"],
        dag_id=row["dag_id"],
        created_at=row["created_at"],
        dag_display_name=row["dag_id"],
        bundle_name="riir-app",
    )


def dag_fields(row: Row) -> dict[str, Any]:
    """The DAGResponse fields of a `dag` row (with `latest_version`)."""
    display = row["dag_display_name"] or row["dag_id"]
    fileloc = row["fileloc"] or ""
    return {
        "dag_id": row["dag_id"], "dag_display_name": display, "is_paused": row["is_paused"],
        "is_stale": row["is_stale"], "last_parsed_time": row["last_parsed_time"],
        "relative_fileloc": fileloc.rsplit("/", 1)[-1] if fileloc else None, "fileloc": fileloc,
        "description": row["description"], "timetable_summary": row["timetable_summary"],
        "timetable_description": row["timetable_summary"],
        "timetable_periodic": bool(row["timetable_summary"]) and row["timetable_summary"] not in ("asset", "None"),
        "tags": [DagTagResponse(name=tag, dag_id=row["dag_id"], dag_display_name=display)
                 for tag in sorted(row["tags"] or ())],
        "max_active_tasks": row["max_active_tasks"] if row["max_active_tasks"] is not None else 16,
        "max_active_runs": row["max_active_runs"],
        "max_consecutive_failed_dag_runs": row["max_consecutive_failed_dag_runs"],
        "has_task_concurrency_limits": False, "has_import_errors": row["has_import_errors"],
        "next_dagrun_logical_date": row["next_dagrun_logical_date"],
        "next_dagrun_data_interval_start": row["next_dagrun_data_interval_start"],
        "next_dagrun_data_interval_end": row["next_dagrun_data_interval_end"],
        "next_dagrun_run_after": row["next_dagrun_run_after"], "owners": list(row["owners"] or ()),
        "is_backfillable": bool(row["timetable_summary"]),
        "file_token": base64.urlsafe_b64encode(fileloc.encode()).decode(),
    }  # fmt: skip


def dag_response(row: Row) -> DAGResponse:
    return DAGResponse(**dag_fields(row))


def run_response(row: Row, versions: Mapping[int, Row]) -> DAGRunResponse:
    """A dag_run row (with `dag_version_id`) as DAGRunResponse; `versions` by dag_version id."""
    version = version_response(versions.get(row["dag_version_id"])) if row.get("dag_version_id") else None
    return DAGRunResponse(
        dag_run_id=row["run_id"], dag_id=row["dag_id"], logical_date=row["logical_date"],
        queued_at=row["run_after"] if row["state"] == "queued" else None, start_date=row["start_date"],
        end_date=row["end_date"], duration=duration(row["start_date"], row["end_date"]),
        data_interval_start=row["data_interval_start"], data_interval_end=row["data_interval_end"],
        run_after=row["run_after"], run_type=row["run_type"], state=row["state"],
        triggered_by=row["triggered_by"] if row["triggered_by"] in _TRIGGERED_BY else None,
        conf=row["conf"], note=row["note"], dag_versions=[version] if version else [],
        dag_display_name=row["dag_id"],
    )  # fmt: skip


_TRIGGERED_BY = {"cli", "operator", "rest_api", "ui", "test", "timetable", "asset", "backfill"}


def _ti_fields(row: Row, versions: Mapping[int, Row]) -> dict[str, Any]:
    state = row["state"]
    version = versions.get(row["dag_version_id"]) if row.get("dag_version_id") else None
    return {
        "task_id": row["task_id"], "dag_id": row["dag_id"], "dag_run_id": row["run_id"],
        "map_index": row["map_index"], "start_date": row["start_date"], "end_date": row["end_date"],
        "duration": duration(row["start_date"], row["end_date"]),
        "state": None if state == "none" else state, "try_number": row["try_number"],
        "max_tries": row["max_tries"], "task_display_name": row["task_id"], "dag_display_name": row["dag_id"],
        "hostname": row["hostname"] or None, "pool": row["pool"], "queue": row["queue"],
        "priority_weight": row["priority_weight"], "operator": row["operator"] or None,
        "operator_name": row["operator"] or None, "dag_version": version_response(version),
    }  # fmt: skip


def ti_response(
    row: Row, versions: Mapping[int, Row], rendered: dict[str, Any] | None = None
) -> TaskInstanceResponse:
    """A task_instance row joined with its run (`logical_date`, `run_after`, `dag_version_id`)."""
    return TaskInstanceResponse(
        **_ti_fields(row, versions),
        id=ti_uuid(row["dag_id"], row["run_id"], row["task_id"], row["map_index"]),
        logical_date=row["logical_date"], run_after=row["run_after"], note=row["note"],
        rendered_map_index=str(row["map_index"]) if row["map_index"] >= 0 else None, rendered_fields=rendered,
    )  # fmt: skip


def history_response(row: Row, versions: Mapping[int, Row]) -> TaskInstanceHistoryResponse:
    return TaskInstanceHistoryResponse(**_ti_fields(row, versions))


def xcom_response(row: Row, cls: type[XComResponse] = XComResponse, **value: Any) -> XComResponse:
    """An xcom row joined with its run (`logical_date`, `run_after`); `value=` for the Native/String kinds."""
    return cls(
        key=row["key"], timestamp=row["timestamp"], logical_date=row["logical_date"], map_index=row["map_index"],
        task_id=row["task_id"], dag_id=row["dag_id"], run_id=row["run_id"], dag_display_name=row["dag_id"],
        task_display_name=row["task_id"], run_after=row["run_after"], **value,
    )  # fmt: skip


def event_log_response(row: Row) -> EventLogResponse:
    return EventLogResponse(
        event_log_id=row["id"], when=row["dttm"], dag_id=row["dag_id"], task_id=row["task_id"],
        run_id=row["run_id"], map_index=row["map_index"], event=row["event"], owner=row["owner"],
        extra=row["extra"], dag_display_name=row["dag_id"], task_display_name=row["task_id"],
    )  # fmt: skip


def import_error_response(row: Row) -> ImportErrorResponse:
    return ImportErrorResponse(
        import_error_id=row["id"],
        timestamp=row["timestamp"],
        filename=row["filename"],
        stack_trace=row["stacktrace"],
        bundle_name=None,
    )
