"""Time zone helpers with Airflow's semantics (`airflow.sdk.timezone`, `airflow.utils.timezone`).

Airflow stores and exposes datetimes in UTC and treats a naive datetime as being in
`[core] default_timezone` (utc unless configured). DAG files call these helpers when they build
`start_date`s and compare dates, so their results must match Airflow's: aware datetimes, pendulum
instances where Airflow returns them, and ValueError for the same misuse (making an aware value
aware, or a naive value naive).

The default time zone is read from the configuration on first use, not at import, and re-read
when that setting changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

import pendulum
from pendulum.tz.timezone import FixedTimezone, Timezone

__all__ = [
    "coerce_datetime",
    "convert_to_utc",
    "datetime",
    "default_timezone",
    "from_timestamp",
    "is_localized",
    "is_naive",
    "local_timezone",
    "make_aware",
    "make_naive",
    "parse",
    "parse_timezone",
    "utc",
    "utc_epoch",
    "utcnow",
]

utc: Timezone = pendulum.UTC

_default_tz_cache: tuple[str, Timezone | FixedTimezone] | None = None


def parse_timezone(name: str | int) -> Timezone | FixedTimezone:
    """A pendulum time zone from an IANA name (`Europe/Amsterdam`) or an offset in seconds."""
    return pendulum.timezone(name)


def local_timezone() -> Timezone | FixedTimezone:
    """The machine's local time zone."""
    return pendulum.local_timezone()


def default_timezone() -> Timezone | FixedTimezone:
    """`[core] default_timezone` as a time zone (`system` means the machine's local zone)."""
    global _default_tz_cache
    from riir_airflow.compat.config import conf

    name = conf.get("core", "default_timezone", fallback="utc") or "utc"
    cached = _default_tz_cache
    if cached is not None and cached[0] == name:
        return cached[1]
    tz = local_timezone() if name == "system" else parse_timezone("UTC" if name.lower() == "utc" else name)
    _default_tz_cache = (name, tz)
    return tz


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(tz=utc)


def utc_epoch() -> dt.datetime:
    """1970-01-01T00:00:00+00:00."""
    return dt.datetime(1970, 1, 1, tzinfo=utc)


def is_localized(value: dt.datetime) -> bool:
    """True when `value` is aware (has a UTC offset)."""
    return value.utcoffset() is not None


def is_naive(value: dt.datetime) -> bool:
    """True when `value` has no UTC offset."""
    return value.utcoffset() is None


def datetime(*args: Any, **kwargs: Any) -> dt.datetime:
    """`datetime.datetime(...)`, aware in the default time zone unless `tzinfo` is given."""
    kwargs.setdefault("tzinfo", default_timezone())
    return dt.datetime(*args, **kwargs)


def parse(string: str, timezone: Any = None, *, strict: bool = False) -> pendulum.DateTime:
    """Parse an ISO 8601 string; a value without offset is read in `timezone` (default tz)."""
    result = pendulum.parse(string, tz=timezone or default_timezone(), strict=strict)
    if isinstance(result, pendulum.DateTime):
        return result
    raise ValueError(f"{string!r} is not a date-time")


def make_aware(value: dt.datetime | None, timezone: Any = None) -> dt.datetime | None:
    """Attach `timezone` (default tz) to a naive datetime. Raises ValueError if it is already aware."""
    if value is None:
        return None
    if timezone is None:
        timezone = default_timezone()
    if is_localized(value):
        raise ValueError(f"make_aware expects a naive datetime, got {value}")
    # An ambiguous wall time (clocks set back) means its second occurrence, as in Airflow.
    value = value.replace(fold=1)
    convert = getattr(timezone, "convert", None)  # pendulum zones also shift times in a DST gap
    return convert(value) if convert is not None else value.replace(tzinfo=timezone)


def make_naive(value: dt.datetime, timezone: Any = None) -> dt.datetime:
    """Convert an aware datetime to wall time in `timezone` (default tz) and drop the tzinfo."""
    if timezone is None:
        timezone = default_timezone()
    if is_naive(value):
        raise ValueError("make_naive() cannot be applied to a naive datetime")
    local = value.astimezone(timezone)
    return dt.datetime(
        local.year, local.month, local.day, local.hour, local.minute, local.second, local.microsecond
    )


@overload
def convert_to_utc(value: None) -> None: ...
@overload
def convert_to_utc(value: dt.datetime) -> pendulum.DateTime: ...
def convert_to_utc(value: dt.datetime | None) -> pendulum.DateTime | None:
    """The same instant in UTC, as pendulum. A naive value is first read in the default tz."""
    if value is None:
        return None
    if not is_localized(value):
        value = make_aware(value, default_timezone())
    assert value is not None
    return pendulum.instance(value.astimezone(utc))


@overload
def coerce_datetime(value: None, tz: Any = None) -> None: ...
@overload
def coerce_datetime(value: dt.datetime, tz: Any = None) -> pendulum.DateTime: ...
def coerce_datetime(value: dt.datetime | None, tz: Any = None) -> pendulum.DateTime | None:
    """A pendulum DateTime, keeping an aware value's zone; a naive one gets `tz` (default tz)."""
    if value is None:
        return None
    if isinstance(value, pendulum.DateTime) and value.tzinfo is not None:
        return value
    if value.tzinfo is None:
        value = make_aware(value, tz if tz is not None else default_timezone())
        assert value is not None
    return pendulum.instance(value)


def from_timestamp(timestamp: float, tz: Any = utc) -> pendulum.DateTime:
    """A POSIX timestamp as an aware pendulum DateTime in `tz` (UTC by default)."""
    if isinstance(tz, str) and tz.lower() == "local":
        tz = local_timezone()
    result = pendulum.from_timestamp(timestamp, tz="UTC")
    return result if tz in (utc, "UTC") else result.in_timezone(tz)
