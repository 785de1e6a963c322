"""What every broker route shares: the store, the registry, settings, clock, auth and caches.

Contract:
- `BrokerContext` is built once per ASGI app by `create_app` and reached by routes as
  `request.app.state.broker`; nothing in it is global, so several brokers (tests) coexist.
- `ApiError(status, type, message)` is how route logic refuses a request; the routes turn it
  into an `ErrorResponse` with that status.
- `ReplayCache.run(key, fn)` makes a write idempotent per (caller, request id): the first call
  runs `fn`, a retry with the same key gets the recorded answer without running it again, and
  a retry arriving while the first is still running waits for it instead of racing it. Answers
  are kept `ttl` seconds (long enough for any client's retries); 5xx answers are not kept.
- `CommandBus` wakes long-polls waiting on a dag_id when a command for it is queued; it lives
  on the event loop (call it from async code only).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.broker.auth import Authenticator, plain_utc
from riir_airflow.broker.registry import Registry
from riir_airflow.broker.settings import BrokerSettings

__all__ = ["ApiError", "BrokerContext", "CommandBus", "ReplayCache"]

Answer = tuple[int, bytes]


class ApiError(Exception):
    """A refusal with an HTTP status and a stable error type name."""

    def __init__(self, status: int, type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message


class ReplayCache:
    """Recorded answers of writes by (caller, request id); see the module docstring."""

    def __init__(self, *, ttl: float = 600.0, max_entries: int = 50_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._done: OrderedDict[tuple[str, str], tuple[float, Answer]] = OrderedDict()
        self._running: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()

    def _recorded(self, key: tuple[str, str]) -> Answer | None:
        hit = self._done.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            del self._done[key]
            return None
        return hit[1]

    def run(self, key: tuple[str, str], fn: Callable[[], Answer]) -> Answer:
        while True:
            with self._lock:
                answer = self._recorded(key)
                if answer is not None:
                    return answer
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
            running.wait(timeout=120)
        try:
            answer = fn()
        except BaseException:
            with self._lock:
                del self._running[key]
            running.set()
            raise
        with self._lock:
            del self._running[key]
            if answer[0] < 500:
                self._done[key] = (time.monotonic() + self._ttl, answer)
                while len(self._done) > self._max:
                    self._done.popitem(last=False)
        running.set()
        return answer


class CommandBus:
    """Long-poll wake-ups per dag_id, on the event loop."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watching(self, dag_ids: Iterable[str]) -> Iterator[asyncio.Event]:
        """An event set when a command for any of `dag_ids` is announced while inside."""
        event = asyncio.Event()
        watched = list(dag_ids)
        for dag_id in watched:
            self._waiters.setdefault(dag_id, set()).add(event)
        try:
            yield event
        finally:
            for dag_id in watched:
                waiters = self._waiters.get(dag_id)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        del self._waiters[dag_id]

    def announce(self, dag_id: str) -> None:
        for event in self._waiters.get(dag_id, ()):
            event.set()


@dataclass
class BrokerContext:
    store: Any  # riir_airflow.store.Store
    registry: Registry
    settings: BrokerSettings
    clock: Any  # riir_airflow.runtime.clock.Clock
    auth: Authenticator
    log: logging.Logger
    bus: CommandBus = field(default_factory=CommandBus)
    replies: ReplayCache = field(default_factory=ReplayCache)

    def now(self) -> datetime.datetime:
        """The broker clock's now, as a plain aware UTC datetime (see `auth.plain_utc`)."""
        return plain_utc(self.clock.now())
