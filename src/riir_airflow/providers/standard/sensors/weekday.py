"""DayOfWeekSensor: done on the given weekday(s), by the logical date or by today."""

from __future__ import annotations

from typing import Any

from riir_airflow.providers.standard.utils.weekday import WeekDay
from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["DayOfWeekSensor", "WeekDay"]


class DayOfWeekSensor(BaseSensorOperator):
    def __init__(self, *, week_day: Any, use_task_logical_date: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._days = WeekDay.validate_week_day(week_day)

    def poke(self, context: Context) -> bool:
        when = context.get("logical_date") if self.use_task_logical_date else context["ti"].now()
        return when.isoweekday() in self._days
