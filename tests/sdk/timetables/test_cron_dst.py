"""Cron ticks are read in the timetable's zone: DST moves their UTC time (spec 6.5).

Expected values follow Airflow 3.3 (and are covered again by the parity cases): a local daily
tick keeps its wall-clock time, a daily tick inside the skipped hour moves forward by the gap,
a daily tick inside the repeated hour runs once at its second occurrence, and an hourly
schedule keeps ticking once per real hour through both changes.
"""

from __future__ import annotations

import pendulum
import pytest

from riir_airflow.sdk.timetables import CronDataIntervalTimetable, CronTriggerTimetable

AMS = "Europe/Amsterdam"  # 2024: spring forward 03-31 02:00 -> 03:00; fall back 10-27 03:00 -> 02:00
NYC = "America/New_York"  # 2024: spring forward 03-10 02:00 -> 03:00; fall back 11-03 02:00 -> 01:00


def _trigger_runs(plan, cron: str, tz: str, start: pendulum.DateTime, count: int) -> list[str]:
    return [r[0] for r in plan(CronTriggerTimetable(cron, timezone=tz), start=start, count=count)]


@pytest.mark.parametrize(
    ("tz", "day", "utc_runs"),
    [
        (AMS, (2024, 3, 30), ["2024-03-30 05:00", "2024-03-31 04:00", "2024-04-01 04:00"]),
        (AMS, (2024, 10, 26), ["2024-10-26 04:00", "2024-10-27 05:00", "2024-10-28 05:00"]),
        (NYC, (2024, 3, 9), ["2024-03-09 11:00", "2024-03-10 10:00", "2024-03-11 10:00"]),
        (NYC, (2024, 11, 2), ["2024-11-02 10:00", "2024-11-03 11:00", "2024-11-04 11:00"]),
    ],
)
def test_daily_local_six_am_shifts_in_utc_across_dst(
    plan, tz: str, day: tuple[int, int, int], utc_runs
) -> None:
    start = pendulum.datetime(*day, tz=tz)
    assert _trigger_runs(plan, "0 6 * * *", tz, start, 3) == utc_runs


@pytest.mark.parametrize(
    ("tz", "day", "utc_runs"),
    [
        # 02:30 does not exist on the change day: the run happens at 03:30 local time.
        (AMS, (2024, 3, 30), ["2024-03-30 01:30", "2024-03-31 01:30", "2024-04-01 00:30"]),
        (NYC, (2024, 3, 9), ["2024-03-09 07:30", "2024-03-10 07:30", "2024-03-11 06:30"]),
    ],
)
def test_daily_tick_in_the_skipped_hour_runs_one_gap_later(plan, tz, day, utc_runs) -> None:
    start = pendulum.datetime(*day, tz=tz)
    assert _trigger_runs(plan, "30 2 * * *", tz, start, 3) == utc_runs


@pytest.mark.parametrize(
    ("tz", "cron", "day", "utc_runs"),
    [
        # Amsterdam repeats 02:00-03:00; the tick runs once, at the second (CET) 02:30 = 01:30 UTC.
        (AMS, "30 2 * * *", (2024, 10, 26), ["2024-10-26 00:30", "2024-10-27 01:30", "2024-10-28 01:30"]),
        # New York repeats 01:00-02:00; the tick runs once, at the second (EST) 01:30 = 06:30 UTC.
        (NYC, "30 1 * * *", (2024, 11, 2), ["2024-11-02 05:30", "2024-11-03 06:30", "2024-11-04 06:30"]),
    ],
)
def test_daily_tick_in_the_repeated_hour_runs_once_at_its_second_occurrence(
    plan, tz, cron, day, utc_runs
) -> None:
    start = pendulum.datetime(*day, tz=tz)
    assert _trigger_runs(plan, cron, tz, start, 3) == utc_runs


@pytest.mark.parametrize(
    ("tz", "start_utc"),
    [
        (AMS, pendulum.datetime(2024, 3, 30, 23, 0, tz="UTC")),
        (AMS, pendulum.datetime(2024, 10, 26, 23, 0, tz="UTC")),
        (NYC, pendulum.datetime(2024, 3, 10, 4, 0, tz="UTC")),
        (NYC, pendulum.datetime(2024, 11, 3, 3, 0, tz="UTC")),
    ],
)
def test_hourly_cron_ticks_every_real_hour_through_dst_changes(plan, tz: str, start_utc) -> None:
    runs = _trigger_runs(plan, "30 * * * *", tz, start_utc, 8)
    expected = [start_utc.add(minutes=30, hours=i).format("YYYY-MM-DD HH:mm") for i in range(8)]
    assert runs == expected


def test_hourly_data_intervals_stay_one_real_hour_long_through_fall_back(plan) -> None:
    start = pendulum.datetime(2024, 10, 26, 23, 0, tz="UTC")
    runs = plan(CronDataIntervalTimetable("0 * * * *", AMS), start=start, count=6)
    for run_after, interval_start, interval_end in runs:
        assert run_after == interval_end
        assert pendulum.parse(interval_end) - pendulum.parse(interval_start) == pendulum.duration(hours=1)


def test_non_hourly_cron_inside_the_repeated_hour_skips_the_first_occurrence(plan) -> None:
    # Every half hour between 02:00 and 03:59 local: on fall-back night the first (CEST) 02:00 and
    # 02:30 are skipped, the second (CET) ones and 03:00/03:30 run.
    start = pendulum.datetime(2024, 10, 27, tz=AMS)
    runs = _trigger_runs(plan, "*/30 2-3 * * *", AMS, start, 4)
    assert runs == ["2024-10-27 01:00", "2024-10-27 01:30", "2024-10-27 02:00", "2024-10-27 02:30"]


def test_non_hourly_cron_inside_the_skipped_hour_collapses_onto_the_next_hour(plan) -> None:
    # 02:00 and 02:30 do not exist on spring-forward night; they map to 03:00/03:30, which are the
    # day's own 03:00/03:30 ticks: two runs that day instead of four.
    start = pendulum.datetime(2024, 3, 31, tz=AMS)
    runs = _trigger_runs(plan, "*/30 2-3 * * *", AMS, start, 3)
    assert runs == ["2024-03-31 01:00", "2024-03-31 01:30", "2024-04-01 00:00"]


def test_catchup_off_just_after_spring_forward_picks_the_latest_real_tick(plan) -> None:
    timetable = CronTriggerTimetable("30 * * * *", timezone=AMS)
    now = pendulum.datetime(2024, 3, 31, 1, 45, tz="UTC")  # 03:45 CEST
    runs = plan(timetable, start=pendulum.datetime(2024, 3, 1, tz=AMS), catchup=False, now=now, count=2)
    assert [r[0] for r in runs] == ["2024-03-31 01:30", "2024-03-31 02:30"]


def test_manual_interval_of_daily_data_interval_spans_23_hours_on_spring_forward_day() -> None:
    timetable = CronDataIntervalTimetable("0 0 * * *", AMS)
    interval = timetable.infer_manual_data_interval(run_after=pendulum.datetime(2024, 4, 1, 12, tz="UTC"))
    assert interval.start == pendulum.datetime(2024, 3, 31, tz=AMS)
    assert interval.end == pendulum.datetime(2024, 4, 1, tz=AMS)
    assert interval.end - interval.start == pendulum.duration(hours=23)
