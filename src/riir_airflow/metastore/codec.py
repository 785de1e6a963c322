"""Record <-> row mapping for `MetastoreStore`: the store's records as metastore column values.

Why a module of its own: the mapping is the one place that knows both the records
(`riir_airflow.store.records`) and the tables (`tables.py`), so the store's SQL stays readable
and the broker's own queries can build records the same way.

Contract: `*_values()` validate while encoding (enum states, timezone-aware datetimes, converted
to aware UTC) and raise ValueError before any SQL runs; `*_from_row()` build fresh records whose
datetimes are UTC `pendulum.DateTime`s (the column types do that) and whose mutable fields
(`conf`, `extra`, aliases) are never shared with another read.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import AssetEventRecord, DagRunRecord, TaskInstanceRecord, XComRecord

__all__ = [
    "RUN_FIELDS",
    "TI_FIELDS",
    "TI_KEY",
    "event_from_row",
    "event_values",
    "run_from_row",
    "run_values",
    "ti_from_row",
    "ti_values",
    "ti_where",
    "xcom_from_row",
]

RUN_FIELDS = (
    "dag_id", "run_id", "run_type", "state", "run_after", "logical_date", "data_interval_start",
    "data_interval_end", "start_date", "end_date", "conf", "triggered_by", "note", "clear_number",
)  # fmt: skip
_RUN_DATES = frozenset(
    {"run_after", "logical_date", "data_interval_start", "data_interval_end", "start_date", "end_date"}
)
TI_FIELDS = tuple(c.name for c in t.task_instance.columns)
TI_KEY = ("dag_id", "run_id", "task_id", "map_index")
_TI_DATES = frozenset({"start_date", "end_date", "next_attempt_at"})


def ti_where(table: sa.Table, dag_id: str, run_id: str, task_id: str, map_index: int) -> Any:
    """WHERE clause selecting one task instance's rows of `table` (any table keyed by TI_KEY)."""
    c = table.c
    return sa.and_(c.dag_id == dag_id, c.run_id == run_id, c.task_id == task_id, c.map_index == map_index)


def run_values(run: DagRunRecord) -> dict[str, Any]:
    """Column values of a dag_run row for `run` (validated; datetimes as aware UTC)."""
    values: dict[str, Any] = {}
    for name in RUN_FIELDS:
        value = getattr(run, name)
        if name in _RUN_DATES:
            value = to_utc(value)
        elif name == "state":
            value = DagRunState(value).value
        elif name == "conf":
            value = copy.deepcopy(value) if value is not None else {}
        values[name] = value
    if values["run_after"] is None:
        raise ValueError(f"dag run {run.run_id!r} has no run_after")
    return values


def run_from_row(row: Mapping[str, Any]) -> DagRunRecord:
    """A fresh DagRunRecord from a dag_run row."""
    kwargs = {name: row[name] for name in RUN_FIELDS}
    kwargs["state"] = DagRunState(kwargs["state"])
    return DagRunRecord(**kwargs)


def ti_values(ti: TaskInstanceRecord) -> dict[str, Any]:
    """Column values of a task_instance (or history) row for `ti`."""
    values: dict[str, Any] = {}
    for name in TI_FIELDS:
        value = getattr(ti, name)
        if name in _TI_DATES:
            value = to_utc(value)
        elif name == "state":
            value = TaskInstanceState(value).value
        values[name] = value
    return values


def ti_from_row(row: Mapping[str, Any]) -> TaskInstanceRecord:
    """A fresh TaskInstanceRecord from a task_instance or task_instance_history row."""
    kwargs = {name: row[name] for name in TI_FIELDS}
    kwargs["state"] = TaskInstanceState(kwargs["state"])
    return TaskInstanceRecord(**kwargs)


def xcom_from_row(row: Mapping[str, Any]) -> XComRecord:
    """An XComRecord from an xcom row joined with its run's logical date as `run_logical_date`."""
    return XComRecord(
        dag_id=row["dag_id"],
        run_id=row["run_id"],
        task_id=row["task_id"],
        key=row["key"],
        value=row["value"],
        map_index=row["map_index"],
        timestamp=row["timestamp"],
        logical_date=row["run_logical_date"],
    )


def event_values(event: AssetEventRecord) -> dict[str, Any]:
    """Column values of an asset_event row (without id and asset_id); the timestamp must be set."""
    if event.timestamp is None:
        raise ValueError("an asset event to store needs a timestamp")
    return {
        "name": event.name,
        "uri": event.uri,
        "asset_group": event.group,
        "extra": copy.deepcopy(event.extra) if event.extra is not None else {},
        "source_dag_id": event.source_dag_id,
        "source_run_id": event.source_run_id,
        "source_task_id": event.source_task_id,
        "source_map_index": int(event.source_map_index),
        "timestamp": to_utc(event.timestamp),
    }


def event_from_row(row: Mapping[str, Any], aliases: list[str]) -> AssetEventRecord:
    """A fresh AssetEventRecord from an asset_event row and its aliases (in emission order)."""
    return AssetEventRecord(
        id=row["id"],
        name=row["name"],
        uri=row["uri"],
        group=row["asset_group"],
        extra=row["extra"],
        source_dag_id=row["source_dag_id"],
        source_run_id=row["source_run_id"],
        source_task_id=row["source_task_id"],
        source_map_index=row["source_map_index"],
        source_aliases=list(aliases),
        timestamp=row["timestamp"],
    )
