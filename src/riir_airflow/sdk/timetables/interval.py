"""Data-interval timetables: each run covers one whole period and starts when it has ended.

``CronDataIntervalTimetable`` (2.x meaning of a cron ``schedule=``) and
``DeltaDataIntervalTimetable`` (2.x meaning of a timedelta ``schedule=``) cut time into
back-to-back intervals ``[tick_i, tick_{i+1})``. The run for an interval has
``logical_date = tick_i`` and ``run_after = tick_{i+1}``: a daily DAG starting 2024-01-01 gets
its first run at 2024-01-02T00:00 covering ``[01-01, 01-02]``.

Scheduling rules (Airflow 3.3):

- catchup on: the first interval starts at the first tick at or after ``start_date``; each
  following interval starts where the previous one ended.
- catchup off: intervals that ended before "now" are skipped; the first run is the latest
  *complete* interval (the one ending at or before now), never earlier than ``start_date``.
- ``end_date`` (``restriction.latest``): no interval *starting* after it is scheduled.
- A manual run at ``run_after`` covers the last complete interval ending at or before it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pendulum import DateTime

from riir_airflow.sdk.timetables._cron import CronSchedule, describe_cron
from riir_airflow.sdk.timetables._delta import (
    Delta,
    DeltaSchedule,
    decode_delta,
    describe_delta,
    encode_delta,
    nominal_seconds,
)
from riir_airflow.sdk.timetables._time import (
    TimezoneLike,
    coerce_timezone,
    encode_timezone,
    resolve_now,
    to_utc,
)
from riir_airflow.sdk.timetables.base import (
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    interval_in_utc,
    restriction_in_utc,
)

__all__ = ["CronDataIntervalTimetable", "DeltaDataIntervalTimetable"]


class _DataIntervalTimetable(Timetable):
    """Shared scheduling of contiguous intervals over a tick source (``self._ticks``)."""

    _ticks: CronSchedule | DeltaSchedule

    def _skip_to_latest(self, earliest: DateTime | None, now: DateTime) -> DateTime:
        """Start of the first interval worth creating when catchup is off (as of ``now``)."""
        raise NotImplementedError()

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        """Next interval after the last automated one; see the module docstring for the rules.

        ``now`` (keyword, riir extension) fixes the instant catchup=False measures against;
        by default it is :func:`~riir_airflow.sdk.timetables.utcnow`.
        """
        restriction = restriction_in_utc(restriction)
        last = interval_in_utc(last_automated_data_interval)
        ticks = self._ticks
        earliest = restriction.earliest
        if not restriction.catchup:
            earliest = self._skip_to_latest(earliest, resolve_now(now))
        elif earliest is not None:
            earliest = ticks.ceil(earliest)

        if last is None:
            if earliest is None:
                return None  # catchup with no start_date: nothing to anchor a first interval to
            start = earliest
        else:
            # Realign on the current grid, so a changed schedule continues from the old end.
            start = ticks.floor(last.end)
            if earliest is not None:
                start = max(start, earliest)
            if start <= last.start:
                # A coarser new schedule can realign onto the previous run; step once past it.
                start = ticks.next_after(start)
                if start <= last.start:
                    raise ValueError(
                        f"{type(self).__name__} did not advance past {last.start} after one retry"
                    )
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start=start, end=ticks.next_after(start))


class CronDataIntervalTimetable(_DataIntervalTimetable):
    """Intervals between consecutive cron ticks, evaluated in ``timezone``.

    This is what a cron ``schedule=`` means with ``[scheduler] create_cron_data_intervals``
    on (the Airflow 2 default). Presets (``@daily`` ...) are expanded; ``@once`` and
    ``@continuous`` are not cron expressions and are rejected.
    """

    def __init__(
        self,
        cron: str | None = None,
        timezone: TimezoneLike | None = None,
        *,
        expression: str | None = None,
    ) -> None:
        # ``cron`` is core Airflow's name for the first argument, ``expression`` airflow.sdk's.
        self._ticks = CronSchedule.from_arguments(cron, expression, timezone, type(self).__name__)
        self._expression: str = self._ticks.expression
        self._timezone = self._ticks.timezone
        self.description = describe_cron(self._expression)

    @property
    def summary(self) -> str:
        return self._expression

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(data["expression"], coerce_timezone(data["timezone"]))

    def serialize(self) -> dict[str, Any]:
        return {"expression": self._expression, "timezone": encode_timezone(self._timezone)}

    def _skip_to_latest(self, earliest: DateTime | None, now: DateTime) -> DateTime:
        """Start of the latest complete interval as of ``now``, but not before ``start_date``.

        If ``now`` is exactly on a tick, the interval ending now is complete and is chosen.
        """
        ticks = self._ticks
        last_start = ticks.prev_before(now)
        following = ticks.next_after(last_start)
        if following == now:
            new_start = last_start
        elif following > now:
            new_start = ticks.prev_before(last_start)
        else:
            raise AssertionError("next schedule shouldn't be earlier")
        if earliest is None:
            return new_start
        return max(new_start, ticks.ceil(earliest))

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """The last complete interval ending at or before ``run_after``.

        Example: daily at midnight, triggered at 2024-03-05T12:00 -> ``[03-04, 03-05]``.
        """
        end = self._ticks.floor(to_utc(run_after))
        return DataInterval(start=self._ticks.prev_before(end), end=end)


class DeltaDataIntervalTimetable(_DataIntervalTimetable):
    """Back-to-back intervals of length ``delta`` (a timedelta or relativedelta).

    This is what a timedelta ``schedule=`` means with data intervals enabled. The first
    interval starts exactly at ``start_date`` (there is no grid to align to).
    """

    def __init__(self, delta: Delta) -> None:
        self._ticks = DeltaSchedule(delta)
        self._delta: Delta = delta

    @property
    def summary(self) -> str:
        return describe_delta(self._delta)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(decode_delta(data["delta"]))

    def serialize(self) -> dict[str, Any]:
        return {"delta": encode_delta(self._delta)}

    def _round(self, value: DateTime, anchor: DateTime) -> DateTime:
        """Floor ``value`` to a period boundary.

        Month/year steps have no fixed length, so boundaries are walked forward one period at
        a time from ``anchor`` (the start date), matching the catchup grid exactly including
        day clamping (Jan 31 -> Feb 29 -> Mar 29). Fixed-length steps floor on the Unix-epoch
        grid (day-or-smaller relativedeltas use their nominal length), as Airflow does.
        """
        ticks = self._ticks
        assert isinstance(ticks, DeltaSchedule)
        if ticks.has_calendar_months:
            boundary = anchor
            while (following := ticks.next_after(boundary)) <= value:
                boundary = following
            return boundary
        if isinstance(self._delta, dt.timedelta):
            period: float = self._delta.total_seconds()
        else:
            period = nominal_seconds(self._delta)
        stamp = value.timestamp()
        return to_utc(DateTime.fromtimestamp(stamp - (stamp % period), tz=value.tzinfo))

    def _skip_to_latest(self, earliest: DateTime | None, now: DateTime) -> DateTime:
        """One period before ``now`` floored to the grid, but not before ``start_date``."""
        new_start = self._ticks.prev_before(self._round(now, earliest or now))
        if earliest is None:
            return new_start
        return max(new_start, earliest)

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """``[run_after - delta, run_after]``."""
        run_after = to_utc(run_after)
        return DataInterval(start=self._ticks.prev_before(run_after), end=run_after)
