"""The app's side of the broker protocol: register, heartbeat, leases, commands, import errors.

Mixed into `BrokerStore`, so one object (one connection per thread, one fencing map) serves
both the Store calls and the app lifecycle. Contract:
- `register(...)` announces the app and its DAGs; it remembers `app_id`, and when the broker
  answers with a token (bootstrap registration) switches to it for every later call.
- `heartbeat()` must be called every `heartbeat_interval` seconds; `AppGone` (410) means the
  broker gave up on this app: its leases are gone, it must stop scheduling and register again.
- `acquire_lease(dag_id)` takes or renews the scheduling lease; while held, its fencing token
  is in `fencing` and goes with every write. A grant with `held=False` (a standby) removes it,
  as does `release_lease`.
- `poll_commands(wait, ack)` long-polls: returns as soon as a command for a leased DAG is
  queued, or an empty list after `wait` seconds. Delivery is at least once: acknowledge ids by
  passing them as `ack` on the next poll.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import riir_airflow
from riir_airflow.wire.messages import (
    AppInfo,
    AppList,
    Command,
    CommandBatch,
    HeartbeatResponse,
    ImportErrorReport,
    LeaseGrant,
    LeaseRequest,
    RegisterRequest,
    RegisterResponse,
    SerializedDag,
)
from riir_airflow.wire.pools import PoolSlots, PoolSlotsAnswer

if TYPE_CHECKING:
    from riir_airflow.store.broker_http import BrokerConnection

__all__ = ["BrokerAppMixin"]

_POLL_MARGIN_SECONDS = 10.0


class BrokerAppMixin:
    """App lifecycle calls; expects `_http` (BrokerConnection), `fencing` and `app_id`."""

    _http: BrokerConnection
    fencing: dict[str, int]
    app_id: str | None

    def _require_app_id(self) -> str:
        if self.app_id is None:
            raise RuntimeError("register() first: this client has no app id yet")
        return self.app_id

    def register(
        self, dags: Sequence[SerializedDag], *, code_hash: str, fileloc: str = ""
    ) -> RegisterResponse:
        """Register this process as the app serving `dags`; see the module docstring."""
        request = RegisterRequest(
            dags=list(dags),
            code_hash=code_hash,
            version=riir_airflow.riir_version,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            fileloc=fileloc,
        )
        answer = self._http.exchange(
            "POST", "/internal/v1/apps/register", request, RegisterResponse, safe=False
        )
        assert answer is not None
        self.app_id = answer.app_id
        self.fencing.clear()
        if answer.token:
            self._http.token = answer.token
        return answer

    def heartbeat(self) -> HeartbeatResponse:
        app_id = self._require_app_id()
        answer = self._http.exchange("POST", f"/internal/v1/apps/{app_id}/heartbeat", None, HeartbeatResponse)
        assert answer is not None
        return answer

    def deregister(self) -> None:
        """Tell the broker this app is leaving for good (after a drain): it is marked gone at
        once and its leases released, instead of after `heartbeat_timeout` of silence."""
        app_id = self._require_app_id()
        self._http.exchange("POST", f"/internal/v1/apps/{app_id}/deregister", None, None, safe=False)

    def acquire_lease(self, dag_id: str) -> LeaseGrant:
        """Take or renew `dag_id`'s lease; `held` says whether this app is its scheduler now."""
        grant = self._lease("acquire", dag_id)
        if grant.held and grant.fencing_token is not None:
            self.fencing[dag_id] = grant.fencing_token
        else:
            self.fencing.pop(dag_id, None)
        return grant

    def release_lease(self, dag_id: str) -> LeaseGrant:
        self.fencing.pop(dag_id, None)
        return self._lease("release", dag_id)

    def _lease(self, action: str, dag_id: str) -> LeaseGrant:
        request = LeaseRequest(app_id=self._require_app_id(), dag_id=dag_id)
        answer = self._http.exchange("POST", f"/internal/v1/leases/{action}", request, LeaseGrant)
        assert answer is not None
        return answer

    def poll_commands(self, wait: float = 30.0, ack: Iterable[int] = ()) -> list[Command]:
        """Commands for this app's leased DAGs, waiting up to `wait` s for one; `ack` earlier ids."""
        app_id = self._require_app_id()
        acked = ",".join(str(i) for i in ack)
        path = f"/internal/v1/apps/{app_id}/commands?wait={wait:g}" + (f"&ack={acked}" if acked else "")
        answer = self._http.exchange(
            "GET", path, None, CommandBatch, timeout=max(self._http.timeout, wait + _POLL_MARGIN_SECONDS)
        )
        return answer.commands if answer is not None else []

    def acquire_pool_slots(self, slots: PoolSlots) -> bool:
        """Take `slots.slots` slots of `slots.pool` for that task instance; False when the pool
        has not that many free (try again later)."""
        answer = self._http.exchange("POST", "/internal/v1/pools/acquire", slots, PoolSlotsAnswer)
        return bool(answer and answer.ok)

    def release_pool_slots(self, slots: PoolSlots) -> bool:
        answer = self._http.exchange("POST", "/internal/v1/pools/release", slots, PoolSlotsAnswer)
        return bool(answer and answer.ok)

    def report_import_error(self, fileloc: str, stacktrace: str) -> None:
        """Tell the broker the DAG file failed to import (instead of registering)."""
        self._http.exchange("POST", "/internal/v1/import-errors", ImportErrorReport(fileloc, stacktrace))

    # -- operator calls (admin/op user tokens), for the CLI and tests ---------------------------
    def enqueue_command(self, command: Command) -> Command:
        """Queue a command for the app holding `command.dag_id`'s lease; returns it with its id."""
        answer = self._http.exchange("POST", "/internal/v1/commands", command, Command, safe=False)
        assert answer is not None
        return answer

    def list_apps(self) -> list[AppInfo]:
        answer = self._http.exchange("GET", "/internal/v1/apps", None, AppList)
        return answer.apps if answer is not None else []
