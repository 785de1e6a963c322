"""Running deferred tasks' triggers: coroutines on one asyncio loop, many at once.

There is no separate triggerer process: the runner (in `dags test`) and, later, the DAG app own
one event loop and add each deferred task's trigger to it as an asyncio task. `wait()` runs the
loop until at least one trigger fired, failed or ran past its deferral timeout (or until the
runner has something else to do), and returns those outcomes. No thread per trigger.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Hashable
from dataclasses import dataclass

from riir_airflow.sdk.exceptions import TaskDeferralError
from riir_airflow.sdk.triggers import BaseTrigger, TriggerEvent

__all__ = ["TriggerOutcome", "TriggerRunner", "first_event"]


@dataclass
class TriggerOutcome:
    key: Hashable
    event: TriggerEvent | None = None
    error: BaseException | None = None
    timed_out: bool = False


async def first_event(trigger: BaseTrigger) -> TriggerEvent:
    try:
        async for event in trigger.run():
            return event
        raise TaskDeferralError(f"Trigger {trigger!r} finished without an event")
    finally:
        await trigger.cleanup()


class TriggerRunner:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._tasks: dict[Hashable, asyncio.Task[TriggerEvent]] = {}
        self._deadlines: dict[Hashable, datetime.datetime] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, key: Hashable, trigger: BaseTrigger, timeout_at: datetime.datetime | None = None) -> None:
        self._tasks[key] = self._loop.create_task(first_event(trigger), name=f"trigger {key}")
        if timeout_at is not None:
            self._deadlines[key] = timeout_at

    def wait(self, *, now: datetime.datetime, until: datetime.datetime | None = None) -> list[TriggerOutcome]:
        """Run the loop until something is decided (or `until`); return what was decided."""
        if not self._tasks:
            return []
        moments = [m for m in (*self._deadlines.values(), until) if m is not None]
        timeout = max((min(moments) - now).total_seconds(), 0) if moments else None
        done, _ = self._loop.run_until_complete(
            asyncio.wait(list(self._tasks.values()), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        )
        outcomes: list[TriggerOutcome] = []
        finished = {task for task in done}
        for key, task in list(self._tasks.items()):
            if task in finished:
                try:
                    outcomes.append(TriggerOutcome(key, event=task.result()))
                except BaseException as exc:  # noqa: BLE001 - a failing trigger fails its task
                    outcomes.append(TriggerOutcome(key, error=exc))
                self._forget(key)
        return outcomes

    def expired(self, now: datetime.datetime) -> list[TriggerOutcome]:
        """Triggers past their deferral timeout: cancelled, reported as timed out."""
        out = []
        for key, deadline in list(self._deadlines.items()):
            if deadline <= now:
                task = self._tasks[key]
                task.cancel()
                self._loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
                self._forget(key)
                out.append(TriggerOutcome(key, timed_out=True))
        return out

    def _forget(self, key: Hashable) -> None:
        self._tasks.pop(key, None)
        self._deadlines.pop(key, None)

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        if self._tasks:
            self._loop.run_until_complete(asyncio.gather(*self._tasks.values(), return_exceptions=True))
        self._tasks.clear()
        self._loop.close()
