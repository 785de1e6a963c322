"""Delta timetables: timedelta and relativedelta steps, catchup grids, manual intervals."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from riir_airflow.sdk.timetables import (
    AirflowTimetableInvalid,
    DataInterval,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    TimeRestriction,
)

JAN1 = pendulum.datetime(2024, 1, 1, tz="UTC")


def test_delta_data_interval_starts_exactly_at_start_date_without_alignment(plan) -> None:
    start = pendulum.datetime(2024, 1, 1, 0, 7, tz="UTC")
    runs = plan(DeltaDataIntervalTimetable(dt.timedelta(hours=1)), start=start, count=2)
    assert runs == [
        ("2024-01-01 01:07", "2024-01-01 00:07", "2024-01-01 01:07"),
        ("2024-01-01 02:07", "2024-01-01 01:07", "2024-01-01 02:07"),
    ]


def test_delta_data_interval_without_catchup_snaps_to_the_epoch_grid(plan) -> None:
    # Airflow floors "now" on the Unix-epoch grid of the delta, not on the start_date's grid.
    start = pendulum.datetime(2024, 1, 1, 0, 7, tz="UTC")
    now = pendulum.datetime(2024, 1, 5, 10, 30, tz="UTC")
    runs = plan(
        DeltaDataIntervalTimetable(dt.timedelta(hours=1)), start=start, catchup=False, now=now, count=2
    )
    assert runs == [
        ("2024-01-05 10:00", "2024-01-05 09:00", "2024-01-05 10:00"),
        ("2024-01-05 11:00", "2024-01-05 10:00", "2024-01-05 11:00"),
    ]


def test_relativedelta_months_clamp_the_day_and_keep_the_clamped_day(plan) -> None:
    runs = plan(
        DeltaDataIntervalTimetable(relativedelta(months=1)), start=pendulum.datetime(2024, 1, 31), count=4
    )
    assert [r[1][:10] for r in runs] == ["2024-01-31", "2024-02-29", "2024-03-29", "2024-04-29"]


def test_relativedelta_months_without_catchup_walk_the_start_date_grid(plan) -> None:
    runs = plan(
        DeltaDataIntervalTimetable(relativedelta(months=1)),
        start=pendulum.datetime(2024, 1, 31),
        catchup=False,
        now=pendulum.datetime(2024, 6, 15),
        count=2,
    )
    assert runs == [
        ("2024-05-29 00:00", "2024-04-29 00:00", "2024-05-29 00:00"),
        ("2024-06-29 00:00", "2024-05-29 00:00", "2024-06-29 00:00"),
    ]


def test_quarterly_relativedelta_trigger_runs_at_start_then_every_three_months(plan) -> None:
    runs = plan(DeltaTriggerTimetable(relativedelta(months=3)), start=JAN1, count=3)
    assert [r[0][:10] for r in runs] == ["2024-01-01", "2024-04-01", "2024-07-01"]


def test_delta_trigger_first_run_is_at_start_date_with_catchup(plan) -> None:
    runs = plan(DeltaTriggerTimetable(dt.timedelta(hours=6)), start=JAN1, count=3)
    assert [r[0] for r in runs] == ["2024-01-01 00:00", "2024-01-01 06:00", "2024-01-01 12:00"]


def test_delta_trigger_without_catchup_first_runs_at_now_itself() -> None:
    now = pendulum.datetime(2024, 1, 5, 10, 30, 1, 5, tz="UTC")
    info = DeltaTriggerTimetable(dt.timedelta(hours=1)).next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(JAN1, None, False),
        now=now,
    )
    assert info is not None and info.run_after == now


def test_delta_trigger_interval_can_be_a_relativedelta(plan) -> None:
    timetable = DeltaTriggerTimetable(dt.timedelta(days=1), interval=relativedelta(months=1))
    assert plan(timetable, start=pendulum.datetime(2024, 3, 31), count=1) == [
        ("2024-03-31 00:00", "2024-02-29 00:00", "2024-03-31 00:00")
    ]


def test_one_day_timedelta_is_24_real_hours_not_a_local_calendar_day(plan) -> None:
    start = pendulum.datetime(2024, 3, 30, 6, tz="Europe/Amsterdam")  # 05:00 UTC
    runs = plan(DeltaTriggerTimetable(dt.timedelta(days=1)), start=start, count=3)
    assert [r[0] for r in runs] == ["2024-03-30 05:00", "2024-03-31 05:00", "2024-04-01 05:00"]


def test_end_date_stops_delta_schedules(plan) -> None:
    end = pendulum.datetime(2024, 1, 1, 12, tz="UTC")
    assert len(plan(DeltaTriggerTimetable(dt.timedelta(hours=6)), start=JAN1, end=end, count=10)) == 3
    assert len(plan(DeltaDataIntervalTimetable(dt.timedelta(hours=6)), start=JAN1, end=end, count=10)) == 3


def test_manual_interval_of_delta_data_interval_is_one_delta_before_run_after() -> None:
    run_after = pendulum.datetime(2024, 3, 31, 12, tz="UTC")
    assert DeltaDataIntervalTimetable(relativedelta(months=1)).infer_manual_data_interval(
        run_after=run_after
    ) == DataInterval(pendulum.datetime(2024, 2, 29, 12, tz="UTC"), run_after)


def test_manual_interval_of_delta_trigger_is_run_after_minus_interval() -> None:
    run_after = pendulum.datetime(2024, 3, 31, 12, tz="UTC")
    assert DeltaTriggerTimetable(dt.timedelta(hours=1)).infer_manual_data_interval(
        run_after=run_after
    ) == DataInterval.exact(run_after)


@pytest.mark.parametrize("delta", [dt.timedelta(0), dt.timedelta(hours=-1), relativedelta(months=-1)])
def test_non_positive_delta_is_rejected(delta) -> None:
    with pytest.raises(AirflowTimetableInvalid, match="must be positive"):
        DeltaTriggerTimetable(delta)


@pytest.mark.parametrize(
    ("delta", "encoded"),
    [
        (dt.timedelta(days=1), 86400.0),
        (relativedelta(months=1, days=2), {"months": 1, "days": 2}),
        (relativedelta(weeks=1), {"days": 7}),
    ],
)
def test_delta_serializes_like_airflow_and_round_trips(delta, encoded) -> None:
    timetable = DeltaDataIntervalTimetable(delta)
    assert timetable.serialize() == {"delta": encoded}
    assert DeltaDataIntervalTimetable.deserialize(timetable.serialize()) == timetable
    trigger = DeltaTriggerTimetable(delta)
    assert trigger.serialize() == {"delta": encoded, "interval": 0.0}
    assert DeltaTriggerTimetable.deserialize(trigger.serialize()) == trigger


def test_delta_summary_is_str_of_the_delta() -> None:
    assert DeltaTriggerTimetable(dt.timedelta(hours=1)).summary == "1:00:00"
    assert DeltaDataIntervalTimetable(relativedelta(months=1)).summary == "relativedelta(months=+1)"
