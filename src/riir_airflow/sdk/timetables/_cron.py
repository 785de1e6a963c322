"""Cron ticks evaluated in a time zone, with Airflow's DST rules.

croniter only understands naive wall-clock times. :class:`CronSchedule` wraps it so that every
question ("the first tick after t", "the last tick before t", "t rounded up/down to a tick") is
asked and answered with aware instants, and all results are UTC pendulum DateTimes.

DST rules (Airflow 3.3's, which DAG authors observe in production and riir must reproduce):

- The wall-clock reading of ``t`` in the schedule's zone is handed to croniter (fold dropped).
- For schedules that do not fire every hour (``0 6 * * *``, ``0 */2 * * *``), the local tick
  croniter returns is resolved as a wall-clock time: a tick inside a repeated hour takes the
  second occurrence, a tick inside a skipped hour is pushed forward by the gap (``02:30`` on a
  spring-forward night becomes ``03:30`` local). So a local ``0 6 * * *`` moves in UTC.
- For schedules that fire every hour (hour field ``*``), the *distance* croniter reports between
  the reading and its tick is applied to the real instant instead. This keeps hourly schedules
  ticking once per real hour through a fold (both 02:30s run) and avoids duplicate ticks.
"""

from __future__ import annotations

import datetime as dt

from croniter import CroniterError, croniter
from pendulum import DateTime
from pendulum.tz.timezone import FixedTimezone, Timezone

from riir_airflow.sdk.timetables._time import (
    TimezoneLike,
    coerce_timezone,
    localize,
    to_local_naive,
    to_utc,
)
from riir_airflow.sdk.timetables.base import AirflowTimetableInvalid

__all__ = ["CRON_PRESETS", "CronSchedule", "describe_cron"]

CRON_PRESETS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
}
"""Presets Airflow expands itself; croniter understands ``@annually`` and ``@midnight`` natively.

The expanded form is what a timetable keeps (and what its summary shows), as in Airflow."""

_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


class CronSchedule:
    """A validated cron expression whose ticks are evaluated in ``timezone``.

    Construction validates the expression and raises :class:`AirflowTimetableInvalid` (a
    ``ValueError``) with the expression in the message, including for expressions that parse
    but can never fire (``0 0 30 2 *``), so a DAG file fails at load rather than silently
    never running.
    """

    def __init__(self, expression: str, timezone: TimezoneLike) -> None:
        if not isinstance(expression, str):
            raise AirflowTimetableInvalid(f"cron expression must be a string, not {expression!r}")
        self.expression: str = CRON_PRESETS.get(expression, expression)
        self.timezone: Timezone | FixedTimezone = coerce_timezone(timezone)
        try:
            parsed = croniter(self.expression)
            parsed.get_next(dt.datetime)
        except (CroniterError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AirflowTimetableInvalid(f"Invalid cron expression {expression!r}: {exc}") from exc
        # croniter normalises an hour field that covers every hour ("*", "*/1", "0-23") to "*".
        self.fires_every_hour: bool = parsed.expanded[1] == ["*"]

    @classmethod
    def from_arguments(
        cls, cron: str | None, expression: str | None, timezone: TimezoneLike | None, owner: str
    ) -> CronSchedule:
        """Build from a timetable constructor's ``cron``/``expression`` and ``timezone`` arguments.

        Exactly one of ``cron`` and ``expression`` must be given; ``timezone`` is required.
        """
        if (cron is None) == (expression is None):
            raise TypeError(f"{owner}() needs the cron expression, as 'cron' or 'expression' (not both)")
        if timezone is None:
            raise TypeError(f"{owner}() missing required argument: 'timezone'")
        return cls(cron if cron is not None else expression, timezone)  # type: ignore[arg-type]

    def _naive_tick(self, naive: dt.datetime, forward: bool) -> dt.datetime:
        it = croniter(self.expression, start_time=naive)
        tick = it.get_next(dt.datetime) if forward else it.get_prev(dt.datetime)
        assert isinstance(tick, dt.datetime)
        return tick

    def next_after(self, current: DateTime) -> DateTime:
        """The first tick strictly after ``current``."""
        naive = to_local_naive(current, self.timezone)
        tick = self._naive_tick(naive, forward=True)
        if not self.fires_every_hour:
            return localize(tick, self.timezone)
        return to_utc(current.in_timezone(self.timezone) + (tick - naive))

    def prev_before(self, current: DateTime) -> DateTime:
        """The last tick strictly before ``current``."""
        naive = to_local_naive(current, self.timezone)
        tick = self._naive_tick(naive, forward=False)
        if not self.fires_every_hour:
            return localize(tick, self.timezone)
        return to_utc(current.in_timezone(self.timezone) - (naive - tick))

    def ceil(self, current: DateTime) -> DateTime:
        """``current`` if it is a tick, else the next tick after it."""
        following = self.next_after(current)
        return current if self.prev_before(following) == current else following

    def floor(self, current: DateTime) -> DateTime:
        """``current`` if it is a tick, else the last tick before it."""
        preceding = self.prev_before(current)
        return current if self.next_after(preceding) == current else preceding

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronSchedule):
            return NotImplemented
        return (self.expression, self.timezone) == (other.expression, other.timezone)

    def __hash__(self) -> int:
        return hash((self.expression, str(self.timezone)))


def _two(value: str) -> str:
    return value.zfill(2)


def describe_cron(expression: str) -> str:
    """A short English description of common cron shapes, else ``"Cron: <expression>"``.

    Airflow uses the cron_descriptor package for this UI-only text; riir keeps its dependency
    footprint small and describes the frequent shapes only. Scheduling never depends on it.
    """
    fields = expression.split()
    if len(fields) != 5:
        return f"Cron: {expression}"
    minute, hour, dom, month, dow = fields
    if (minute, hour, dom, month, dow) == ("*", "*", "*", "*", "*"):
        return "Every minute"
    if minute.isdigit() and (dom, month) == ("*", "*"):
        if hour == "*" and dow == "*":
            return f"At {minute} minutes past the hour"
        if hour.isdigit():
            at = f"At {_two(hour)}:{_two(minute)}"
            if dow == "*":
                return at
            if dow.isdigit() and int(dow) <= 7:
                return f"{at}, only on {_WEEKDAYS[int(dow) % 7]}"
    if minute.isdigit() and hour.isdigit() and dom.isdigit() and month == "*" and dow == "*":
        return f"At {_two(hour)}:{_two(minute)}, on day {int(dom)} of the month"
    return f"Cron: {expression}"
