"""Clocks: the runtime reads time only through one, so tests travel in time instead of sleeping."""

from __future__ import annotations

import datetime
import time
from typing import Protocol

import pendulum

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> pendulum.DateTime: ...

    def sleep_until(self, moment: datetime.datetime) -> None: ...


class SystemClock:
    def now(self) -> pendulum.DateTime:
        return pendulum.now("UTC")

    def sleep_until(self, moment: datetime.datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)


class FakeClock:
    """A clock that only moves when told to (or when the runtime sleeps on it)."""

    def __init__(self, start: datetime.datetime) -> None:
        self._now = pendulum.instance(start).in_timezone("UTC")

    def now(self) -> pendulum.DateTime:
        return self._now

    def sleep_until(self, moment: datetime.datetime) -> None:
        moment = pendulum.instance(moment).in_timezone("UTC")
        self._now = max(self._now, moment)

    def advance(self, delta: datetime.timedelta) -> None:
        self._now = self._now + delta
