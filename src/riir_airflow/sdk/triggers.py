"""Triggers: small async waits a deferred task hands over instead of occupying a worker.

A trigger is rebuilt from `serialize()` (class path and keyword arguments) wherever it runs, so
its arguments must be plain data. `run()` is an async generator: the first `TriggerEvent` it
yields resumes the task (in the method the task named in `defer`), or, for the `Task*Event`
kinds, ends the task directly.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import Any

__all__ = [
    "BaseTrigger",
    "TaskFailedEvent",
    "TaskSkippedEvent",
    "TaskSuccessEvent",
    "TriggerEvent",
    "trigger_from_serialized",
]


class TriggerEvent:
    """Something a trigger saw; `payload` is handed to the resumed task as `event`."""

    def __init__(self, payload: Any = None) -> None:
        self.payload = payload

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.payload!r}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.payload == self.payload  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), repr(self.payload)))


class TaskSuccessEvent(TriggerEvent):
    """End the deferred task as success without resuming it (`end_from_trigger`)."""

    def __init__(self, xcoms: dict[str, Any] | None = None) -> None:
        super().__init__(payload={"state": "success"})
        self.xcoms = xcoms


class TaskFailedEvent(TriggerEvent):
    def __init__(self, xcoms: dict[str, Any] | None = None) -> None:
        super().__init__(payload={"state": "failed"})
        self.xcoms = xcoms


class TaskSkippedEvent(TriggerEvent):
    def __init__(self, xcoms: dict[str, Any] | None = None) -> None:
        super().__init__(payload={"state": "skipped"})
        self.xcoms = xcoms


class BaseTrigger:
    """Subclass: implement `serialize()` and `async def run()` yielding TriggerEvents."""

    supports_triggerer_queue: bool = True

    def __init__(self, **kwargs: Any) -> None:
        self.task_instance: Any = None
        self.trigger_id: int | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError("Triggers must implement serialize()")

    async def run(self) -> AsyncIterator[TriggerEvent]:
        raise NotImplementedError("Triggers must implement run()")
        yield  # pragma: no cover - makes this an async generator

    async def cleanup(self) -> None:
        """Called when the trigger stops, whatever the reason."""

    async def on_kill(self) -> None:
        """Called when the task the trigger serves is killed."""

    def __repr__(self) -> str:
        classpath, kwargs = self.serialize()
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        return f"<{classpath} {args}>"


def trigger_from_serialized(classpath: str, kwargs: dict[str, Any]) -> BaseTrigger:
    """Rebuild a trigger in another process (or after a restart) from `serialize()`'s output."""
    module, _, name = classpath.rpartition(".")
    if module.startswith("airflow."):
        module = "riir_airflow." + module  # triggers serialized by DAG files written for Airflow
    return getattr(importlib.import_module(module), name)(**kwargs)
