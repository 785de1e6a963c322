"""Cron timetables: first run, catchup, end_date, presets, manual intervals (spec 6.2, 6.3)."""

from __future__ import annotations

import pendulum
import pytest

from riir_airflow.sdk.timetables import (
    AirflowTimetableInvalid,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
)

UTC = "UTC"
JAN1 = pendulum.datetime(2024, 1, 1, tz=UTC)


def test_cron_data_interval_first_run_is_at_interval_end_covering_the_first_day(plan) -> None:
    runs = plan(CronDataIntervalTimetable("@daily", UTC), start=JAN1, count=2)
    assert runs == [
        ("2024-01-02 00:00", "2024-01-01 00:00", "2024-01-02 00:00"),
        ("2024-01-03 00:00", "2024-01-02 00:00", "2024-01-03 00:00"),
    ]


def test_cron_data_interval_logical_date_is_interval_start() -> None:
    info = CronDataIntervalTimetable("@daily", UTC).next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(JAN1, None, True)
    )
    assert info == DagRunInfo.interval(JAN1, pendulum.datetime(2024, 1, 2, tz=UTC))
    assert info is not None and info.logical_date == JAN1
    assert info.run_after == pendulum.datetime(2024, 1, 2, tz=UTC)


def test_cron_trigger_first_run_is_at_start_date_with_zero_length_interval(plan) -> None:
    runs = plan(CronTriggerTimetable("@daily", timezone=UTC), start=JAN1, count=2)
    assert runs == [
        ("2024-01-01 00:00", "2024-01-01 00:00", "2024-01-01 00:00"),
        ("2024-01-02 00:00", "2024-01-02 00:00", "2024-01-02 00:00"),
    ]


def test_cron_trigger_interval_argument_sets_data_interval_before_the_tick(plan) -> None:
    timetable = CronTriggerTimetable("0 6 * * *", timezone=UTC, interval=pendulum.duration(hours=6))
    assert plan(timetable, start=JAN1, count=1) == [
        ("2024-01-01 06:00", "2024-01-01 00:00", "2024-01-01 06:00")
    ]


def test_start_date_between_ticks_aligns_to_the_next_tick(plan) -> None:
    start = pendulum.datetime(2024, 1, 1, 7, 30, tz=UTC)
    assert (
        plan(CronTriggerTimetable("0 6 * * *", timezone=UTC), start=start, count=1)[0][0]
        == "2024-01-02 06:00"
    )
    assert plan(CronDataIntervalTimetable("0 6 * * *", UTC), start=start, count=1) == [
        ("2024-01-03 06:00", "2024-01-02 06:00", "2024-01-03 06:00")
    ]


def test_cron_data_interval_without_catchup_creates_only_the_latest_complete_interval(plan) -> None:
    now = pendulum.datetime(2024, 3, 5, 12, 0, tz=UTC)
    runs = plan(CronDataIntervalTimetable("@daily", UTC), start=JAN1, catchup=False, now=now, count=2)
    assert runs == [
        ("2024-03-05 00:00", "2024-03-04 00:00", "2024-03-05 00:00"),
        ("2024-03-06 00:00", "2024-03-05 00:00", "2024-03-06 00:00"),
    ]


def test_cron_data_interval_without_catchup_on_a_boundary_takes_the_interval_ending_now(plan) -> None:
    now = pendulum.datetime(2024, 3, 5, tz=UTC)
    runs = plan(CronDataIntervalTimetable("@daily", UTC), start=JAN1, catchup=False, now=now, count=1)
    assert runs == [("2024-03-05 00:00", "2024-03-04 00:00", "2024-03-05 00:00")]


def test_cron_trigger_without_catchup_runs_the_latest_past_tick_once(plan) -> None:
    now = pendulum.datetime(2024, 3, 5, 12, 0, tz=UTC)
    runs = plan(CronTriggerTimetable("@daily", timezone=UTC), start=JAN1, catchup=False, now=now, count=2)
    assert [r[0] for r in runs] == ["2024-03-05 00:00", "2024-03-06 00:00"]


