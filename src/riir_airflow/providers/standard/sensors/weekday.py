"""DayOfWeekSensor: done on the given weekday(s), by the logical date or by today."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["DayOfWeekSensor", "WeekDay"]

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


class DayOfWeekSensor(BaseSensorOperator):
    def __init__(self, *, week_day: Any, use_task_logical_date: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._days = WeekDay.validate_week_day(week_day)

    def poke(self, context: Context) -> bool:
        when = context.get("logical_date") if self.use_task_logical_date else context["ti"].now()
        return when.isoweekday() in self._days
