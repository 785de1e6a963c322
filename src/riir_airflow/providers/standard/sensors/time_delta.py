"""TimeDeltaSensor: done once now is past the run's data interval end plus `delta`."""

from __future__ import annotations

import datetime
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["TimeDeltaSensor", "WaitSensor"]


class TimeDeltaSensor(BaseSensorOperator):
    def __init__(self, *, delta: datetime.timedelta, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delta = delta

    def target(self, context: Context) -> datetime.datetime:
        base = context.get("data_interval_end") or context["dag_run"].run_after
        return base + self.delta

    def poke(self, context: Context) -> bool:
        return context["ti"].now() > self.target(context)


class WaitSensor(BaseSensorOperator):
    """Waits `time_to_wait` from the moment the task starts."""

    def __init__(self, *, time_to_wait: datetime.timedelta | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.time_to_wait = time_to_wait if isinstance(time_to_wait, datetime.timedelta) else datetime.timedelta(minutes=time_to_wait)

    def execute(self, context: Context) -> None:
        context["ti"].sleep(self.time_to_wait.total_seconds())
