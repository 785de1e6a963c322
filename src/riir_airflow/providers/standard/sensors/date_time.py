"""DateTimeSensor: done once now is past `target_time` (a datetime or a templated string)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["DateTimeSensor", "DateTimeSensorAsync"]


class DateTimeSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("target_time",)

    def __init__(
        self, *, target_time: str | datetime.datetime, deferrable: bool = False, end_from_trigger: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.deferrable = deferrable
        self.end_from_trigger = end_from_trigger
        if not isinstance(target_time, (str, datetime.datetime)):
            raise TypeError(f"Expected str or datetime.datetime type for target_time. Got {type(target_time)}")
        self.target_time = target_time.isoformat() if isinstance(target_time, datetime.datetime) else target_time

    def target(self) -> datetime.datetime:
        from riir_airflow.sdk.timezone import parse

        return parse(self.target_time)

    def poke(self, context: Context) -> bool:
        return context["ti"].now() > self.target()

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        from riir_airflow.providers.standard.triggers.temporal import DateTimeTrigger

        self.defer(
            trigger=DateTimeTrigger(moment=self.target(), end_from_trigger=self.end_from_trigger),
            method_name="execute_complete",
        )
        return None

    def execute_complete(self, context: Context, event: Any = None) -> None:
        return None


class DateTimeSensorAsync(DateTimeSensor):
    """DateTimeSensor that always defers."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["deferrable"] = True
        super().__init__(**kwargs)
