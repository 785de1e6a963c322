"""`AppSession`: the app's standing with the broker: registration, heartbeats, leases, commands.

Contract:
- `register()` announces the app and its DAGs (with the bootstrap secret the broker answers
  with an app token, used from then on) and takes the scheduling lease of each DAG it can.
- A heartbeat thread beats every `heartbeat_interval` and renews the leases (a standby
  replica keeps asking; it becomes the scheduler when the holder's lease expires). If the
  broker declared the app gone (410), it registers again and takes its leases again.
- A command thread long-polls the broker and hands each command to `on_command`, then
  acknowledges it on the next poll (at-least-once delivery).
- While the broker cannot be reached, both threads retry with backoff and say so in the log
  once per outage; the app keeps running its tasks meanwhile.
- `close()` stops both threads, releases the leases and deregisters (a drained app's
  successor need not wait for them to expire, nor `app retire` for it to be declared gone).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from riir_airflow.wire.errors import BrokerError, BrokerUnavailable
from riir_airflow.wire.messages import Command, RegisterResponse, SerializedDag

__all__ = ["AppSession"]

log = logging.getLogger("riir_airflow.app.session")
_POLL_WAIT_SECONDS = 20.0


class AppSession:
    def __init__(
        self,
        store: Any,  # BrokerStore
        dags: Sequence[SerializedDag],
        *,
        code_hash: str,
        fileloc: str,
        on_command: Callable[[Command], None],
        on_leases_changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.dags = list(dags)
        self.code_hash = code_hash
        self.fileloc = fileloc
        self.on_command = on_command
        self.on_leases_changed = on_leases_changed
        self.answer: RegisterResponse | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._held: set[str] = set()
        self._outage_since: float | None = None

    @property
    def app_id(self) -> str | None:
        return self.store.app_id

    def holds(self, dag_id: str) -> bool:
        return dag_id in self._held

    def register(self) -> RegisterResponse:
        self.answer = self.store.register(self.dags, code_hash=self.code_hash, fileloc=self.fileloc)
        log.info(
            "registered app_id=%s dag_ids=%s code_hash=%s", self.answer.app_id, ",".join(self.answer.dag_ids),
            self.code_hash[:12],
        )  # fmt: skip
        self._renew_leases()
        return self.answer

    def start(self) -> None:
        for target, name in ((self._beat, "heartbeat"), (self._poll, "commands")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        self._stop.set()
        for dag_id in sorted(self._held):
            try:
                self.store.release_lease(dag_id)
                log.info("lease released dag_id=%s", dag_id)
            except Exception as exc:  # noqa: BLE001 - it expires by itself anyway
                log.warning("could not release the lease of %s: %s", dag_id, exc)
        self._held.clear()
        try:
            self.store.deregister()
        except Exception as exc:  # noqa: BLE001 - the heartbeat timeout declares it gone anyway
            log.warning("could not deregister: %s", exc)

    # -- threads --------------------------------------------------------------------------------
    def _renew_leases(self) -> None:
        before = set(self._held)
        for dag in self.dags:
            grant = self.store.acquire_lease(dag.dag_id)
            if grant.held:
                self._held.add(dag.dag_id)
            else:
                self._held.discard(dag.dag_id)
        for dag_id in sorted(set(self._held) - before):
            log.info("lease acquired dag_id=%s app_id=%s", dag_id, self.app_id)
        for dag_id in sorted(before - self._held):
            log.warning("lease lost dag_id=%s app_id=%s: another app schedules it", dag_id, self.app_id)
        for dag in self.dags:
            if dag.dag_id not in self._held and dag.dag_id not in before:
                log.info("standby dag_id=%s: another app holds its lease", dag.dag_id)
        if before != self._held:
            self.on_leases_changed()

    def _beat(self) -> None:
        from riir_airflow.wire.errors import AppGone

        assert self.answer is not None
        interval = self.answer.heartbeat_interval
        lease_every = max(0.5, self.answer.lease_ttl / 3)
        last_lease = time.monotonic()
        while not self._stop.wait(interval):
            try:
                self.store.heartbeat()
                if time.monotonic() - last_lease >= lease_every or len(self._held) < len(self.dags):
                    self._renew_leases()
                    last_lease = time.monotonic()
                self._reachable()
            except AppGone:
                log.warning("the broker declared this app gone: registering again")
                self._held.clear()
                self._retry(self.register)
            except (BrokerUnavailable, OSError) as exc:
                self._unreachable(exc)
            except BrokerError as exc:
                log.error("heartbeat refused: %s", exc)

    def _retry(self, fn: Callable[[], Any]) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                fn()
                self._reachable()
                return
            except (BrokerUnavailable, OSError) as exc:
                self._unreachable(exc)
            self._stop.wait(delay)
            delay = min(delay * 2, 10.0)

    def _poll(self) -> None:
        acked: list[int] = []
        delay = 0.5
        while not self._stop.is_set():
            try:
                commands = self.store.poll_commands(wait=_POLL_WAIT_SECONDS, ack=acked)
                acked = []
                delay = 0.5
                self._reachable()
            except (BrokerUnavailable, OSError) as exc:
                self._unreachable(exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
                continue
            except BrokerError as exc:  # gone, or not registered yet: the heartbeat handles it
                log.debug("command poll refused: %s", exc)
                self._stop.wait(1.0)
                continue
            for command in commands:
                try:
                    self.on_command(command)
                except Exception:
                    log.exception("command failed id=%s kind=%s", command.id, command.kind)
                acked.append(command.id)

    def _unreachable(self, exc: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning("broker unreachable, retrying with backoff: %s", exc)

    def _reachable(self) -> None:
        if self._outage_since is not None:
            log.info("broker reachable again after %.1fs", time.monotonic() - self._outage_since)
            self._outage_since = None
