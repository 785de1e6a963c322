"""DateTimeTrigger and TimeDeltaTrigger: fire at a moment."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

from riir_airflow.sdk.triggers import BaseTrigger, TaskSuccessEvent, TriggerEvent

__all__ = ["DateTimeTrigger", "TimeDeltaTrigger"]


class DateTimeTrigger(BaseTrigger):
    """Fires once `moment` (timezone-aware) has passed; the event payload is the moment."""

    def __init__(self, moment: datetime.datetime, *, end_from_trigger: bool = False) -> None:
        super().__init__()
        if not isinstance(moment, datetime.datetime):
            raise TypeError(f"Expected datetime.datetime type for moment. Got {type(moment)}")
        if moment.tzinfo is None:
            raise ValueError("You cannot pass naive datetimes")
        import pendulum

        self.moment = pendulum.instance(moment).in_timezone("UTC")
        self.end_from_trigger = end_from_trigger

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "riir_airflow.providers.standard.triggers.temporal.DateTimeTrigger",
            {"moment": self.moment, "end_from_trigger": self.end_from_trigger},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import asyncio

        import pendulum

        # Sleep in slices so a wall-clock jump (suspend, NTP) is noticed within a minute.
        while (remaining := (self.moment - pendulum.now("UTC")).total_seconds()) > 0:
            await asyncio.sleep(min(remaining, 60))
        if self.end_from_trigger:
            yield TaskSuccessEvent()
        else:
            yield TriggerEvent(self.moment)


class TimeDeltaTrigger(DateTimeTrigger):
    """Fires `delta` after it was created."""

    def __init__(self, delta: datetime.timedelta, *, end_from_trigger: bool = False) -> None:
        import pendulum

        super().__init__(pendulum.now("UTC") + delta, end_from_trigger=end_from_trigger)
