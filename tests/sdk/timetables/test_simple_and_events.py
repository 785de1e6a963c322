"""``None``, ``@once``, ``@continuous``, asset placeholder, and ``EventsTimetable``."""

from __future__ import annotations

import pendulum
import pytest

from riir_airflow.sdk.timetables import (
    AssetTriggeredTimetable,
    ContinuousTimetable,
    DataInterval,
    EventsTimetable,
    NullTimetable,
    OnceTimetable,
    TimeRestriction,
)

START = pendulum.datetime(2024, 1, 1, tz="UTC")
NOW = pendulum.datetime(2024, 2, 1, 12, 30, tz="UTC")


def test_null_timetable_never_schedules_and_is_not_schedulable(plan) -> None:
    timetable = NullTimetable()
    assert plan(timetable, start=START, now=NOW) == []
    assert timetable.can_be_scheduled is False
    assert timetable.periodic is False
    assert timetable.summary == "None"


@pytest.mark.parametrize("catchup", [True, False])
def test_once_runs_exactly_once_at_start_date_whatever_catchup(plan, catchup: bool) -> None:
    assert plan(OnceTimetable(), start=START, catchup=catchup, now=NOW) == [
        ("2024-01-01 00:00", "2024-01-01 00:00", "2024-01-01 00:00")
    ]


def test_once_without_start_date_runs_now(plan) -> None:
    assert plan(OnceTimetable(), start=None, catchup=False, now=NOW)[0][0] == "2024-02-01 12:30"


def test_once_after_end_date_never_runs(plan) -> None:
    assert plan(OnceTimetable(), start=START, end=START.subtract(days=1), now=NOW) == []


def test_continuous_first_run_covers_start_to_now_then_now_to_now(plan) -> None:
    runs = plan(ContinuousTimetable(), start=START, now=NOW, count=2)
    assert runs == [
        ("2024-02-01 12:30", "2024-01-01 00:00", "2024-02-01 12:30"),
        ("2024-02-01 12:30", "2024-02-01 12:30", "2024-02-01 12:30"),
    ]
    assert ContinuousTimetable.active_runs_limit == 1


def test_continuous_with_future_start_date_repeats_the_first_interval_length() -> None:
    future_start = NOW.add(days=2)
    last = DataInterval(future_start, future_start.add(hours=3))
    info = ContinuousTimetable().next_dagrun_info(
        last_automated_data_interval=last, restriction=TimeRestriction(future_start, None, False), now=NOW
    )
    assert info is not None and info.data_interval == DataInterval(future_start, future_start.add(hours=3))


def test_continuous_stops_when_the_run_would_end_after_end_date(plan) -> None:
    assert plan(ContinuousTimetable(), start=START, end=NOW.subtract(hours=1), now=NOW) == []


def test_asset_placeholder_keeps_condition_and_never_schedules() -> None:
    condition = object()
    timetable = AssetTriggeredTimetable(condition)
    assert timetable.asset_condition is condition
    assert timetable.can_be_scheduled is False
    assert (
        timetable.next_dagrun_info(
            last_automated_data_interval=None, restriction=TimeRestriction(START, None, True)
        )
        is None
    )


@pytest.mark.parametrize("timetable", [NullTimetable(), OnceTimetable(), ContinuousTimetable()])
def test_trivial_timetables_manual_interval_is_the_trigger_instant(timetable) -> None:
    assert timetable.infer_manual_data_interval(run_after=NOW) == DataInterval.exact(NOW)


EVENTS = [START.add(days=d) for d in (5, 1, 3, 3, 10)]


def test_events_run_at_each_distinct_event_in_order_with_catchup(plan) -> None:
    runs = plan(EventsTimetable(EVENTS), start=START, count=10)
    assert [r[0][:10] for r in runs] == ["2024-01-02", "2024-01-04", "2024-01-06", "2024-01-11"]
    assert all(r[1] == r[0] == r[2] for r in runs)


def test_events_without_catchup_skip_events_before_now(plan) -> None:
    now = START.add(days=3, hours=1)
    runs = plan(EventsTimetable(EVENTS), start=START, catchup=False, now=now, count=10)
    assert [r[0][:10] for r in runs] == ["2024-01-06", "2024-01-11"]


def test_events_respect_start_and_end_date(plan) -> None:
    runs = plan(EventsTimetable(EVENTS), start=START.add(days=2), end=START.add(days=5), count=10)
    assert [r[0][:10] for r in runs] == ["2024-01-04", "2024-01-06"]


def test_events_manual_interval_uses_run_after_unless_restricted_to_events() -> None:
    run_after = START.add(days=4)
    assert EventsTimetable(EVENTS).infer_manual_data_interval(run_after=run_after) == DataInterval.exact(
        run_after
    )
    restricted = EventsTimetable(EVENTS, restrict_to_events=True)
    assert restricted.infer_manual_data_interval(run_after=run_after) == DataInterval.exact(START.add(days=3))
    before_all = START.subtract(days=1)
    assert restricted.infer_manual_data_interval(run_after=before_all) == DataInterval.exact(
        START.add(days=1)
    )


def test_events_description_summary_and_serialization() -> None:
    timetable = EventsTimetable(EVENTS)
    assert timetable.summary == "5 events"
    assert timetable.description == (
        "5 events between 2024-01-02T00:00:00+00:00 and 2024-01-11T00:00:00+00:00"
    )
    assert EventsTimetable([]).description == "No events"
    named = EventsTimetable(EVENTS, description="Match days")
    assert (named.summary, named.description) == ("Match days", "Match days")
    assert EventsTimetable.deserialize(timetable.serialize()) == timetable


def test_events_in_local_time_are_scheduled_as_utc_instants(plan) -> None:
    local = [pendulum.datetime(2024, 7, 1, 20, tz="Europe/Amsterdam")]
    assert plan(EventsTimetable(local), start=START) == [
        ("2024-07-01 18:00", "2024-07-01 18:00", "2024-07-01 18:00")
    ]
