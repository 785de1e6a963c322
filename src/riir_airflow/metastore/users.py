"""Users of the broker (UI, REST API, CLI login) with salted, memory-hard password hashes.

Contract:
- `hash_password` returns `scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>` (hashlib.scrypt, a random
  16-byte salt per call, n=2**14, r=8, p=1: ~16 MiB and tens of milliseconds per guess, which is
  what makes a stolen table expensive to brute-force). `verify_password` recomputes it with the
  parameters stored in the hash (so they can be raised later without invalidating old hashes),
  compares in constant time, and is False for anything malformed. The format is the one
  `riir_airflow.broker.passwords` writes, so either side verifies the other's hashes.
- Passwords are stored only as such hashes; nothing returns a hash to callers.
- Roles are Airflow's: admin, op, user, viewer. Usernames are unique; creating an existing one,
  or an unknown role, raises ValueError. Only active users authenticate.

`UserMethods` is mixed into `MetastoreRegistry`; its protocol-facing methods (`create_user`,
`authenticate_user`) return the broker's `UserInfo`.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc, utc_now
from riir_airflow.metastore.database import Database

__all__ = ["ROLES", "UserMethods", "UserRecord", "hash_password", "verify_password"]

ROLES = ("admin", "op", "user", "viewer")
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password` in the `scrypt$n$r$p$salt$hash` text format."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """True if `password` matches the stored hash; False for a wrong password or a malformed hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        computed = hashlib.scrypt(
            password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
            dklen=len(expected), maxmem=256 * 1024 * 1024,
        )  # fmt: skip
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(computed, expected)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored, without the password hash."""

    id: int
    username: str
    role: str
    active: bool
    created_at: datetime.datetime
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    last_login: datetime.datetime | None = None


def _record(row: Any) -> UserRecord:
    return UserRecord(
        id=row["id"], username=row["username"], role=row["role"], active=row["active"],
        created_at=row["created_at"], email=row["email"], first_name=row["first_name"],
        last_name=row["last_name"], last_login=row["last_login"],
    )  # fmt: skip


def _user_info(user: UserRecord) -> Any:
    from riir_airflow.broker.registry import UserInfo  # the broker's type; imported when used

    return UserInfo(user.username, user.role, user.email, user.first_name, user.last_name)


class UserMethods:
    """Users: create, authenticate, list, change password, deactivate, delete."""

    db: Database

    def create_user(
        self,
        username: str,
        password: str,
        role: str,
        now: datetime.datetime | None = None,
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> Any:
        """Create a user (ValueError if the username is taken or the role unknown); its UserInfo."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if not username:
            raise ValueError("a username must not be empty")
        values = {
            "username": username, "password_hash": hash_password(password), "role": role, "active": True,
            "created_at": to_utc(now) or utc_now(), "email": email, "first_name": first_name,
            "last_name": last_name,
        }  # fmt: skip
        with self.db.tx(write=True) as conn:
            try:
                with conn.begin_nested():
                    conn.execute(t.users.insert().values(values))
            except sa.exc.IntegrityError:
                raise ValueError(f"user {username!r} already exists") from None
            row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).mappings().one()
        return _user_info(_record(row))

    def authenticate_user(self, username: str, password: str, now: datetime.datetime | None = None) -> Any:
        """The user's UserInfo if the password is right and the user active (recording the login
        time), else None. Unknown users cost a hash too, so timing does not reveal who exists."""
        u = t.users.c
        with self.db.tx() as conn:
            row = conn.execute(sa.select(t.users).where(u.username == username)).mappings().first()
        if row is None:
            verify_password(password, hash_password("not a user"))
            return None
        if not verify_password(password, row["password_hash"]) or not row["active"]:
            return None
        with self.db.tx(write=True) as conn:
            conn.execute(
                t.users.update().where(u.id == row["id"]).values(last_login=to_utc(now) or utc_now())
            )
        return _user_info(_record(row))

    def get_user(self, username: str) -> UserRecord | None:
        with self.db.tx() as conn:
            row = conn.execute(sa.select(t.users).where(t.users.c.username == username)).mappings().first()
        return _record(row) if row else None

    def list_users(self) -> list[UserRecord]:
        """Every user, by username."""
        with self.db.tx() as conn:
            rows = conn.execute(sa.select(t.users).order_by(t.users.c.username)).mappings()
            return [_record(row) for row in rows]

    def set_password(self, username: str, password: str) -> bool:
        """Replace the user's password; False if there is no such user."""
        query = (
            t.users.update()
            .where(t.users.c.username == username)
            .values(password_hash=hash_password(password))
        )
        with self.db.tx(write=True) as conn:
            return conn.execute(query).rowcount > 0

    def set_user_active(self, username: str, active: bool) -> bool:
        """Activate or deactivate (inactive users cannot log in); False if there is no such user."""
        with self.db.tx(write=True) as conn:
            return (
                conn.execute(
                    t.users.update().where(t.users.c.username == username).values(active=active)
                ).rowcount
                > 0
            )

    def delete_user(self, username: str) -> bool:
        """Delete the user and their API tokens; False if there is no such user."""
        with self.db.tx(write=True) as conn:
            return conn.execute(t.users.delete().where(t.users.c.username == username)).rowcount > 0
