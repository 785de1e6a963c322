"""Fixed-step schedules (``timedelta`` / ``relativedelta``) and their JSON encoding.

A :class:`DeltaSchedule` ticks every ``delta`` from wherever it is asked: there is no grid to
align to, so rounding up or down to a tick returns the instant unchanged (Airflow's rule).
Arithmetic happens on UTC instants, so ``timedelta(days=1)`` is always 24 real hours and
``relativedelta(months=1)`` moves the UTC calendar date (clamping the day: Jan 31 -> Feb 29).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta, weekday
from pendulum import DateTime

from riir_airflow.sdk.timetables._time import to_utc
from riir_airflow.sdk.timetables.base import AirflowTimetableInvalid

__all__ = [
    "Delta",
    "DeltaSchedule",
    "decode_delta",
    "describe_delta",
    "encode_delta",
    "is_delta",
    "nominal_seconds",
]

type Delta = dt.timedelta | relativedelta
"""What ``schedule=`` and ``interval=`` accept for a fixed step."""

_RELATIVE_FIELDS = ("years", "months", "days", "leapdays", "hours", "minutes", "seconds", "microseconds")
_ABSOLUTE_FIELDS = ("year", "month", "day", "hour", "minute", "second", "microsecond")

# A fixed reference for the positivity check: validation must not read the clock.
_REFERENCE = dt.datetime(2001, 1, 1)


def is_delta(value: object) -> bool:
    """Whether ``value`` is a timedelta or relativedelta."""
    return isinstance(value, dt.timedelta | relativedelta)


def nominal_seconds(delta: relativedelta) -> int:
    """The length of a relativedelta in seconds counting years as 365 days and months as 30.

    Used only for the epoch-grid rounding of day-or-smaller relativedeltas when catchup is off
    (Airflow's approximation; microseconds and absolute fields are ignored).
    """
    return (
        delta.years * 365 * 86400
        + delta.months * 30 * 86400
        + delta.days * 86400
        + delta.hours * 3600
        + delta.minutes * 60
        + delta.seconds
    )


def encode_delta(delta: Delta) -> float | dict[str, Any]:
    """Serialise as Airflow does: seconds (float) for a timedelta, non-zero fields otherwise."""
    if isinstance(delta, dt.timedelta):
        return delta.total_seconds()
    encoded: dict[str, Any] = {
        name: getattr(delta, name) for name in _RELATIVE_FIELDS + _ABSOLUTE_FIELDS if getattr(delta, name)
    }
    if delta.weekday is not None:
        day = delta.weekday
        encoded["weekday"] = [day.weekday, day.n] if day.n else [day.weekday]
    return encoded


def decode_delta(value: float | dict[str, Any]) -> Delta:
    """Inverse of :func:`encode_delta`."""
    if isinstance(value, dict):
        fields = dict(value)
        if "weekday" in fields:
            fields["weekday"] = weekday(*fields["weekday"])
        return relativedelta(**fields)
    return dt.timedelta(seconds=value)


def describe_delta(delta: Delta) -> str:
    """The summary Airflow shows for a delta schedule: ``str()`` of the delta."""
    return str(delta)


class DeltaSchedule:
    """Ticks every ``delta``; construction rejects non-positive steps."""

    def __init__(self, delta: Delta) -> None:
        if not is_delta(delta):
            raise AirflowTimetableInvalid(
                f"schedule interval must be a timedelta or relativedelta, not {delta!r}"
            )
        if _REFERENCE + delta <= _REFERENCE:
            raise AirflowTimetableInvalid(f"schedule interval must be positive, not {delta!r}")
        self.delta: Delta = delta

    @property
    def has_calendar_months(self) -> bool:
        """Whether the step has no fixed length in seconds (it counts months or years)."""
        return isinstance(self.delta, relativedelta) and bool(self.delta.months or self.delta.years)

    def next_after(self, current: DateTime) -> DateTime:
        """``current + delta`` in UTC."""
        return to_utc(current + self.delta)

    def prev_before(self, current: DateTime) -> DateTime:
        """``current - delta`` in UTC."""
        return to_utc(current - self.delta)

    def ceil(self, current: DateTime) -> DateTime:
        """Delta schedules have no grid: every instant is already aligned."""
        return current

    def floor(self, current: DateTime) -> DateTime:
        """Delta schedules have no grid: every instant is already aligned."""
        return current

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeltaSchedule):
            return NotImplemented
        return self.delta == other.delta

    def __hash__(self) -> int:
        return hash(repr(self.delta))
