"""Weekdays as Airflow names them (`WeekDay.MONDAY` == 1 ... `WeekDay.SUNDAY` == 7)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["WeekDay"]

_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class WeekDay:
    """Weekday names (Airflow's `airflow.utils.weekday.WeekDay` values are 1..7)."""

    MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(1, 8)

    @classmethod
    def convert(cls, day: str | int) -> int:
        if isinstance(day, int):
            return day
        try:
            return _DAYS.index(day.upper()) + 1
        except ValueError:
            raise AttributeError(f'Invalid Week Day passed: "{day}"') from None

    @classmethod
    def validate_week_day(cls, week_day: Any) -> set[int]:
        if isinstance(week_day, (str, int)):
            return {cls.convert(week_day)}
        if isinstance(week_day, Iterable):
            return {cls.convert(d) for d in week_day}
        raise TypeError(f"Unsupported Type for week_day parameter: {type(week_day)}")
