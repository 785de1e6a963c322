"""The app's trigger loop: every deferred task's trigger as a coroutine on one asyncio loop.

There is no triggerer process: the app runs one event loop in a thread of its own and adds each
deferred task's trigger to it. Contract of `TriggerLoop`:
- `add(key, trigger, timeout_at, on_outcome)` starts the trigger; `on_outcome(TriggerOutcome)`
  is called once, on the loop's thread, when it fired an event, failed, or ran past
  `timeout_at` (then it is cancelled and the outcome says `timed_out`).
- `cancel(key)` stops a trigger without an outcome (its task was cleared, marked or killed).
- `close()` cancels every trigger and stops the thread.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections.abc import Callable, Hashable
from typing import Any

from riir_airflow.runtime.triggerer import TriggerOutcome, first_event

__all__ = ["TriggerLoop"]


class TriggerLoop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._tasks: dict[Hashable, asyncio.Task[Any]] = {}
        self._thread = threading.Thread(target=self._loop.run_forever, name="trigger-loop", daemon=True)
        self._thread.start()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(
        self,
        key: Hashable,
        trigger: Any,
        timeout_at: datetime.datetime | None,
        on_outcome: Callable[[TriggerOutcome], None],
    ) -> None:
        def start() -> None:
            self._tasks[key] = self._loop.create_task(self._watch(key, trigger, timeout_at, on_outcome))

        self._loop.call_soon_threadsafe(start)

    async def _watch(
        self,
        key: Hashable,
        trigger: Any,
        timeout_at: datetime.datetime | None,
        on_outcome: Callable[[TriggerOutcome], None],
    ) -> None:
        timeout = None
        if timeout_at is not None:
            timeout = max(0.0, (timeout_at - datetime.datetime.now(datetime.UTC)).total_seconds())
        try:
            event = await asyncio.wait_for(first_event(trigger), timeout)
            outcome = TriggerOutcome(key, event=event)
        except TimeoutError:
            outcome = TriggerOutcome(key, timed_out=True)
        except asyncio.CancelledError:
            return
        except BaseException as exc:  # noqa: BLE001 - a failing trigger fails its task
            outcome = TriggerOutcome(key, error=exc)
        finally:
            self._tasks.pop(key, None)
        on_outcome(outcome)

    def cancel(self, key: Hashable) -> None:
        def stop() -> None:
            task = self._tasks.pop(key, None)
            if task is not None:
                task.cancel()

        self._loop.call_soon_threadsafe(stop)

    def close(self) -> None:
        def stop_all() -> None:
            for task in self._tasks.values():
                task.cancel()
            self._loop.stop()

        if self._loop.is_running():
            self._loop.call_soon_threadsafe(stop_all)
            self._thread.join(timeout=5)