def test_without_catchup_a_future_start_date_still_wins(plan) -> None:
    now = pendulum.datetime(2023, 12, 1, tz=UTC)
    for timetable in (CronTriggerTimetable("@daily", timezone=UTC), CronDataIntervalTimetable("@daily", UTC)):
        runs = plan(timetable, start=JAN1, catchup=False, now=now, count=1)
        assert runs[0][1] == "2024-01-01 00:00"


def test_with_catchup_now_does_not_matter(plan) -> None:
    timetable = CronTriggerTimetable("@hourly", timezone=UTC)
    early = plan(timetable, start=JAN1, now=pendulum.datetime(2024, 1, 1, tz=UTC))
    late = plan(timetable, start=JAN1, now=pendulum.datetime(2030, 1, 1, tz=UTC))
    assert early == late


def test_without_catchup_scheduler_behind_skips_to_latest_tick() -> None:
    timetable = CronTriggerTimetable("@hourly", timezone=UTC)
    last = DataInterval.exact(pendulum.datetime(2024, 1, 1, 3, tz=UTC))
    info = timetable.next_dagrun_info(
        last_automated_data_interval=last,
        restriction=TimeRestriction(JAN1, None, False),
        now=pendulum.datetime(2024, 1, 1, 9, 20, tz=UTC),
    )
    assert info is not None and info.run_after == pendulum.datetime(2024, 1, 1, 9, tz=UTC)


@pytest.mark.parametrize("make", [CronTriggerTimetable, CronDataIntervalTimetable])
def test_end_date_stops_scheduling_inclusively(plan, make) -> None:
    timetable = make("@daily", timezone=UTC) if make is CronTriggerTimetable else make("@daily", UTC)
    end = pendulum.datetime(2024, 1, 3, tz=UTC)
    runs = plan(timetable, start=JAN1, end=end, count=10)
    # The data-interval timetable stops on interval *start* > end_date, so [01-03, 01-04] still runs.
    expected = 3
    assert len(runs) == expected
    assert runs[-1][1] == "2024-01-03 00:00"


def test_data_interval_with_catchup_and_no_start_date_schedules_nothing(plan) -> None:
    assert plan(CronDataIntervalTimetable("@daily", UTC), start=None, catchup=True) == []


@pytest.mark.parametrize(
    ("preset", "expression"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@quarterly", "0 0 1 */3 *"),
        ("@yearly", "0 0 1 1 *"),
    ],
)
def test_airflow_presets_expand_to_their_cron_expression(preset: str, expression: str) -> None:
    timetable = CronTriggerTimetable(preset, timezone=UTC)
    assert timetable.summary == expression
    assert timetable.serialize()["expression"] == expression


@pytest.mark.parametrize(
    ("preset", "first_runs"),
    [
        ("@annually", ["2024-01-01 00:00", "2025-01-01 00:00"]),
        ("@midnight", ["2024-01-01 00:00", "2024-01-02 00:00"]),
        ("@quarterly", ["2024-01-01 00:00", "2024-04-01 00:00"]),
        ("@weekly", ["2024-01-07 00:00", "2024-01-14 00:00"]),
        ("@monthly", ["2024-01-01 00:00", "2024-02-01 00:00"]),
    ],
)
def test_presets_croniter_understands_natively_keep_their_name_and_tick_as_expected(
    plan, preset: str, first_runs: list[str]
) -> None:
    timetable = CronTriggerTimetable(preset, timezone=UTC)
    assert [r[0] for r in plan(timetable, start=JAN1, count=2)] == first_runs


def test_manual_interval_of_cron_data_interval_is_last_complete_interval() -> None:
    timetable = CronDataIntervalTimetable("@daily", UTC)
    interval = timetable.infer_manual_data_interval(run_after=pendulum.datetime(2024, 3, 5, 12, tz=UTC))
    assert interval == DataInterval(
        pendulum.datetime(2024, 3, 4, tz=UTC), pendulum.datetime(2024, 3, 5, tz=UTC)
    )


