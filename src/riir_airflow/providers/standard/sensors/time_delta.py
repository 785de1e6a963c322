"""TimeDeltaSensor: done once now is past the run's data interval end plus `delta`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"]


class TimeDeltaSensor(BaseSensorOperator):
    """Done once now is past data_interval_end + delta. `deferrable=True` frees the worker:
    the wait becomes a DateTimeTrigger on the app's event loop."""

    template_fields: Sequence[str] = ("delta",)

    def __init__(
        self, *, delta: datetime.timedelta, deferrable: bool = False, end_from_trigger: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.delta = delta
        self.deferrable = deferrable
        self.end_from_trigger = end_from_trigger

    def target(self, context: Context) -> datetime.datetime:
        base = context.get("data_interval_end") or context["dag_run"].run_after
        return base + self.delta

    def poke(self, context: Context) -> bool:
        return context["ti"].now() > self.target(context)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        from riir_airflow.providers.standard.triggers.temporal import DateTimeTrigger

        target = self.target(context)
        if context["ti"].now() >= target:
            return True  # what Airflow 3.3's deferrable TimeDeltaSensor returns
        self.defer(
            trigger=DateTimeTrigger(moment=target, end_from_trigger=self.end_from_trigger),
            method_name="execute_complete",
        )
        return None

    def execute_complete(self, context: Context, event: Any = None) -> bool:
        return True


class TimeDeltaSensorAsync(TimeDeltaSensor):
    """TimeDeltaSensor that always defers."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["deferrable"] = True
        super().__init__(**kwargs)


class WaitSensor(BaseSensorOperator):
    """Waits `time_to_wait` from the moment the task starts."""

    template_fields: Sequence[str] = ("time_to_wait",)

    def __init__(self, *, time_to_wait: datetime.timedelta | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.time_to_wait = time_to_wait if isinstance(time_to_wait, datetime.timedelta) else datetime.timedelta(minutes=time_to_wait)

    def execute(self, context: Context) -> None:
        context["ti"].sleep(self.time_to_wait.total_seconds())
