"""Shared helpers for timetable tests: simulate the scheduler's first runs as of a fixed now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pendulum
import pytest

from riir_airflow.sdk.timetables import DataInterval, TimeRestriction, Timetable, next_run_info

Runs = list[tuple[str, str, str]]
"""``(run_after, data_interval_start, data_interval_end)`` as compact UTC strings."""


def _fmt(value: dt.datetime) -> str:
    return pendulum.instance(value).in_timezone("UTC").format("YYYY-MM-DD HH:mm")


def plan_runs(
    timetable: Timetable,
    *,
    start: dt.datetime | None,
    end: dt.datetime | None = None,
    catchup: bool = True,
    now: dt.datetime | None = None,
    count: int = 5,
) -> Runs:
    """The first ``count`` runs a fresh deployment creates, as the scheduler asks for them."""
    restriction = TimeRestriction(start, end, catchup)
    previous: DataInterval | None = None
    runs: Runs = []
    for _ in range(count):
        info = next_run_info(
            timetable, last_automated_data_interval=previous, restriction=restriction, now=now
        )
        if info is None:
            break
        assert info.data_interval is not None
        runs.append((_fmt(info.run_after), _fmt(info.data_interval.start), _fmt(info.data_interval.end)))
        previous = info.data_interval
    return runs


@pytest.fixture
def plan() -> Callable[..., Runs]:
    """:func:`plan_runs`, as a fixture."""
    return plan_runs