def test_manual_interval_of_cron_data_interval_on_a_tick_ends_at_that_tick() -> None:
    timetable = CronDataIntervalTimetable("@daily", UTC)
    interval = timetable.infer_manual_data_interval(run_after=pendulum.datetime(2024, 3, 5, tz=UTC))
    assert interval == DataInterval(
        pendulum.datetime(2024, 3, 4, tz=UTC), pendulum.datetime(2024, 3, 5, tz=UTC)
    )


def test_manual_interval_of_cron_trigger_is_run_after_minus_interval() -> None:
    run_after = pendulum.datetime(2024, 3, 5, 12, 34, tz=UTC)
    assert CronTriggerTimetable("@daily", timezone=UTC).infer_manual_data_interval(
        run_after=run_after
    ) == DataInterval.exact(run_after)
    with_interval = CronTriggerTimetable("@daily", timezone=UTC, interval=pendulum.duration(days=1))
    assert with_interval.infer_manual_data_interval(run_after=run_after).start == run_after.subtract(days=1)


@pytest.mark.parametrize(
    "bad", ["not a cron", "61 * * * *", "* * *", "@once", "@continuous", "0 0 30 2 *", ""]
)
def test_invalid_cron_raises_value_error_naming_the_expression(bad: str) -> None:
    with pytest.raises(ValueError, match="Invalid cron expression") as info:
        CronTriggerTimetable(bad, timezone=UTC)
    assert isinstance(info.value, AirflowTimetableInvalid)
    assert repr(bad) in str(info.value)


def test_cron_results_are_utc_pendulum_datetimes_even_for_local_timezones() -> None:
    tz = "Asia/Kolkata"
    info = CronTriggerTimetable("0 6 * * *", timezone=tz).next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(pendulum.datetime(2024, 1, 1, tz=tz), None, True),
    )
    assert info is not None
    assert isinstance(info.run_after, pendulum.DateTime)
    assert info.run_after.timezone_name == "UTC"
    assert info.run_after == pendulum.datetime(2024, 1, 1, 0, 30, tz=UTC)  # 06:00 IST


def test_serialize_round_trips_and_uses_airflow_field_names() -> None:
    timetable = CronTriggerTimetable(
        "0 6 * * *", timezone="Europe/Amsterdam", interval=pendulum.duration(hours=1), run_immediately=True
    )
    assert timetable.serialize() == {
        "expression": "0 6 * * *",
        "timezone": "Europe/Amsterdam",
        "interval": 3600.0,
        "run_immediately": True,
    }
    assert CronTriggerTimetable.deserialize(timetable.serialize()) == timetable
    data_interval = CronDataIntervalTimetable("@daily", "UTC")
    assert data_interval.serialize() == {"expression": "0 0 * * *", "timezone": "UTC"}
    assert CronDataIntervalTimetable.deserialize(data_interval.serialize()) == data_interval


def test_description_is_human_readable_for_common_shapes() -> None:
    assert CronTriggerTimetable("0 6 * * *", timezone=UTC).description == "At 06:00"
    assert CronTriggerTimetable("30 21 * * 5", timezone=UTC).description == "At 21:30, only on Friday"


def test_constructors_accept_both_core_and_sdk_argument_spellings() -> None:
    core = CronTriggerTimetable("0 6 * * *", timezone="UTC")
    assert CronTriggerTimetable(cron="0 6 * * *", timezone="UTC") == core
    assert CronTriggerTimetable(expression="0 6 * * *", timezone="UTC") == core
    assert CronTriggerTimetable("0 6 * * *", "UTC") == core
    assert CronDataIntervalTimetable(expression="@daily", timezone="UTC") == CronDataIntervalTimetable(
        "@daily", "UTC"
    )
    with pytest.raises(TypeError, match="timezone"):
        CronTriggerTimetable("0 6 * * *")
    with pytest.raises(TypeError, match="not both"):
        CronTriggerTimetable("0 6 * * *", timezone="UTC", expression="0 7 * * *")
