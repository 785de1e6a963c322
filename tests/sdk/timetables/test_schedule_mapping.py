"""``timetable_from_schedule``: every ``schedule=`` value of spec 6.1."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from dateutil.relativedelta import relativedelta

from riir_airflow.sdk.timetables import (
    AirflowTimetableInvalid,
    AssetTriggeredTimetable,
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DeltaDataIntervalTimetable,
    DeltaTriggerTimetable,
    EventsTimetable,
    NullTimetable,
    OnceTimetable,
    timetable_from_schedule,
)


class FakeAsset:
    """Stands in for the asset classes built elsewhere: they carry this marker."""

    _is_asset_schedule = True


def _map(schedule, **flags):
    return timetable_from_schedule(schedule, timezone="Europe/Amsterdam", **flags)


@pytest.mark.parametrize("data_intervals", [False, True])
def test_none_once_and_continuous_map_the_same_under_both_defaults(data_intervals: bool) -> None:
    flags = {"create_cron_data_intervals": data_intervals}
    assert isinstance(_map(None, **flags), NullTimetable)
    assert isinstance(_map("@once", **flags), OnceTimetable)
    assert isinstance(_map("@continuous", **flags), ContinuousTimetable)


@pytest.mark.parametrize(
    "schedule",
    [
        "@hourly",
        "@daily",
        "@weekly",
        "@monthly",
        "@quarterly",
        "@yearly",
        "@annually",
        "@midnight",
        "5 4 * * sun",
    ],
)
def test_cron_strings_map_to_trigger_by_default_and_data_interval_when_asked(schedule: str) -> None:
    trigger = _map(schedule)
    assert isinstance(trigger, CronTriggerTimetable)
    assert trigger.serialize()["timezone"] == "Europe/Amsterdam"
    assert isinstance(_map(schedule, create_cron_data_intervals=True), CronDataIntervalTimetable)


@pytest.mark.parametrize("schedule", [dt.timedelta(hours=1), relativedelta(months=1)])
def test_deltas_follow_the_cron_flag_unless_their_own_flag_is_given(schedule) -> None:
    assert isinstance(_map(schedule), DeltaTriggerTimetable)
    assert isinstance(_map(schedule, create_cron_data_intervals=True), DeltaDataIntervalTimetable)
    assert isinstance(
        _map(schedule, create_cron_data_intervals=True, create_delta_data_intervals=False),
        DeltaTriggerTimetable,
    )
    assert isinstance(_map(schedule, create_delta_data_intervals=True), DeltaDataIntervalTimetable)


def test_timetable_instances_are_used_as_given() -> None:
    timetable = EventsTimetable([pendulum.datetime(2024, 1, 1)])
    assert _map(timetable) is timetable


def test_asset_schedules_map_to_the_asset_placeholder() -> None:
    asset = FakeAsset()
    single = _map(asset)
    assert isinstance(single, AssetTriggeredTimetable) and single.asset_condition is asset
    assert isinstance(_map([FakeAsset(), FakeAsset()]), AssetTriggeredTimetable)
    assert single.can_be_scheduled is False


def test_list_mixing_assets_and_other_values_is_rejected() -> None:
    with pytest.raises(ValueError, match="should be either assets"):
        _map([FakeAsset(), "@daily"])


@pytest.mark.parametrize("schedule", ["every day", "0 25 * * *", "* * * *"])
def test_invalid_cron_string_raises_value_error_with_the_expression(schedule: str) -> None:
    with pytest.raises(ValueError, match="Invalid cron expression") as info:
        _map(schedule)
    assert repr(schedule) in str(info.value)
    assert isinstance(info.value, AirflowTimetableInvalid)


@pytest.mark.parametrize("schedule", [42, 3.5, object()])
def test_values_that_are_no_schedule_raise_value_error(schedule) -> None:
    with pytest.raises(ValueError, match="is not a valid schedule"):
        _map(schedule)


def test_timezone_objects_are_accepted_and_ticks_follow_them() -> None:
    from zoneinfo import ZoneInfo

    for tz in (ZoneInfo("Asia/Kolkata"), pendulum.timezone("Asia/Kolkata")):
        timetable = timetable_from_schedule("0 6 * * *", timezone=tz)
        assert timetable.serialize()["timezone"] == "Asia/Kolkata"
    fixed = timetable_from_schedule("0 6 * * *", timezone=dt.timezone(dt.timedelta(hours=2)))
    assert fixed.serialize()["timezone"] == 7200
    utc = timetable_from_schedule("0 6 * * *", timezone=dt.UTC)
    assert utc.serialize()["timezone"] == "UTC"
