"""DateTimeSensor: done once now is past `target_time` (a datetime or a templated string)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["DateTimeSensor"]


class DateTimeSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("target_time",)

    def __init__(self, *, target_time: str | datetime.datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(target_time, (str, datetime.datetime)):
            raise TypeError(f"Expected str or datetime.datetime type for target_time. Got {type(target_time)}")
        self.target_time = target_time.isoformat() if isinstance(target_time, datetime.datetime) else target_time

    def target(self) -> datetime.datetime:
        from riir_airflow.sdk.timezone import parse

        return parse(self.target_time)

    def poke(self, context: Context) -> bool:
        return context["ti"].now() > self.target()
