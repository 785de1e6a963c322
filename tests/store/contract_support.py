"""Record factories and assertions shared by the Store contract suite.

Kept apart from the test classes so every contract module builds records the same way: a run
or task instance with sensible defaults, overridden per test by keyword.
"""

from __future__ import annotations

import datetime
from typing import Any

import pendulum

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store import DagRunRecord, TaskInstanceRecord, XComRecord

__all__ = ["assert_utc", "at", "run", "ti", "xcom"]

DAG = "dag_a"


def at(day: int, hour: int = 0, month: int = 1, year: int = 2024) -> pendulum.DateTime:
    """A UTC instant, short to write in tests: `at(3)` is 2024-01-03T00:00Z."""
    return pendulum.datetime(year, month, day, hour, tz="UTC")


def run(run_id: str = "r1", *, dag_id: str = DAG, day: int | None = 1, **fields: Any) -> DagRunRecord:
    """A scheduled run whose logical date (if `day` is not None) and run_after are `at(day)`."""
    logical = at(day) if day is not None else None
    values: dict[str, Any] = {
        "dag_id": dag_id,
        "run_id": run_id,
        "run_type": "scheduled" if logical is not None else "manual",
        "state": DagRunState.QUEUED,
        "run_after": logical if logical is not None else at(28),
        "logical_date": logical,
    }
    values.update(fields)
    return DagRunRecord(**values)


def ti(
    task_id: str = "t1",
    *,
    run_id: str = "r1",
    dag_id: str = DAG,
    map_index: int = -1,
    state: TaskInstanceState = TaskInstanceState.NONE,
    try_number: int = 0,
    **fields: Any,
) -> TaskInstanceRecord:
    """A task instance of `run_id`, by default never tried (state none, try 0)."""
    return TaskInstanceRecord(
        dag_id=dag_id,
        run_id=run_id,
        task_id=task_id,
        map_index=map_index,
        state=state,
        try_number=try_number,
        **fields,
    )


def xcom(
    task_id: str = "t1",
    key: str = "return_value",
    value: str = "1",
    *,
    run_id: str = "r1",
    dag_id: str = DAG,
    map_index: int = -1,
    **fields: Any,
) -> XComRecord:
    """An XCom of `run_id` with a JSON text value."""
    return XComRecord(
        dag_id=dag_id, run_id=run_id, task_id=task_id, key=key, value=value, map_index=map_index, **fields
    )


def assert_utc(value: datetime.datetime | None) -> None:
    """The store returns timezone-aware UTC `pendulum.DateTime`s, as Airflow exposes them."""
    assert value is not None
    assert isinstance(value, pendulum.DateTime), type(value)
    assert value.tzinfo is not None
    assert value.utcoffset() == datetime.timedelta(0)
