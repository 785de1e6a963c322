"""Map a DAG's ``schedule=`` value to a timetable (spec 6.1).

| ``schedule=``                         | data intervals off (Airflow 3) | data intervals on (Airflow 2) |
|---------------------------------------|--------------------------------|-------------------------------|
| ``None``                              | NullTimetable                  | NullTimetable                 |
| ``"@once"`` / ``"@continuous"``       | Once / ContinuousTimetable     | same                          |
| cron string or preset                 | CronTriggerTimetable           | CronDataIntervalTimetable     |
| timedelta / relativedelta             | DeltaTriggerTimetable          | DeltaDataIntervalTimetable    |
| Timetable instance                    | itself                         | itself                        |
| asset expression (``_is_asset_schedule``) or a list of them | AssetTriggeredTimetable | same |

The caller (the DAG) chooses the column: Airflow 3 DAGs default to trigger timetables, 2.x
DAGs to data intervals, and ``[scheduler] create_cron_data_intervals`` /
``create_delta_data_intervals`` override. Anything else, including an invalid cron expression,
raises ``ValueError`` (:class:`AirflowTimetableInvalid`) naming the offending value.
"""

from __future__ import annotations

from collections.abc import Collection

from riir_airflow.sdk.timetables._delta import is_delta
from riir_airflow.sdk.timetables._time import TimezoneLike
from riir_airflow.sdk.timetables.base import AirflowTimetableInvalid, Timetable
from riir_airflow.sdk.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from riir_airflow.sdk.timetables.simple import (
    AssetTriggeredTimetable,
    ContinuousTimetable,
    NullTimetable,
    OnceTimetable,
)
from riir_airflow.sdk.timetables.trigger import CronTriggerTimetable, DeltaTriggerTimetable

__all__ = ["is_asset_schedule", "timetable_from_schedule"]


def is_asset_schedule(value: object) -> bool:
    """Whether ``value`` is an asset expression, or a collection of them (Airflow: even empty).

    Asset classes mark themselves with a class attribute ``_is_asset_schedule = True``, so this
    module needs no import of the asset machinery.
    """
    if getattr(value, "_is_asset_schedule", False) is True:
        return True
    if isinstance(value, Collection) and not isinstance(value, str | bytes):
        return all(getattr(item, "_is_asset_schedule", False) is True for item in value)
    return False


def timetable_from_schedule(
    schedule: object,
    *,
    timezone: TimezoneLike,
    create_cron_data_intervals: bool = False,
    create_delta_data_intervals: bool | None = None,
) -> Timetable:
    """Return the timetable a DAG's ``schedule=`` value stands for (table in the module doc).

    :param timezone: the DAG's time zone (its start_date's), in which cron ticks are read.
    :param create_cron_data_intervals: cron strings become CronDataIntervalTimetable when
        True, CronTriggerTimetable when False (Airflow 3's default).
    :param create_delta_data_intervals: the same choice for timedelta/relativedelta. ``None``
        follows ``create_cron_data_intervals``, which is what Airflow 3.3's DAG does (it reads
        the cron key for deltas too).
    :raises AirflowTimetableInvalid: (a ``ValueError``) for an invalid cron expression, a
        non-positive delta, or a value that is no schedule at all.
    """
    if schedule is None:
        return NullTimetable()
    if isinstance(schedule, Timetable):
        return schedule
    if isinstance(schedule, str):
        if schedule == "@once":
            return OnceTimetable()
        if schedule == "@continuous":
            return ContinuousTimetable()
        if create_cron_data_intervals:
            return CronDataIntervalTimetable(schedule, timezone)
        return CronTriggerTimetable(schedule, timezone=timezone)
    if is_delta(schedule):
        data_intervals = (
            create_cron_data_intervals if create_delta_data_intervals is None else create_delta_data_intervals
        )
        if data_intervals:
            return DeltaDataIntervalTimetable(schedule)  # type: ignore[arg-type]
        return DeltaTriggerTimetable(schedule)  # type: ignore[arg-type]
    if is_asset_schedule(schedule):
        from riir_airflow.sdk.assets import as_condition  # a list of assets means all of them

        return AssetTriggeredTimetable(as_condition(schedule) or schedule)
    if isinstance(schedule, Collection) and not isinstance(schedule, bytes):
        raise AirflowTimetableInvalid(
            "All elements in 'schedule' should be either assets, asset references, or asset aliases"
        )
    raise AirflowTimetableInvalid(f"{schedule!r} is not a valid schedule.")
