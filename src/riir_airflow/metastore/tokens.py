"""Bearer tokens: per-app tokens scoped to dag_ids, and API tokens of users; only hashes are kept.

Contract:
- A token is `riir_<kind>_<token id>_<secret>` with a 256-bit random secret. The metastore keeps
  its id, kind, scope and `hash_token(token)` (SHA-256 hex): high-entropy secrets need no salt
  or stretching, and a deterministic hash makes authentication one indexed lookup. The plain
  token is returned once, at creation, and never stored.
- App tokens (`kind="app"`) carry the dag_ids their holder may read and change; API tokens
  (`kind="api"`) belong to a user and act with the user's role.
- A token authenticates while it is not revoked and not expired (`expires_at`, if set, is
  exclusive); revoking is permanent. Deleting a user deletes their API tokens.
- `token_is_active(token_id)` serves tokens issued elsewhere (e.g. a JWT whose `jti` is a
  token id recorded here), so they can be revoked too.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc, utc_now
from riir_airflow.metastore.database import Database

__all__ = ["TokenMethods", "TokenRecord", "hash_token", "new_token"]


def hash_token(token: str) -> str:
    """SHA-256 hex of a bearer token: what the metastore stores and looks tokens up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(kind: str) -> tuple[str, str]:
    """(token id, token) for a new token of `kind`."""
    token_id = secrets.token_hex(8)
    return token_id, f"riir_{kind}_{token_id}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as stored (without its hash)."""

    id: str
    kind: str
    dag_ids: tuple[str, ...]
    created_at: datetime.datetime
    username: str | None = None
    description: str | None = None
    expires_at: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None

    def active(self, now: datetime.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def _select() -> sa.Select[Any]:
    return sa.select(t.api_token, t.users.c.username).outerjoin(
        t.users, t.users.c.id == t.api_token.c.user_id
    )


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        id=row["id"], kind=row["kind"], dag_ids=tuple(row["dag_ids"]), created_at=row["created_at"],
        username=row["username"], description=row["description"], expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )  # fmt: skip


class TokenMethods:
    """Creating, authenticating, listing and revoking tokens; mixed into `MetastoreRegistry`."""

    db: Database

    def _create_token(
        self, kind: str, values: dict[str, Any], now: datetime.datetime | None
    ) -> tuple[str, str]:
        token_id, token = new_token(kind)
        row = {
            "id": token_id,
            "kind": kind,
            "token_hash": hash_token(token),
            "created_at": to_utc(now) or utc_now(),
        }
        with self.db.tx(write=True) as conn:
            conn.execute(t.api_token.insert().values({"dag_ids": [], **values, **row}))
        return token_id, token

    def _active_token(self, token: str, kind: str, now: datetime.datetime | None) -> TokenRecord | None:
        with self.db.tx() as conn:
            row = (
                conn.execute(_select().where(t.api_token.c.token_hash == hash_token(token)))
                .mappings()
                .first()
            )
        if row is None or row["kind"] != kind:
            return None
        record = _record(row)
        return record if record.active(to_utc(now) or utc_now()) else None

    def create_app_token(
        self,
        dag_ids: Sequence[str],
        now: datetime.datetime | None = None,
        description: str | None = None,
        *,
        expires_at: datetime.datetime | None = None,
    ) -> tuple[str, str]:
        """(token id, token) of a new app token scoped to `dag_ids`; the token is shown only now."""
        scope = sorted(set(dag_ids))
        values = {"dag_ids": scope, "description": description, "expires_at": to_utc(expires_at)}
        return self._create_token("app", values, now)

    def authenticate_app_token(self, token: str, now: datetime.datetime | None = None) -> Any:
        """The broker's `AppToken` (id and dag_id scope) of a live app token, else None."""
        from riir_airflow.broker.registry import AppToken  # the broker's type; imported when used

        record = self._active_token(token, "app", now)
        return None if record is None else AppToken(record.id, frozenset(record.dag_ids))

    def revoke_app_token(self, token_id: str, now: datetime.datetime | None = None) -> bool:
        """Revoke a token (of any kind) for good; False if it is unknown or already revoked."""
        c = t.api_token.c
        query = t.api_token.update().where(c.id == token_id, c.revoked_at.is_(None))
        with self.db.tx(write=True) as conn:
            return conn.execute(query.values(revoked_at=to_utc(now) or utc_now())).rowcount > 0

    revoke_token = revoke_app_token

    def create_api_token(
        self,
        username: str,
        now: datetime.datetime | None = None,
        *,
        description: str | None = None,
        expires_at: datetime.datetime | None = None,
    ) -> tuple[str, str]:
        """(token id, token) of a new API token acting as `username`; KeyError for an unknown user."""
        with self.db.tx(write=True) as conn:
            user_id = conn.execute(sa.select(t.users.c.id).where(t.users.c.username == username)).scalar()
            if user_id is None:
                raise KeyError(f"no user {username!r}")
            values = {"user_id": user_id, "description": description, "expires_at": to_utc(expires_at)}
            return self._create_token("api", values, now)

    def authenticate_api_token(self, token: str, now: datetime.datetime | None = None) -> TokenRecord | None:
        """The record of a live API token of an active user (its `username` says who), else None."""
        record = self._active_token(token, "api", now)
        if record is None or record.username is None:
            return None
        with self.db.tx() as conn:
            active = conn.execute(
                sa.select(t.users.c.active).where(t.users.c.username == record.username)
            ).scalar()
        return record if active else None

    def token_is_active(self, token_id: str, now: datetime.datetime | None = None) -> bool:
        """True while the token with that id exists, is not revoked and not expired."""
        with self.db.tx() as conn:
            row = conn.execute(_select().where(t.api_token.c.id == token_id)).mappings().first()
        return row is not None and _record(row).active(to_utc(now) or utc_now())

    def list_tokens(self, *, kind: str | None = None) -> list[TokenRecord]:
        """Every token (of `kind` if given), oldest first, revoked ones included."""
        query = _select().order_by(t.api_token.c.created_at, t.api_token.c.id)
        if kind is not None:
            query = query.where(t.api_token.c.kind == kind)
        with self.db.tx() as conn:
            return [_record(row) for row in conn.execute(query).mappings()]
