"""The base interface, custom timetables, how "now" is passed, and the 2.x/3.x import paths."""

from __future__ import annotations

import datetime as dt
import importlib

import pendulum
import pytest

from riir_airflow.sdk import timetables as sdk_timetables
from riir_airflow.sdk.timetables import (
    CronTriggerTimetable,
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    frozen_now,
    next_run_info,
    utcnow,
)

NOW = pendulum.datetime(2024, 5, 6, 7, 8, 9, tz="UTC")


class WorkdayNoon(Timetable):
    """A custom timetable as a DAG author writes it: Airflow's signature, no ``now`` argument."""

    def infer_manual_data_interval(self, *, run_after):
        return DataInterval.exact(run_after)

    def next_dagrun_info(self, *, last_automated_data_interval, restriction):
        base = last_automated_data_interval.end.add(days=1) if last_automated_data_interval else utcnow()
        day = base.start_of("day")
        while day.day_of_week in (pendulum.SATURDAY, pendulum.SUNDAY):
            day = day.add(days=1)
        return DagRunInfo.exact(day.add(hours=12))


def test_data_interval_and_dag_run_info_constructors() -> None:
    assert DataInterval.exact(NOW) == DataInterval(NOW, NOW)
    info = DagRunInfo.interval(NOW, NOW.add(days=1))
    assert (info.run_after, info.logical_date) == (NOW.add(days=1), NOW)
    assert DagRunInfo.exact(NOW).data_interval == DataInterval(NOW, NOW)
    assert DagRunInfo(run_after=NOW, data_interval=None).logical_date is None


def test_time_restriction_is_a_named_tuple_with_airflow_field_names() -> None:
    assert TimeRestriction._fields == ("earliest", "latest", "catchup")
    assert DagRunInfo._fields[:2] == ("run_after", "data_interval")


def test_timetable_base_defaults_describe_a_periodic_schedulable_timetable() -> None:
    timetable = Timetable()
    assert (timetable.periodic, timetable.can_be_scheduled, timetable.active_runs_limit) == (True, True, None)
    assert timetable.run_ordering == ("data_interval_end", "logical_date")
    assert timetable.summary == "Timetable"
    assert timetable.serialize() == {}
    with pytest.raises(NotImplementedError):
        timetable.next_dagrun_info(
            last_automated_data_interval=None, restriction=TimeRestriction(None, None, True)
        )


def test_custom_timetable_reads_the_now_pinned_by_next_run_info() -> None:
    info = next_run_info(
        WorkdayNoon(),
        last_automated_data_interval=None,
        restriction=TimeRestriction(None, None, False),
        now=NOW,
    )
    assert info is not None and info.run_after == pendulum.datetime(2024, 5, 6, 12, tz="UTC")  # Monday


def test_custom_timetable_type_name_is_its_import_path() -> None:
    assert WorkdayNoon().type_name.endswith("test_base_and_clock.WorkdayNoon")
    assert CronTriggerTimetable("@daily", timezone="UTC").type_name == "CronTriggerTimetable"


def test_next_dagrun_info_v2_delegates_with_the_last_runs_interval() -> None:
    timetable = WorkdayNoon()
    last = DagRunInfo.exact(pendulum.datetime(2024, 5, 10, 12, tz="UTC"))  # Friday
    info = timetable.next_dagrun_info_v2(last_dagrun_info=last, restriction=TimeRestriction(None, None, True))
    assert info is not None and info.run_after == pendulum.datetime(2024, 5, 13, 12, tz="UTC")


def test_frozen_now_pins_and_restores_the_clock() -> None:
    with frozen_now(NOW):
        assert utcnow() == NOW
        with frozen_now(NOW.add(days=1)):
            assert utcnow() == NOW.add(days=1)
        assert utcnow() == NOW
    assert abs(utcnow() - pendulum.now("UTC")) < dt.timedelta(minutes=1)


def test_now_keyword_and_frozen_now_give_the_same_answer() -> None:
    timetable = CronTriggerTimetable("@hourly", timezone="UTC")
    restriction = TimeRestriction(pendulum.datetime(2024, 1, 1, tz="UTC"), None, False)
    explicit = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction, now=NOW)
    with frozen_now(NOW):
        pinned = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert explicit == pinned
    assert explicit is not None and explicit.run_after == pendulum.datetime(2024, 5, 6, 7, tz="UTC")


def test_next_run_info_normalizes_inputs_and_outputs_to_utc() -> None:
    tz = "America/New_York"
    info = next_run_info(
        CronTriggerTimetable("0 6 * * *", timezone=tz),
        last_automated_data_interval=None,
        restriction=TimeRestriction(pendulum.datetime(2024, 1, 1, tz=tz), None, True),
        now=None,
    )
    assert info is not None
    assert info.run_after.timezone_name == "UTC"
    assert info.run_after == pendulum.datetime(2024, 1, 1, 11, tz="UTC")


def test_naive_datetimes_are_taken_as_utc() -> None:
    info = next_run_info(
        CronTriggerTimetable("@daily", timezone="UTC"),
        last_automated_data_interval=None,
        restriction=TimeRestriction(dt.datetime(2024, 1, 1, 12), None, True),
        now=dt.datetime(2024, 1, 1),
    )
    assert info is not None and info.run_after == pendulum.datetime(2024, 1, 2, tz="UTC")


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("riir_airflow.timetables.base", ["Timetable", "DataInterval", "DagRunInfo", "TimeRestriction"]),
        ("riir_airflow.timetables.interval", ["CronDataIntervalTimetable", "DeltaDataIntervalTimetable"]),
        (
            "riir_airflow.timetables.trigger",
            ["CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"],
        ),
        ("riir_airflow.timetables.events", ["EventsTimetable"]),
        ("riir_airflow.timetables.simple", ["NullTimetable", "OnceTimetable", "ContinuousTimetable"]),
        ("riir_airflow.timetables.simple", ["AssetTriggeredTimetable"]),
    ],
)
def test_airflow_module_paths_re_export_the_same_classes(module: str, names: list[str]) -> None:
    loaded = importlib.import_module(module)
    for name in names:
        assert getattr(loaded, name) is getattr(sdk_timetables, name)
        assert name in loaded.__all__


def test_dataset_triggered_timetable_is_the_2x_name_of_the_asset_placeholder() -> None:
    from riir_airflow.timetables.simple import AssetTriggeredTimetable, DatasetTriggeredTimetable

    assert DatasetTriggeredTimetable is AssetTriggeredTimetable


def test_curated_all_lists_only_defined_names() -> None:
    for name in sdk_timetables.__all__:
        assert hasattr(sdk_timetables, name)


def test_custom_timetables_without_serialize_compare_by_identity() -> None:
    first, second = WorkdayNoon(), WorkdayNoon()
    assert first.__eq__(first) is True
    assert first != second
    assert len({first, second}) == 2
    assert CronTriggerTimetable("@daily", timezone="UTC") == CronTriggerTimetable("0 0 * * *", timezone="UTC")
