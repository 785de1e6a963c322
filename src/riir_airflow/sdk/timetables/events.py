"""``EventsTimetable``: runs at an explicit list of instants (irregular but known schedules).

Each event becomes one run at that instant with a zero-length data interval. Rules (Airflow
3.3): events are sorted unless ``presorted=True``; duplicates collapse because the next run
must be strictly after the previous one; with catchup off, events before "now" are skipped
(the first run is the first event at or after now); ``end_date`` drops later events. A manual
run covers its own ``run_after`` instant, or with ``restrict_to_events=True`` the most recent
event at or before it (the first event if all are in the future).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pendulum
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

__all__ = ["EventsTimetable"]


class EventsTimetable(Timetable):
    """Schedule runs at the given ``event_dates``.

    :param event_dates: the instants to run at (aware datetimes; naive ones are taken as UTC).
        The whole list is held in memory, so it must be finite and of reasonable size.
    :param restrict_to_events: whether a manual run takes the most recent event's instant as
        its data interval instead of its own trigger time.
    :param presorted: skip sorting when the dates are already ascending.
    :param description: UI label; defaults to ``"N events between A and B"``.
    """

    def __init__(
        self,
        event_dates: Iterable[dt.datetime],
        restrict_to_events: bool = False,
        presorted: bool = False,
        description: str | None = None,
    ) -> None:
        # The given datetimes are kept as passed for description/serialisation (as Airflow does);
        # scheduling compares instants, and results are returned in UTC.
        self.event_dates: list[dt.datetime] = list(event_dates)
        if not presorted:
            self.event_dates.sort(key=to_utc)
        self._instants: list[DateTime] = [to_utc(event) for event in self.event_dates]
        self.restrict_to_events = restrict_to_events
        if description is None:
            if self.event_dates:
                self.description = (
                    f"{len(self.event_dates)} events between "
                    f"{self.event_dates[0].isoformat(sep='T')} and "
                    f"{self.event_dates[-1].isoformat(sep='T')}"
                )
            else:
                self.description = "No events"
            self._summary = f"{len(self.event_dates)} events"
        else:
            self.description = description
            self._summary = description

    @property
    def summary(self) -> str:
        return self._summary

    def __repr__(self) -> str:
        return self.summary

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        """The first event not before the bound and strictly after the last run (or None).

        ``now`` (keyword, riir extension) is the instant catchup=False skips past.
        """
        restriction = restriction_in_utc(restriction)
        last = interval_in_utc(last_automated_data_interval)
        earliest = restriction.earliest
        if not restriction.catchup:
            current = resolve_now(now)
            if earliest is None or current > earliest:
                earliest = current
        for event in self._instants:
            if earliest is not None and event < earliest:
                continue
            if last is not None and event <= last.end:
                continue
            break
        else:
            return None
        if restriction.latest is not None and event > restriction.latest:
            return None
        return DagRunInfo.exact(event)

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """``run_after`` itself, or the most recent event at or before it (see class doc)."""
        run_after = to_utc(run_after)
        if not self.restrict_to_events or not self._instants:
            return DataInterval.exact(run_after)
        if run_after < self._instants[0]:
            return DataInterval.exact(self._instants[0])
        most_recent = next(event for event in reversed(self._instants) if event <= run_after)
        return DataInterval.exact(most_recent)

    def serialize(self) -> dict[str, Any]:
        return {
            "event_dates": [event.isoformat(sep="T") for event in self.event_dates],
            "restrict_to_events": self.restrict_to_events,
            "description": self.description,
            "_summary": self._summary,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        timetable = cls(
            event_dates=[pendulum.parse(x) for x in data["event_dates"]],  # type: ignore[misc]
            restrict_to_events=data["restrict_to_events"],
            presorted=True,
            description=data["description"],
        )
        timetable._summary = data["_summary"]
        return timetable
