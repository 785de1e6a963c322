"""Trigger timetables without a start_date (``run_immediately``) and MultipleCronTriggerTimetable."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from riir_airflow.sdk.timetables import (
    CronTriggerTimetable,
    DataInterval,
    MultipleCronTriggerTimetable,
    TimeRestriction,
)

TICK = pendulum.datetime(2024, 6, 3, tz="UTC")  # Monday midnight


def _first(timetable, now, catchup: bool = False) -> pendulum.DateTime:
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(None, None, catchup), now=now
    )
    assert info is not None
    return info.run_after


@pytest.mark.parametrize("catchup", [False, True])
def test_run_immediately_true_runs_the_latest_past_tick(catchup: bool) -> None:
    timetable = CronTriggerTimetable("0 0 * * *", timezone="UTC", run_immediately=True)
    assert _first(timetable, TICK.add(hours=20), catchup) == TICK


@pytest.mark.parametrize(
    ("seconds_after_tick", "expected"),
    [(0, TICK), (8640, TICK), (8641, TICK.add(days=1))],
)
def test_run_immediately_false_uses_ten_percent_of_the_spacing_like_none(
    seconds_after_tick, expected
) -> None:
    # Airflow 3.3 treats run_immediately=False exactly like None: the past tick still runs when
    # now is within max(10% of the tick spacing, 5 minutes) of it (2h24m for a daily cron).
    now = TICK.add(seconds=seconds_after_tick)
    for value in (False, None):
        timetable = CronTriggerTimetable("0 0 * * *", timezone="UTC", run_immediately=value)  # type: ignore[arg-type]
        assert _first(timetable, now) == expected


@pytest.mark.parametrize(("seconds_after_tick", "runs_past_tick"), [(299, True), (300, True), (301, False)])
def test_run_immediately_buffer_is_at_least_five_minutes(
    seconds_after_tick: int, runs_past_tick: bool
) -> None:
    timetable = CronTriggerTimetable("*/10 * * * *", timezone="UTC")  # 10% of 10 min < 5 min
    expected = TICK if runs_past_tick else TICK.add(minutes=10)
    assert _first(timetable, TICK.add(seconds=seconds_after_tick)) == expected


def test_run_immediately_timedelta_is_the_buffer() -> None:
    timetable = CronTriggerTimetable("0 * * * *", timezone="UTC", run_immediately=dt.timedelta(minutes=10))
    assert _first(timetable, TICK.add(minutes=10)) == TICK
    assert _first(timetable, TICK.add(minutes=11)) == TICK.add(hours=1)


def test_run_immediately_is_ignored_when_there_is_a_start_date() -> None:
    timetable = CronTriggerTimetable("0 0 * * *", timezone="UTC", run_immediately=False)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(TICK.subtract(days=30), None, False),
        now=TICK.add(hours=20),
    )
    assert info is not None and info.run_after == TICK


def test_multiple_crons_run_at_the_union_of_ticks_once_per_instant(plan) -> None:
    timetable = MultipleCronTriggerTimetable("0 6 * * *", "0 18 * * *", "0 6 * * 1", timezone="UTC")
    runs = plan(timetable, start=TICK, count=4)
    assert [r[0] for r in runs] == [
        "2024-06-03 06:00",
        "2024-06-03 18:00",
        "2024-06-04 06:00",
        "2024-06-04 18:00",
    ]


def test_multiple_crons_without_catchup_take_the_latest_past_candidate(plan) -> None:
    timetable = MultipleCronTriggerTimetable("0 6 * * *", "0 18 * * *", timezone="UTC")
    now = TICK.add(days=3, hours=20)
    runs = plan(timetable, start=TICK, catchup=False, now=now, count=2)
    assert [r[0] for r in runs] == ["2024-06-06 18:00", "2024-06-07 06:00"]


def test_multiple_crons_manual_interval_and_summary() -> None:
    timetable = MultipleCronTriggerTimetable(
        "0 6 * * *", "@daily", timezone="Europe/Amsterdam", interval=dt.timedelta(hours=2)
    )
    assert timetable.summary == "0 6 * * *, 0 0 * * *"
    run_after = TICK.add(hours=5)
    assert timetable.infer_manual_data_interval(run_after=run_after) == DataInterval(
        TICK.add(hours=3), run_after
    )
    assert timetable.serialize() == {
        "expressions": ["0 6 * * *", "0 0 * * *"],
        "timezone": "Europe/Amsterdam",
        "interval": 7200.0,
        "run_immediately": False,
    }
    assert MultipleCronTriggerTimetable.deserialize(timetable.serialize()) == timetable


def test_multiple_crons_need_at_least_one_expression() -> None:
    with pytest.raises(ValueError, match="cron expression required"):
        MultipleCronTriggerTimetable(timezone="UTC")
