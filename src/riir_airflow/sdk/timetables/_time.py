"""Time primitives shared by every timetable: the clock, UTC coercion and local-time resolution.

Contract:

- Timetables never read the wall clock directly. They call :func:`utcnow`, which returns the
  instant pinned by :func:`frozen_now` (a context variable, so concurrent schedulers in one
  process do not see each other's pins) or, when nothing is pinned, the real clock. This is
  what makes scheduling decisions reproducible in tests and lets the engine decide "as of" a
  given instant.
- Every datetime a timetable returns is a ``pendulum.DateTime`` in UTC (:func:`to_utc`).
  Naive inputs are taken to be UTC, which is what a DAG's start/end dates already are once the
  DAG has normalised them.
- Local wall-clock times produced by cron arithmetic are resolved with :func:`localize`, which
  follows Airflow: an ambiguous time (clocks going back) resolves to its *second* occurrence,
  and a non-existent time (clocks going forward) is pushed forward by the gap, exactly as
  pendulum does for ``fold=1``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

import pendulum
from pendulum import DateTime
from pendulum.tz.timezone import FixedTimezone, Timezone

__all__ = [
    "TimezoneLike",
    "coerce_timezone",
    "encode_timezone",
    "frozen_now",
    "localize",
    "resolve_now",
    "to_local_naive",
    "to_utc",
    "utcnow",
]

type TimezoneLike = str | int | Timezone | FixedTimezone | dt.tzinfo
"""What a timetable accepts as ``timezone``: an IANA name, a UTC offset in seconds, or a tzinfo."""

UTC: Timezone = pendulum.UTC

_pinned_now: contextvars.ContextVar[DateTime | None] = contextvars.ContextVar(
    "riir_airflow_timetable_now", default=None
)


def utcnow() -> DateTime:
    """Return "now" for scheduling decisions: the pinned instant if any, else the real clock."""
    pinned = _pinned_now.get()
    if pinned is not None:
        return pinned
    return to_utc(dt.datetime.now(tz=dt.UTC))


def resolve_now(now: dt.datetime | None) -> DateTime:
    """``now`` as a UTC DateTime when given explicitly, else :func:`utcnow`."""
    return to_utc(now) if now is not None else utcnow()


@contextlib.contextmanager
def frozen_now(at: dt.datetime | None) -> Iterator[DateTime | None]:
    """Pin :func:`utcnow` to ``at`` inside the ``with`` block (``None`` leaves the real clock).

    Why a context variable rather than a parameter on every method: custom timetables written
    for Airflow have the signature ``next_dagrun_info(*, last_automated_data_interval,
    restriction)`` and cannot take a ``now`` argument, yet the engine must decide every
    timetable's next run as of one instant.
    """
    if at is None:
        yield None
        return
    pinned = to_utc(at)
    token = _pinned_now.set(pinned)
    try:
        yield pinned
    finally:
        _pinned_now.reset(token)


def to_utc(value: dt.datetime) -> DateTime:
    """Return ``value`` as a pendulum DateTime in UTC; a naive value is taken to be UTC."""
    if value.utcoffset() is None:
        value = value.replace(tzinfo=dt.UTC)
    return pendulum.instance(value.astimezone(UTC))


def coerce_timezone(tz: TimezoneLike) -> Timezone | FixedTimezone:
    """Turn any accepted ``timezone`` value into a pendulum timezone.

    Cron arithmetic needs pendulum's ``convert`` to resolve DST gaps and folds the way Airflow
    does, so foreign tzinfo objects (``zoneinfo.ZoneInfo``, ``datetime.timezone``) are mapped
    to their pendulum equivalent. A tzinfo that is neither named nor fixed is rejected.
    """
    if isinstance(tz, Timezone | FixedTimezone):
        return tz
    if isinstance(tz, str | int):
        return pendulum.timezone(tz)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if isinstance(key, str):
        return pendulum.timezone(key)
    if isinstance(tz, dt.timezone):
        offset = tz.utcoffset(None)
        if offset == dt.timedelta(0):
            return UTC
        return pendulum.fixed_timezone(int(offset.total_seconds()))
    raise TypeError(f"timezone must be an IANA name, an offset in seconds or a tzinfo, not {tz!r}")


def encode_timezone(tz: Timezone | FixedTimezone) -> str | int:
    """Serialise a timezone as Airflow does: its IANA name, ``"UTC"``, or an offset in seconds."""
    if isinstance(tz, FixedTimezone):
        offset = int(tz.offset)
        return "UTC" if offset == 0 else offset
    return tz.name


def to_local_naive(value: dt.datetime, tz: Timezone | FixedTimezone) -> dt.datetime:
    """Return the wall-clock reading of the aware ``value`` in ``tz``, without tzinfo or fold.

    Dropping ``fold`` is deliberate: croniter works on naive wall-clock times, and Airflow feeds
    it the reading alone, so an instant inside a repeated hour is seen as its first occurrence.
    """
    local = value.astimezone(tz)
    return dt.datetime(
        local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond
    )


def localize(naive: dt.datetime, tz: Timezone | FixedTimezone) -> DateTime:
    """Resolve the wall-clock time ``naive`` in ``tz`` to a UTC instant, the way Airflow does.

    Ambiguous readings take the later occurrence (``fold=1``); readings that fall in a DST gap
    are shifted forward by the size of the gap (pendulum's rule for ``fold=1``).
    """
    return to_utc(tz.convert(naive.replace(tzinfo=None, fold=1)))
