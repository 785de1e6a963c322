"""What the broker keeps besides the Store: apps, leases, commands, tokens, users, import errors.

`Registry` is the interface the broker's endpoints use; the metastore implements it in SQL (so
several broker replicas share it), and `MemoryRegistry` implements it in process for tests that
need no database. Contract every implementation keeps:

- Apps: `register_app` (re)writes an app's entry as alive; `heartbeat` refreshes
  `last_heartbeat` of an alive app and returns its entry (None if unknown; a gone app stays
  gone: it must register again); `mark_gone` flips an alive app to gone, releases its leases
  and returns the dag_ids it held (None if it was not alive: only one caller handles a death).
- Leases, one per dag_id: `acquire_lease` gives the lease to the caller if it is free, expired,
  or already the caller's (then it is renewed: same fencing token, later expiry). Each change
  of holder hands out a fencing token larger than every earlier one of that dag_id, so a write
  carrying an older token is recognisably stale. `lease` reports the current holder (held=True
  and its token while unexpired; otherwise held=False).
- Commands, per dag_id, delivered at least once: `enqueue_command` assigns an increasing id;
  `pending_commands(dag_ids)` lists the unacknowledged ones, oldest first; `ack_commands`
  removes them from delivery. Only the lease holder of a dag_id receives its commands.
- Tokens: `create_app_token` returns the secret once (only its hash is kept);
  `authenticate_app_token` returns the token's scope or None (unknown or revoked).
- Users: passwords only as salted hashes; `authenticate_user` returns the user or None.
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from riir_airflow.broker.passwords import hash_password, hash_token, verify_password
from riir_airflow.wire.messages import (
    AppInfo,
    AppState,
    Command,
    ImportErrorReport,
    LeaseGrant,
    SerializedDag,
)

__all__ = ["ROLES", "AppToken", "MemoryRegistry", "Registry", "UserInfo"]

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


class Registry(Protocol):
    def register_app(self, info: AppInfo, dags: Sequence[SerializedDag]) -> None: ...

    def get_app(self, app_id: str) -> AppInfo | None: ...

    def serialized_dag(self, dag_id: str) -> SerializedDag | None:
        """The DAG as most recently registered (by any app), None if never registered."""
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


@dataclass(slots=True)
class _Lease:
    app_id: str | None
    fencing_token: int
    expires_at: datetime.datetime | None


class MemoryRegistry:
    """`Registry` in process memory (one broker process, nothing survives a restart)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._apps: dict[str, AppInfo] = {}
        self._dags: dict[str, SerializedDag] = {}
        self._leases: dict[str, _Lease] = {}
        self._commands: dict[int, Command] = {}
        self._next_command = 1
        self._tokens: dict[str, tuple[str, frozenset[str], bool]] = {}  # hash -> (id, scope, revoked)
        self._users: dict[str, tuple[UserInfo, str]] = {}
        self._import_errors: dict[str, ImportErrorReport] = {}

    # -- apps -------------------------------------------------------------------------------
    def register_app(self, info: AppInfo, dags: Sequence[SerializedDag]) -> None:
        with self._lock:
            self._apps[info.app_id] = dataclasses.replace(info, dag_ids=list(info.dag_ids))
            self._dags.update({dag.dag_id: dag for dag in dags})

    def serialized_dag(self, dag_id: str) -> SerializedDag | None:
        with self._lock:
            return self._dags.get(dag_id)

    def get_app(self, app_id: str) -> AppInfo | None:
        with self._lock:
            info = self._apps.get(app_id)
            return dataclasses.replace(info) if info else None

    def heartbeat(self, app_id: str, now: datetime.datetime) -> AppInfo | None:
        with self._lock:
            info = self._apps.get(app_id)
            if info is None:
                return None
            if info.state is AppState.ALIVE:
                info.last_heartbeat = now
            return dataclasses.replace(info)

    def list_apps(self) -> list[AppInfo]:
        with self._lock:
            return [dataclasses.replace(a) for a in sorted(self._apps.values(), key=lambda a: a.app_id)]

    def stale_apps(self, cutoff: datetime.datetime) -> list[AppInfo]:
        return [a for a in self.list_apps() if a.state is AppState.ALIVE and a.last_heartbeat < cutoff]

    def mark_gone(self, app_id: str, now: datetime.datetime) -> list[str] | None:
        with self._lock:
            info = self._apps.get(app_id)
            if info is None or info.state is not AppState.ALIVE:
                return None
            info.state = AppState.GONE
            held = sorted(d for d, lease in self._leases.items() if lease.app_id == app_id)
            for dag_id in held:
                self._leases[dag_id].app_id = None
                self._leases[dag_id].expires_at = None
            return held

    # -- leases -----------------------------------------------------------------------------
    def acquire_lease(
        self, dag_id: str, app_id: str, now: datetime.datetime, ttl: datetime.timedelta
    ) -> LeaseGrant:
        with self._lock:
            lease = self._leases.setdefault(dag_id, _Lease(None, 0, None))
            free = lease.app_id is None or lease.expires_at is None or lease.expires_at <= now
            if lease.app_id == app_id and not free:
                lease.expires_at = now + ttl
            elif free:
                lease.app_id, lease.fencing_token, lease.expires_at = (
                    app_id,
                    lease.fencing_token + 1,
                    now + ttl,
                )
            return self._grant(dag_id, lease, app_id, now)

    def release_lease(self, dag_id: str, app_id: str) -> LeaseGrant:
        with self._lock:
            lease = self._leases.get(dag_id)
            if lease is not None and lease.app_id == app_id:
                lease.app_id, lease.expires_at = None, None
            return LeaseGrant(dag_id=dag_id, held=False)

    def lease(self, dag_id: str, now: datetime.datetime) -> LeaseGrant:
        with self._lock:
            lease = self._leases.get(dag_id)
            if lease is None:
                return LeaseGrant(dag_id=dag_id, held=False)
            return self._grant(dag_id, lease, lease.app_id, now)

    @staticmethod
    def _grant(dag_id: str, lease: _Lease, asker: str | None, now: datetime.datetime) -> LeaseGrant:
        live = lease.app_id is not None and lease.expires_at is not None and lease.expires_at > now
        if not live:
            return LeaseGrant(dag_id=dag_id, held=False)
        mine = asker is not None and lease.app_id == asker
        return LeaseGrant(
            dag_id=dag_id,
            held=mine,
            holder_app_id=lease.app_id,
            fencing_token=lease.fencing_token if mine else None,
            expires_at=lease.expires_at,
        )

    # -- commands ---------------------------------------------------------------------------
    def enqueue_command(self, command: Command, now: datetime.datetime) -> Command:
        with self._lock:
            stored = dataclasses.replace(command, id=self._next_command, created_at=now)
            self._commands[stored.id] = stored
            self._next_command += 1
            return dataclasses.replace(stored)

    def pending_commands(self, dag_ids: Iterable[str]) -> list[Command]:
        wanted = set(dag_ids)
        with self._lock:
            return [dataclasses.replace(c) for i, c in sorted(self._commands.items()) if c.dag_id in wanted]

    def ack_commands(self, dag_ids: Iterable[str], ids: Iterable[int]) -> None:
        wanted = set(dag_ids)
        with self._lock:
            for command_id in ids:
                command = self._commands.get(command_id)
                if command is not None and command.dag_id in wanted:
                    del self._commands[command_id]

    # -- tokens and users -------------------------------------------------------------------
    def create_app_token(
        self, dag_ids: Sequence[str], now: datetime.datetime, description: str | None = None
    ) -> tuple[str, str]:
        token_id = secrets.token_hex(8)
        secret = f"riir_app_{token_id}_{secrets.token_urlsafe(32)}"
        with self._lock:
            self._tokens[hash_token(secret)] = (token_id, frozenset(dag_ids), False)
        return token_id, secret

    def authenticate_app_token(self, secret: str, now: datetime.datetime) -> AppToken | None:
        with self._lock:
            entry = self._tokens.get(hash_token(secret))
        if entry is None or entry[2]:
            return None
        return AppToken(entry[0], entry[1])

    def revoke_app_token(self, token_id: str, now: datetime.datetime) -> bool:
        with self._lock:
            for key, (tid, scope, revoked) in self._tokens.items():
                if tid == token_id and not revoked:
                    self._tokens[key] = (tid, scope, True)
                    return True
        return False

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
    ) -> UserInfo:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        with self._lock:
            if username in self._users:
                raise ValueError(f"user {username!r} already exists")
            user = UserInfo(username, role, email, first_name, last_name)
            self._users[username] = (user, hash_password(password))
            return user

    def authenticate_user(self, username: str, password: str) -> UserInfo | None:
        with self._lock:
            entry = self._users.get(username)
        if entry is None or not verify_password(password, entry[1]):
            return None
        return entry[0]

    # -- import errors ----------------------------------------------------------------------
    def record_import_error(self, report: ImportErrorReport, app_id: str | None) -> None:
        with self._lock:
            self._import_errors[report.fileloc] = dataclasses.replace(report)

    def import_errors(self) -> list[ImportErrorReport]:
        with self._lock:
            return [dataclasses.replace(r) for _, r in sorted(self._import_errors.items())]
