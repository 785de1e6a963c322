"""TimeSensor: done once the wall-clock time of day (in the DAG's timezone) is past `target_time`."""

from __future__ import annotations

import datetime
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["TimeSensor"]


class TimeSensor(BaseSensorOperator):
    def __init__(self, *, target_time: datetime.time, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_time = target_time

    def target(self, context: Context) -> datetime.datetime:
        import pendulum

        tz = self.dag.timezone if self.has_dag else pendulum.UTC
        today = context["ti"].now().in_timezone(tz).date()
        return pendulum.datetime(today.year, today.month, today.day, self.target_time.hour, self.target_time.minute, self.target_time.second, tz=tz)

    def poke(self, context: Context) -> bool:
        return context["ti"].now() > self.target(context)
