"""Trigger timetables: a run at each tick, like POSIX cron (Airflow 3's default meaning).

``CronTriggerTimetable`` (cron ``schedule=`` in Airflow 3), ``DeltaTriggerTimetable``
(timedelta ``schedule=`` in Airflow 3) and ``MultipleCronTriggerTimetable`` create one run *at*
each tick: ``run_after = tick`` and the data interval is ``[tick - interval, tick]`` (a single
instant with the default ``interval=timedelta(0)``). A daily DAG starting 2024-01-01 gets its
first run at 2024-01-01T00:00.

Scheduling rules (Airflow 3.3):

- catchup on: first run at the first tick at or after ``start_date``, then every tick.
- catchup off: the next run is the newest of (the latest tick at or before now, the tick after
  the last run, the first tick at or after ``start_date``): missed ticks collapse into one.
- No ``start_date``: the first run is decided by ``run_immediately``: ``True`` -> the latest
  past tick; a timedelta -> that tick if it is at most that long ago, else the next tick;
  ``False``/``None`` -> the latest past tick if it is at most max(10% of the tick spacing,
  5 minutes) ago, else the next one. (``False`` behaves like ``None`` in Airflow 3.3.)
- ``end_date`` (``restriction.latest``): no run after it.
- A manual run at ``run_after`` covers ``[run_after - interval, run_after]``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pendulum import DateTime

from riir_airflow.sdk.timetables._cron import CronSchedule, describe_cron
from riir_airflow.sdk.timetables._delta import Delta, DeltaSchedule, decode_delta, encode_delta
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

__all__ = ["CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"]

_MIN_RUN_IMMEDIATELY_BUFFER = dt.timedelta(minutes=5)


def _encode_run_immediately(value: bool | dt.timedelta) -> bool | float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else value


def _decode_run_immediately(value: bool | float) -> bool | dt.timedelta:
    return dt.timedelta(seconds=value) if isinstance(value, float) else value


class _TriggerTimetable(Timetable):
    """Shared scheduling for run-at-each-tick timetables over ``self._ticks``."""

    _ticks: CronSchedule | DeltaSchedule
    _interval: Delta

    def _first_run(self, now: DateTime) -> DateTime:
        """First tick to run when there is neither a previous run nor a start_date."""
        raise NotImplementedError()

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """``[run_after - interval, run_after]``."""
        run_after = to_utc(run_after)
        return DataInterval(to_utc(run_after - self._interval), run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        """Next tick to run; see the module docstring for the rules.

        ``now`` (keyword, riir extension) fixes the instant catchup=False and the first-run
        rule measure against; by default it is :func:`~riir_airflow.sdk.timetables.utcnow`.
        """
        restriction = restriction_in_utc(restriction)
        last = interval_in_utc(last_automated_data_interval)
        ticks = self._ticks
        if restriction.catchup:
            if last is not None:
                tick = ticks.next_after(last.end)
            elif restriction.earliest is None:
                tick = self._first_run(resolve_now(now))
            else:
                tick = ticks.ceil(restriction.earliest)
        else:
            current = resolve_now(now)
            candidates = [ticks.floor(current)]
            if last is not None:
                candidates.append(ticks.next_after(last.end))
            elif restriction.earliest is None:
                candidates.append(self._first_run(current))
            if restriction.earliest is not None:
                candidates.append(ticks.ceil(restriction.earliest))
            tick = max(candidates)
        if restriction.latest is not None and restriction.latest < tick:
            return None
        return DagRunInfo.interval(to_utc(tick - self._interval), tick)


class DeltaTriggerTimetable(_TriggerTimetable):
    """A run every ``delta``; each run's data interval is ``[run_after - interval, run_after]``.

    With catchup off and a start_date in the past, the first run happens at "now" itself (a
    delta schedule has no grid to align "now" to).
    """

    def __init__(self, delta: Delta, *, interval: Delta = dt.timedelta()) -> None:
        self._ticks = DeltaSchedule(delta)
        self._delta: Delta = delta
        self._interval = interval

    @property
    def summary(self) -> str:
        return str(self._delta)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(decode_delta(data["delta"]), interval=decode_delta(data["interval"]))

    def serialize(self) -> dict[str, Any]:
        return {"delta": encode_delta(self._delta), "interval": encode_delta(self._interval)}

    def _first_run(self, now: DateTime) -> DateTime:
        return self._ticks.floor(now)


class CronTriggerTimetable(_TriggerTimetable):
    """A run at each tick of ``cron`` evaluated in ``timezone``.

    :param cron: cron expression or preset (``@daily`` ...); not ``@once``/``@continuous``.
        Also accepted as ``expression=`` (the ``airflow.sdk`` spelling).
    :param timezone: zone the expression is read in (DST moves the UTC time of local ticks).
    :param interval: length of each run's data interval, ending at the tick (default 0).
    :param run_immediately: first-run rule when the DAG has no start_date (module docstring).
    """

    def __init__(
        self,
        cron: str | None = None,
        timezone: TimezoneLike | None = None,
        *,
        interval: Delta = dt.timedelta(),
        run_immediately: bool | dt.timedelta = False,
        expression: str | None = None,
    ) -> None:
        # Core Airflow names the first argument ``cron`` and makes ``timezone`` keyword-only;
        # ``airflow.sdk``'s class names it ``expression`` and takes ``timezone`` positionally.
        self._ticks = CronSchedule.from_arguments(cron, expression, timezone, type(self).__name__)
        self._expression: str = self._ticks.expression
        self._timezone = self._ticks.timezone
        self._interval = interval
        self._run_immediately = run_immediately
        self.description = describe_cron(self._expression)

    @property
    def summary(self) -> str:
        return self._expression

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(
            data["expression"],
            timezone=coerce_timezone(data["timezone"]),
            interval=decode_delta(data["interval"]),
            run_immediately=_decode_run_immediately(data.get("run_immediately", False)),
        )

    def serialize(self) -> dict[str, Any]:
        return {
            "expression": self._expression,
            "timezone": encode_timezone(self._timezone),
            "interval": encode_delta(self._interval),
            "run_immediately": _encode_run_immediately(self._run_immediately),
        }

    def _first_run(self, now: DateTime) -> DateTime:
        past = self._ticks.floor(now)
        upcoming = self._ticks.ceil(now)
        if self._run_immediately is True:  # exactly True: a timedelta is truthy too
            return past
        if isinstance(self._run_immediately, dt.timedelta):
            buffer = self._run_immediately
        else:
            buffer = max((upcoming - past) / 10, _MIN_RUN_IMMEDIATELY_BUFFER)
        return past if now - past <= buffer else upcoming


class MultipleCronTriggerTimetable(Timetable):
    """A run whenever any of several cron expressions ticks (at most one run per instant).

    Each expression behaves as a :class:`CronTriggerTimetable` with the shared ``timezone``,
    ``interval`` and ``run_immediately``. With catchup on, the earliest candidate wins; with
    catchup off, the latest candidate at or before now wins, else the earliest future one.
    """

    def __init__(
        self,
        *crons: str,
        timezone: TimezoneLike,
        interval: Delta = dt.timedelta(),
        run_immediately: bool | dt.timedelta = False,
    ) -> None:
        if not crons:
            raise ValueError("cron expression required")
        self._timetables = [
            CronTriggerTimetable(cron, timezone=timezone, interval=interval, run_immediately=run_immediately)
            for cron in crons
        ]
        self.description = ", ".join(t.description for t in self._timetables)

    @property
    def summary(self) -> str:
        return ", ".join(t.summary for t in self._timetables)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(
            *data["expressions"],
            timezone=coerce_timezone(data["timezone"]),
            interval=decode_delta(data["interval"]),
            run_immediately=_decode_run_immediately(data["run_immediately"]),
        )

    def serialize(self) -> dict[str, Any]:
        first = self._timetables[0].serialize()
        return {
            "expressions": [t.summary for t in self._timetables],
            "timezone": first["timezone"],
            "interval": first["interval"],
            "run_immediately": first["run_immediately"],
        }

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        """The earliest-starting manual interval among the expressions (they share ``interval``)."""
        intervals = [t.infer_manual_data_interval(run_after=run_after) for t in self._timetables]
        return min(intervals, key=lambda interval: interval.start)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
        now: dt.datetime | None = None,
    ) -> DagRunInfo | None:
        """The chosen candidate among the expressions' next runs (see the class docstring)."""
        current = resolve_now(now)
        infos = [
            t.next_dagrun_info(
                last_automated_data_interval=last_automated_data_interval,
                restriction=restriction,
                now=current,
            )
            for t in self._timetables
        ]
        now_ts = current.timestamp()

        def sort_key(info: DagRunInfo | None) -> float:
            if info is None or info.logical_date is None:
                return float("inf")
            stamp = info.logical_date.timestamp()
            if restriction.catchup:
                return stamp
            return -stamp if stamp <= now_ts else stamp

        return min(infos, key=sort_key)
