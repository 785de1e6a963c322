"""Who is calling: app tokens, the bootstrap secret, and user JWTs (Airflow 3's `/auth/token`).

Contract:
- `Authenticator.principal(authorization)` turns an `Authorization: Bearer ...` header into a
  `Principal` or raises `AuthError` (-> 401): missing header, unknown or revoked app token,
  bad signature, expired JWT (expiry is judged by the broker's clock, so tests travel in time).
- Three kinds of principal: an app (`token_id`, the dag_ids it may touch), the bootstrap secret
  (may only register, which mints an app token), and a user (username and role, from a JWT).
- JWTs are HS512 over `[api_auth] jwt_secret` with Airflow's claims (`jti`, `sub`, `role`,
  `iat`, `nbf`, `exp`), so a token from `POST /auth/token` works as in Airflow 3.
- `riir_api_...` tokens are a user's API tokens (from the registry): they act with the user's role.
- Verified app and API tokens are cached for `token_cache_seconds`: a revocation bites within
  that time, and a busy app does not cost a registry lookup per request.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from riir_airflow.broker.registry import ROLES, Registry, UserInfo
from riir_airflow.broker.settings import BrokerSettings

__all__ = [
    "API_TOKEN_PREFIX",
    "APP_TOKEN_PREFIX",
    "AuthError",
    "Authenticator",
    "Principal",
    "issue_jwt",
    "plain_utc",
]

APP_TOKEN_PREFIX = "riir_app_"
API_TOKEN_PREFIX = "riir_api_"
_ALGORITHM = "HS512"


def plain_utc(value: datetime.datetime) -> datetime.datetime:
    """`value` as a standard-library aware UTC datetime. The clock hands out `pendulum.DateTime`s,
    whose arithmetic drops a non-pendulum tzinfo (`pendulum_dt.astimezone(UTC) + delta` is naive);
    the registry adds TTLs to what it is given, so the broker passes it plain datetimes."""
    utc = value.astimezone(datetime.UTC)
    return datetime.datetime(
        utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond, tzinfo=datetime.UTC
    )


@functools.cache
def _quiet_short_keys() -> None:
    """Operators keep the `[api_auth] jwt_secret` they have; PyJWT's advice to lengthen it
    would be printed on every request, so it is silenced (the broker's own key is 64 bytes)."""
    from jwt.warnings import InsecureKeyLengthWarning

    warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)


class AuthError(Exception):
    """The request's credentials are missing or not valid (HTTP 401)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. `kind` is "app", "bootstrap" or "user"."""

    kind: str
    name: str  # token id, "bootstrap" or username
    dag_ids: frozenset[str] = frozenset()
    role: str | None = None

    @property
    def is_app(self) -> bool:
        return self.kind == "app"

    @property
    def is_operator(self) -> bool:
        """A user allowed to act on every DAG through the internal API (admin or op)."""
        return self.kind == "user" and self.role in ("admin", "op")

    def may_touch(self, dag_id: str | None) -> bool:
        """Whether this caller may read or change rows of `dag_id`."""
        if self.is_operator:
            return True
        return self.is_app and dag_id is not None and dag_id in self.dag_ids

    @property
    def key(self) -> str:
        """Identity for rate limits, idempotency and logs."""
        return f"{self.kind}:{self.name}"


def issue_jwt(user: UserInfo, secret: str, lifetime_seconds: int, now: datetime.datetime) -> str:
    """A JWT for `user` valid `lifetime_seconds` from `now`, with Airflow 3's claims."""
    import jwt

    _quiet_short_keys()
    issued = int(now.timestamp())
    claims = {
        "jti": uuid.uuid4().hex,
        "sub": user.username,
        "role": user.role.upper(),
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime_seconds),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


class Authenticator:
    """Verifies bearer credentials against the registry and the JWT secret."""

    def __init__(self, registry: Registry, settings: BrokerSettings, clock: Any) -> None:
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def principal(self, authorization: str | None) -> Principal:
        """The caller behind an Authorization header value; AuthError if there is none."""
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("missing bearer token")
        token = authorization[len("Bearer ") :].strip()
        if not token:
            raise AuthError("missing bearer token")
        if token.startswith(APP_TOKEN_PREFIX):
            return self._cached(token, self._app)
        if token.startswith(API_TOKEN_PREFIX):
            return self._cached(token, self._api)
        bootstrap = self._settings.app_bootstrap_secret
        if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
            return Principal(kind="bootstrap", name="bootstrap")
        return self._user(token)

    def forget(self) -> None:
        """Drop cached app tokens (after a revocation through this broker)."""
        with self._lock:
            self._cache.clear()

    def _cached(self, token: str, verify: Any) -> Principal:
        """`verify(token)`, remembered for `token_cache_seconds` (keyed by the token's hash)."""
        key = hashlib.sha256(token.encode()).hexdigest()
        ttl = self._settings.token_cache_seconds
        if ttl > 0:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        principal = verify(token)
        if ttl > 0:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[key] = (time.monotonic() + ttl, principal)
        return principal

    def _app(self, token: str) -> Principal:
        found = self._registry.authenticate_app_token(token, plain_utc(self._clock.now()))
        if found is None:
            raise AuthError("unknown or revoked app token")
        return Principal(kind="app", name=found.token_id, dag_ids=frozenset(found.dag_ids))

    def _api(self, token: str) -> Principal:
        """A user's API token (`riir-airflow` issues them per user): acts with the user's role."""
        authenticate = getattr(self._registry, "authenticate_api_token", None)
        record = authenticate(token, plain_utc(self._clock.now())) if authenticate is not None else None
        user = self._registry.get_user(record.username) if record is not None else None  # type: ignore[attr-defined]
        if user is None or user.role not in ROLES:
            raise AuthError("unknown, revoked or expired API token")
        return Principal(kind="user", name=user.username, role=user.role)

    def _user(self, token: str) -> Principal:
        import jwt

        _quiet_short_keys()
        try:
            claims = jwt.decode(
                token,
                self._settings.jwt_secret,
                algorithms=[_ALGORITHM],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                         "require": ["exp", "sub"]},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        now = self._clock.now().timestamp()
        if claims["exp"] <= now:
            raise AuthError("token has expired")
        role = str(claims.get("role", "")).lower()
        if role not in ROLES:
            raise AuthError(f"token carries no known role ({role!r})")
        return Principal(kind="user", name=str(claims["sub"]), role=role)
