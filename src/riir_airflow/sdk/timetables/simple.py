"""Timetables without a periodic grid: ``None``, ``@once``, ``@continuous`` and asset schedules.

- ``NullTimetable`` (``schedule=None``): never schedules; runs are triggered by hand only.
- ``OnceTimetable`` (``"@once"``): one run at ``start_date`` (or at "now" without one),
  whatever catchup says; nothing after ``end_date``.
- ``ContinuousTimetable`` (``"@continuous"``): a new run as soon as the previous one was
  created, each covering the time since the previous run's end; at most one active run.
- ``AssetTriggeredTimetable``: placeholder for asset-driven schedules (the asset machinery is
  built elsewhere); it never schedules by time.

For all of them a manual run's data interval is the single instant ``run_after``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pendulum import DateTime

from riir_airflow.sdk.timetables._time import resolve_now, to_utc
from riir_airflow.sdk.timetables.base import (
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    interval_in_utc,
    restriction_in_utc,
)

__all__ = ["AssetTriggeredTimetable", "ContinuousTimetable", "NullTimetable", "OnceTimetable"]


class _TrivialTimetable(Timetable):
    """Common ground: not periodic, ordered by logical date, equal to any same-class instance."""

    periodic = False
    run_ordering: Sequence[str] = ("logical_date",)

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """The instant ``run_after``."""
        return DataInterval.exact(to_utc(run_after))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return True

    def __hash__(self) -> int:
        return hash(type(self).__name__)


class NullTimetable(_TrivialTimetable):
    """``schedule=None``: never schedules anything; external triggers only."""

    can_be_scheduled = False
    description = "Never, external triggers only"

    @property
    def summary(self) -> str:
        return "None"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        return None


class OnceTimetable(_TrivialTimetable):
    """``schedule="@once"``: a single run at start_date (at "now" when there is none).

    Catchup does not matter: the run is always at start_date, as it has been since Airflow 1.10.
    """

    description = "Once, as soon as possible"

    @property
    def summary(self) -> str:
        return "@once"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            return None  # already ran
        restriction = restriction_in_utc(restriction)
        run_after = restriction.earliest or resolve_now(now)
        if restriction.latest is not None and run_after > restriction.latest:
            return None
        return DagRunInfo.exact(run_after)


class ContinuousTimetable(_TrivialTimetable):
    """``schedule="@continuous"``: run again as soon as possible, one run at a time.

    The first run covers ``[start_date, max(start_date, now)]``; each later run covers
    ``[previous end, now]``. If the previous run ended in the future (start_date ahead of now),
    the next one starts at start_date with the previous run's length. Nothing ending after
    ``end_date`` is scheduled.
    """

    description = "As frequently as possible, but only one run at a time."
    active_runs_limit = 1

    @property
    def summary(self) -> str:
        return "@continuous"

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        restriction = restriction_in_utc(restriction)
        last = interval_in_utc(last_automated_data_interval)
        current = resolve_now(now)
        start_date = restriction.earliest or current
        if last is None:
            start, end = start_date, max(start_date, current)
        elif last.end > current:
            start = start_date
            end = to_utc(start + (last.end - last.start).as_timedelta())
        else:
            start, end = last.end, current
        if restriction.latest is not None and end > restriction.latest:
            return None
        return DagRunInfo.interval(start, end)


class AssetTriggeredTimetable(_TrivialTimetable):
    """Placeholder for ``schedule=<asset expression>``: runs come from asset events, not time.

    ``can_be_scheduled`` is False so the time-based scheduler leaves such DAGs alone; the
    asset condition is kept as given for the asset machinery to interpret.
    """

    can_be_scheduled = False
    description = "Triggered by assets"

    def __init__(self, assets: Any = None) -> None:
        self.asset_condition = assets

    @property
    def summary(self) -> str:
        return "Asset"

    def serialize(self) -> dict[str, Any]:
        return {"asset_condition": repr(self.asset_condition)}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, AssetTriggeredTimetable)
        return self.asset_condition == other.asset_condition

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        return None
