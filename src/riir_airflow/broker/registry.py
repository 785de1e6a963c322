"""What the broker keeps besides the Store: apps, leases, commands, tokens, users, import errors.

`Registry` is the interface the broker's endpoints use; `riir_airflow.metastore.registry.
MetastoreRegistry` implements it in SQL (so several broker replicas share it; tests/broker run
it on SQLite and PostgreSQL). Contract every implementation keeps:

- Apps: `register_app` (re)writes an app's entry as alive; `heartbeat` refreshes
  `last_heartbeat` of an alive app and returns its entry (None if unknown; a gone app stays
  gone: it must register again); `mark_gone` flips an alive app to gone, releases its leases
  and returns the dag_ids it held (None if it was not alive: only one caller handles a death).
- Leases, one per dag_id: `acquire_lease` gives the lease to the caller if it is free, expired,
  or already the caller's (then it is renewed: same fencing token, later expiry). Each change
  of holder hands out a fencing token larger than every earlier one of that dag_id, so a write
  carrying an older token is recognisably stale. `lease` reports the current holder (held=True
  and its token while unexpired; otherwise held=False).
- Fenced writes are atomic: inside `transaction()`, `check_fence(dag_id, token, now)` raises
  `StaleFencingToken` unless the lease is live with that token, and the lease cannot change
  hands until the transaction (which the Store's calls made inside it join) has ended.
- DAGs: registering an app records its DAGs (and a new code version when the code changed);
  `get_dag` reads a DAG's pause state and newest version, `set_dag_paused` changes the former.
- Commands, per dag_id, delivered at least once: `enqueue_command` assigns an increasing id;
  `pending_commands(dag_ids)` lists the unacknowledged ones, oldest first; `ack_commands`
  removes them from delivery. Only the lease holder of a dag_id receives its commands.
- Tokens: `create_app_token` returns the secret once (only its hash is kept);
  `authenticate_app_token` returns the token's scope or None (unknown or revoked).
- Users: passwords only as salted hashes; `authenticate_user` returns the user or None.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from riir_airflow.wire.messages import (
    AppInfo,
    Command,
    ImportErrorReport,
    LeaseGrant,
    SerializedDag,
)

__all__ = ["ROLES", "AppToken", "DagState", "Registry", "UserInfo"]

ROLES = ("admin", "op", "user", "viewer")
"""Airflow's roles, most powerful first."""


@dataclass(frozen=True, slots=True)
class AppToken:
    """An app token's identity and scope: the dag_ids its holder may read and change."""

    token_id: str
    dag_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    role: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class DagState(Protocol):
    """What the broker reads of a DAG's row."""

    @property
    def is_paused(self) -> bool: ...

    @property
    def latest_version(self) -> int | None: ...


class Registry(Protocol):
    def register_app(self, info: AppInfo, dags: Sequence[SerializedDag]) -> None: ...

    def get_app(self, app_id: str) -> AppInfo | None: ...

    def serialized_dag(self, dag_id: str) -> SerializedDag | None:
        """The DAG as most recently registered (by any app), None if never registered."""
        ...

    def get_dag(self, dag_id: str) -> DagState | None:
        """The DAG's row (pause state, newest code version), None if never registered."""
        ...

    def set_dag_paused(self, dag_id: str, paused: bool, now: datetime.datetime) -> bool:
        """Pause or unpause; False if the DAG is unknown."""
        ...

    def heartbeat(self, app_id: str, now: datetime.datetime) -> AppInfo | None: ...

    def list_apps(self) -> list[AppInfo]: ...

    def stale_apps(self, cutoff: datetime.datetime) -> list[AppInfo]:
        """Alive apps whose last heartbeat is before `cutoff`."""
        ...

    def mark_gone(self, app_id: str, now: datetime.datetime) -> list[str] | None: ...

    def acquire_lease(
        self, dag_id: str, app_id: str, now: datetime.datetime, ttl: datetime.timedelta
    ) -> LeaseGrant: ...

    def release_lease(self, dag_id: str, app_id: str) -> LeaseGrant: ...

    def lease(self, dag_id: str, now: datetime.datetime) -> LeaseGrant: ...

    def transaction(self) -> AbstractContextManager[object]: ...

    def check_fence(self, dag_id: str, fencing_token: int | None, now: datetime.datetime) -> None: ...

    def enqueue_command(self, command: Command, now: datetime.datetime) -> Command: ...

    def pending_commands(self, dag_ids: Iterable[str]) -> list[Command]: ...

    def ack_commands(self, dag_ids: Iterable[str], ids: Iterable[int]) -> None: ...

    def create_app_token(
        self, dag_ids: Sequence[str], now: datetime.datetime, description: str | None = None
    ) -> tuple[str, str]:
        """(token_id, secret) of a new token scoped to `dag_ids`."""
        ...

    def authenticate_app_token(self, secret: str, now: datetime.datetime) -> AppToken | None: ...

    def revoke_app_token(self, token_id: str, now: datetime.datetime) -> bool: ...

    def create_user(
        self,
        username: str,
        password: str,
        role: str,
        now: datetime.datetime,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> UserInfo: ...

    def authenticate_user(self, username: str, password: str) -> UserInfo | None: ...

    def record_import_error(self, report: ImportErrorReport, app_id: str | None) -> None: ...

    def import_errors(self) -> list[ImportErrorReport]: ...
