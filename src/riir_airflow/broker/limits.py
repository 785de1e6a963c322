"""Request size and rate limits, as one ASGI middleware in front of every route.

Contract:
- A request whose body is larger than `max_request_bytes` gets 413 `RequestTooLarge` and is not
  handled: refused up front from its Content-Length, or as soon as a streamed (chunked) body
  crosses the limit (it is read to the limit first), before any route sees it. An app's
  registration (`REGISTER_PATH`) has its own, larger limit, `max_register_bytes`: it carries the
  structure of every DAG of the file at once (~350 bytes a task: one file generating 300 DAGs
  of 60 tasks registers 6 MiB), and comes once per app start.
- Each caller has a token bucket of `burst` requests refilled at `rate` per second; a request
  finding it empty gets 429 `RateLimited` with a `Retry-After` header. The caller is its bearer
  credential (hashed; so each app token, user JWT or the bootstrap secret has its own bucket),
  or its client address when it sends none. The check costs no registry lookup, so a flood of
  requests with bad tokens is throttled before it reaches authentication.

Why: one misbehaving app (a tight retry loop, a runaway log) must not starve the broker that
every other app and the UI depend on (issue 6).
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from typing import Any

from riir_airflow.wire.messages import ErrorInfo, ErrorResponse, dump

__all__ = ["REGISTER_PATH", "LimitsMiddleware", "TokenBuckets", "error_response_bytes"]

REGISTER_PATH = "/internal/v1/apps/register"

Scope = dict[str, Any]


def error_response_bytes(kind: str, message: str) -> bytes:
    return dump(ErrorResponse(ErrorInfo(type=kind, message=message)))


class TokenBuckets:
    """Per-key token buckets: `take(key)` returns 0 if allowed, else seconds until it would be."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._store(key, tokens - 1.0, now)
                return 0.0
            self._store(key, tokens, now)
            return (1.0 - tokens) / self.rate

    def _store(self, key: str, tokens: float, now: float) -> None:
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()  # a crude bound: forgetting is generous, never wrong
        self._buckets[key] = (tokens, now)


class LimitsMiddleware:
    """ASGI middleware enforcing the body size limit (413) and per-caller rate limit (429)."""

    def __init__(
        self, app: Any, *, max_request_bytes: int, rate: float, burst: int, max_register_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes
        self.max_register_bytes = max(max_register_bytes or 0, max_request_bytes)
        self.buckets = TokenBuckets(rate, burst)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        wait = self.buckets.take(_caller_key(scope, headers))
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            await _reply(send, 429, "RateLimited", f"rate limit exceeded; retry in {wait:.2f}s", retry_after)
            return
        length = headers.get(b"content-length")
        limit = self.max_register_bytes if scope.get("path") == REGISTER_PATH else self.max_request_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            await _reply(send, 413, "RequestTooLarge", f"request body over the {limit} byte limit")
            return
        if length is None and b"chunked" in headers.get(b"transfer-encoding", b""):
            body = await _read_body(receive, limit)
            if body is None:
                await _reply(send, 413, "RequestTooLarge", f"request body over the {limit} byte limit")
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole streamed body, or None as soon as it exceeds `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """A `receive` that hands the app the already-read body once, then defers to the server."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _caller_key(scope: Scope, headers: dict[bytes, bytes]) -> str:
    authorization = headers.get(b"authorization")
    if authorization:
        return hashlib.sha256(authorization).hexdigest()
    client = scope.get("client") or ("?", 0)
    return f"addr:{client[0]}"


async def _reply(send: Any, status: int, kind: str, message: str, retry_after: str | None = None) -> None:
    body = error_response_bytes(kind, message)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
