"""Errors of the internal API: one stable name per failure, its HTTP status, its exception.

Contract:
- The broker answers a failed call with an HTTP status and `ErrorInfo(type, message)`; the
  client raises `exception_for(status, info)`. Errors the Store contract defines come back as
  the same Python exceptions the local store raises (`DagRunAlreadyExists`, `KeyError`,
  `ValueError`), so the runtime handles both stores alike.
- Everything else is a `BrokerError` subclass with the status, so callers can tell "wrong
  token" (401) from "not your DAG" (403), "someone else holds the lease" (409), "too big"
  (413), "slow down" (429) and "broker unreachable" (no status).
"""

from __future__ import annotations

from riir_airflow.store.records import DagRunAlreadyExists
from riir_airflow.wire.messages import ErrorInfo

__all__ = [
    "STATUS_OF",
    "AppGone",
    "BrokerError",
    "BrokerUnavailable",
    "Forbidden",
    "RateLimited",
    "RequestTooLarge",
    "StaleFencingToken",
    "Unauthorized",
    "exception_for",
]


class BrokerError(Exception):
    """A call to the broker failed; `status` is the HTTP status (None: no answer at all)."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, type: str | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.type = type or self.__class__.__name__


class Unauthorized(BrokerError):
    """401: the token is missing, wrong, revoked or expired."""

    status = 401


class Forbidden(BrokerError):
    """403: the token is valid but does not cover that DAG or operation."""

    status = 403


class StaleFencingToken(BrokerError):
    """409: the write's fencing token is not the current lease's (or it carried none): the
    caller lost the lease and must stop scheduling that DAG. Nothing was changed."""

    status = 409


class AppGone(BrokerError):
    """410: the broker declared this app gone (its heartbeats stopped); register again."""

    status = 410


class RequestTooLarge(BrokerError):
    """413: the request body is over the broker's size limit."""

    status = 413


class RateLimited(BrokerError):
    """429: the token sent more requests than its rate allows; `retry_after` seconds to wait."""

    status = 429

    def __init__(self, message: str, *, retry_after: float = 1.0, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class BrokerUnavailable(BrokerError):
    """The broker could not be reached or did not answer in time."""


_BY_TYPE: dict[str, type[BrokerError]] = {
    cls.__name__: cls
    for cls in (Unauthorized, Forbidden, StaleFencingToken, AppGone, RequestTooLarge, RateLimited)
}

STATUS_OF: dict[str, int] = {
    "DagRunAlreadyExists": 409,
    "KeyError": 404,
    "ValueError": 422,
    "WireError": 422,
    "TypeError": 422,
    **{name: cls.status for name, cls in _BY_TYPE.items() if cls.status is not None},
}
"""HTTP status of each error type the broker sends (anything else is a 500 `BrokerError`)."""


def exception_for(status: int, info: ErrorInfo | None) -> Exception:
    """The exception a client raises for an error answer (`info` None: the body was not ours)."""
    message = info.message if info else f"HTTP {status}"
    kind = info.type if info else ""
    if kind == "DagRunAlreadyExists":
        return DagRunAlreadyExists(message)
    if kind == "KeyError":
        return KeyError(message)
    if kind in ("ValueError", "WireError", "TypeError"):
        return ValueError(message)
    cls = _BY_TYPE.get(kind) or next((c for c in _BY_TYPE.values() if c.status == status), None)
    if cls is not None:
        return cls(message, status=status, type=kind or cls.__name__)
    return BrokerError(message, status=status, type=kind or None)
