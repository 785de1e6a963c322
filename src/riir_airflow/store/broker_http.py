"""HTTP to the broker with the standard library: keep-alive, timeouts, retries, typed errors.

Contract of `BrokerConnection`:
- `exchange(method, path, message, answer_type)` sends a `riir_airflow.wire` message (or
  nothing) and returns the decoded answer (None for 204); a failure raises what
  `riir_airflow.wire.errors.exception_for` maps it to (`KeyError`, `DagRunAlreadyExists`,
  `Unauthorized`, `Forbidden`, `StaleFencingToken`, ...).
- One persistent HTTP/1.1 connection per thread and per process: threads never share a
  socket, and a forked task worker opens its own instead of writing into its parent's.
- A connection the broker closed while idle is reopened and the request resent once, silently.
  Other network failures are retried `retries` times with backoff when the request is safe to
  repeat (reads, and writes carrying a request id, which the broker applies only once);
  then `BrokerUnavailable`. 429 answers are waited out (`Retry-After`) within the same budget.
- `timeout` bounds each request (connect and each read); a long-poll passes a longer one.

Why http.client: the DAG app's install stays at a handful of distributions (DESIGN.md), and one
keep-alive connection per thread is all an app needs.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
import urllib.parse
from typing import Any, TypeVar

from riir_airflow.wire.codec import WireError
from riir_airflow.wire.errors import BrokerUnavailable, RateLimited, exception_for
from riir_airflow.wire.messages import ErrorResponse, dump, load

__all__ = ["BrokerConnection"]

T = TypeVar("T")
_STALE_SOCKET = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    http.client.BadStatusLine,
)
_NETWORK = (OSError, http.client.HTTPException)


class BrokerConnection:
    """Requests to one broker with one bearer token; see the module docstring."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0, retries: int = 3) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"broker URL must be http(s)://host[:port][/prefix], not {url!r}")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self._local = threading.local()

    # -- connections ------------------------------------------------------------------------
    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or getattr(local, "pid", None) != os.getpid():
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=timeout)
            local.conn, local.pid = conn, os.getpid()
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        self._drop()

    # -- requests ---------------------------------------------------------------------------
    def _headers(self, body: bytes | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "Connection": "keep-alive"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(body))
        return headers

    def _once(
        self, method: str, path: str, body: bytes | None, timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        """One request; a socket the broker closed while idle is replaced and the request resent."""
        for attempt in (0, 1):
            conn = self._connection(timeout)
            reused = conn.sock is not None
            try:
                conn.request(method, self._prefix + path, body=body, headers=self._headers(body))
                response = conn.getresponse()
                data = response.read()
            except _STALE_SOCKET:
                self._drop()
                if reused and attempt == 0:
                    continue
                raise
            except BaseException:
                self._drop()
                raise
            if response.getheader("connection", "").lower() == "close":
                self._drop()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        raise AssertionError("unreachable")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        timeout: float | None = None,
        safe: bool = True,
    ) -> tuple[int, bytes]:
        """(status, body) of a request, after the retries of the module docstring."""
        timeout = self.timeout if timeout is None else timeout
        delay = 0.1
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                status, headers, data = self._once(method, path, body, timeout)
            except TimeoutError as exc:
                if not safe or last:
                    raise BrokerUnavailable(
                        f"{method} {self.url}{path}: no answer within {timeout}s"
                    ) from exc
            except _NETWORK as exc:
                if not safe or last:
                    raise BrokerUnavailable(
                        f"{method} {self.url}{path}: {type(exc).__name__}: {exc}"
                    ) from exc
            else:
                if status != 429 or last:
                    return status, data
                delay = max(delay, _retry_after(headers))
            time.sleep(delay)
            delay = min(delay * 3, 5.0)
        raise AssertionError("unreachable")

    def exchange(
        self,
        method: str,
        path: str,
        message: Any = None,
        answer_type: type[T] | None = None,
        *,
        timeout: float | None = None,
        safe: bool = True,
    ) -> T | None:
        """Send `message`, return the answer decoded as `answer_type`; raise on an error answer."""
        body = dump(message) if message is not None else None
        status, data = self.request(method, path, body, timeout=timeout, safe=safe)
        if status >= 400:
            raise _error(status, data)
        if answer_type is None or status == 204 or not data:
            return None
        return load(data, answer_type)


def _retry_after(headers: dict[str, str]) -> float:
    try:
        return max(0.05, float(headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


def _error(status: int, data: bytes) -> Exception:
    try:
        info = load(data, ErrorResponse).error
    except WireError:
        info = None
    exc = exception_for(status, info)
    if isinstance(exc, RateLimited):
        exc.retry_after = 1.0
    return exc
