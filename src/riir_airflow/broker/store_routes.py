"""The Store over HTTP: `POST /internal/v1/store/<op>` per Store method, and `/internal/v1/batch`.

Contract of every store endpoint:
- Body `StoreRequest` (`args` encoded with the op's types, `fencing`, `request_id`), answer
  `StoreResponse` (200) or `ErrorResponse` with the status of `riir_airflow.wire.errors`:
  401 bad credentials, 403 not the caller's DAG (`scopes.authorize`), 409 stale fencing token
  (`scopes.check_fencing`) or `DagRunAlreadyExists`, 404 `KeyError`, 422 `ValueError` or a
  malformed request, 500 anything else (logged with its traceback).
- A write with a `request_id` is applied at most once per caller: a retry gets the first
  answer again (`ReplayCache`), which is what makes `create_dag_run`, `append_log` and
  `record_asset_event` safe to retry after a lost response.
- `/internal/v1/batch` applies `BatchRequest.calls` in order, each authorized, fenced and
  executed on its own; the answer lists one `BatchOutcome` (result or error) per call.

Why raw bodies instead of FastAPI models: the codec already validates against the Store's own
types, and skipping a second (pydantic) validation keeps a state update cheap (the load test in
bench/ asks for thousands per second on two cores).

`StoreFastPath` (installed by `create_app` inside the limits middleware) answers these same
POSTs straight from the ASGI scope, with the same handlers and answers as the routes: FastAPI's
route matching (a linear scan over every route), request wrappers and exception middlewares cost
more than a whole state update's own work. The routes stay registered for the OpenAPI spec and
serve the calls when the fast path is not installed.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from riir_airflow.broker.auth import AuthError, Principal
from riir_airflow.broker.context import ApiError, BrokerContext
from riir_airflow.broker.scopes import authorize, fenced, filter_result
from riir_airflow.store.records import DagRunAlreadyExists
from riir_airflow.wire.codec import WireError, encode
from riir_airflow.wire.messages import (
    BatchOutcome,
    BatchRequest,
    BatchResponse,
    ErrorInfo,
    ErrorResponse,
    StoreRequest,
    StoreResponse,
    dump,
    load,
)
from riir_airflow.wire.store_ops import STORE_OPS, StoreOp, decode_args

__all__ = ["StoreFastPath", "error_answer", "handle_batch", "handle_call", "log_failure", "store_router"]

log = logging.getLogger("riir_airflow.broker.store")
Answer = tuple[int, bytes]
BATCH_PATH = "/internal/v1/batch"


def error_answer(status: int, kind: str, message: str) -> Answer:
    return status, dump(ErrorResponse(ErrorInfo(type=kind, message=message)))


def _classify(exc: BaseException) -> tuple[int, str, str]:
    """(status, type, message) of an exception raised while handling a call."""
    if isinstance(exc, ApiError):
        return exc.status, exc.type, exc.message
    if isinstance(exc, AuthError):
        return 401, "Unauthorized", str(exc)
    if type(exc).__name__ == "StaleFencingToken":  # the registry's own class (memory or metastore)
        return 409, "StaleFencingToken", str(exc)
    if isinstance(exc, DagRunAlreadyExists):
        return 409, "DagRunAlreadyExists", str(exc)
    if isinstance(exc, KeyError):
        return 404, "KeyError", str(exc.args[0]) if exc.args else "not found"
    if isinstance(exc, (WireError, TypeError)):
        return 422, "WireError", str(exc)
    if isinstance(exc, ValueError):
        return 422, "ValueError", str(exc)
    return 500, "InternalError", f"{type(exc).__name__}: {exc}"


def _fast_fence(ctx: BrokerContext) -> bool:
    """Whether the store can check the fence itself: it offers `fenced_write`, its database is
    the registry's (the lease rows are there) and no transaction is open (a batch's)."""
    db = _batch_db(ctx)
    return db is not None and hasattr(ctx.store, "fenced_write") and not db.in_transaction()


def _batch_db(ctx: BrokerContext) -> Any:
    """The `Database` that store and registry share, if they do: a batch of several calls is
    applied in one transaction of it, each call in a savepoint (one failing undoes only its
    own changes), and the fence and run checks its calls repeat are made once (`Database.memo`,
    under the lease row's lock): one commit and a few checks for a whole group of tries' ends."""
    db = getattr(ctx.store, "db", None)
    return db if db is not None and db is getattr(ctx.registry, "db", None) else None


def _apply(ctx: BrokerContext, principal: Principal, op: StoreOp, args: Any, fencing: dict[str, int]) -> Any:
    """Decode, authorize, fence and run one call; its encoded result (raises on refusal)."""
    kwargs = decode_args(op, args)
    dags = authorize(principal, op, kwargs)
    # The store applies an app's fenced write in one statement when it can; a refusal (or a case
    # it does not handle) goes the general way below, which raises the precise error.
    if (
        op.write
        and principal.is_app
        and dags
        and _fast_fence(ctx)
        and ctx.store.fenced_write(op.name, kwargs, {d: fencing.get(d) for d in dags}, ctx.now())
    ):
        return encode(filter_result(principal, op, None), op.result)
    if op.write:
        with fenced(principal, ctx.registry, dags, fencing, ctx.now()):
            result = getattr(ctx.store, op.name)(**kwargs)
    else:
        result = getattr(ctx.store, op.name)(**kwargs)
    return encode(filter_result(principal, op, result), op.result)


def log_failure(exc: BaseException, principal: Principal | None, op: str) -> tuple[int, str, str]:
    status, kind, message = _classify(exc)
    who = principal.key if principal else "anonymous"
    if status >= 500:
        log.error("store call failed op=%s caller=%s error=%s", op, who, message, exc_info=exc)
    elif status in (401, 403, 409) and kind != "DagRunAlreadyExists":
        log.warning("store call refused op=%s caller=%s status=%s error=%s", op, who, status, message)
    return status, kind, message


def handle_call(ctx: BrokerContext, op: StoreOp, authorization: str | None, body: bytes) -> Answer:
    """The whole synchronous handling of one store endpoint call (run in a worker thread)."""
    principal: Principal | None = None
    try:
        principal = ctx.auth.principal(authorization)
        request = load(body, StoreRequest)
        fencing = request.fencing

        def run() -> Answer:
            try:
                result = _apply(ctx, principal, op, request.args, fencing)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - every failure becomes an error answer
                return error_answer(*log_failure(exc, principal, op.name))
            return 200, dump(StoreResponse(result=result))

        if op.write and request.request_id:
            return ctx.replies.run((principal.key, f"{op.name}:{request.request_id}"), run)
        return run()
    except Exception as exc:  # noqa: BLE001
        return error_answer(*log_failure(exc, principal, op.name))


def handle_batch(ctx: BrokerContext, authorization: str | None, body: bytes) -> Answer:
    """Apply every call of a `BatchRequest` in order; one outcome per call."""
    principal: Principal | None = None
    try:
        principal = ctx.auth.principal(authorization)
        request = load(body, BatchRequest)

        def run() -> Answer:
            outcomes: list[BatchOutcome] = []
            db = _batch_db(ctx) if len(request.calls) > 1 else None
            with db.transaction() if db is not None else contextlib.nullcontext():
                for call in request.calls:
                    try:
                        op = STORE_OPS.get(call.op)
                        if op is None:
                            raise ApiError(404, "KeyError", f"no store operation {call.op!r}")
                        with db.savepoint() if db is not None else contextlib.nullcontext():
                            result = _apply(ctx, principal, op, call.args, request.fencing)
                        outcomes.append(BatchOutcome(result=result))
                    except Exception as exc:  # noqa: BLE001
                        _, kind, message = log_failure(exc, principal, call.op)
                        outcomes.append(BatchOutcome(error=ErrorInfo(type=kind, message=message)))
            return 200, dump(BatchResponse(outcomes=outcomes))

        if request.request_id:
            return ctx.replies.run((principal.key, f"batch:{request.request_id}"), run)
        return run()
    except Exception as exc:  # noqa: BLE001
        return error_answer(*log_failure(exc, principal, "batch"))


def _json(answer: Answer) -> Response:
    return Response(content=answer[1], status_code=answer[0], media_type="application/json")


def store_router() -> APIRouter:
    """One POST route per Store operation, plus the batch route."""
    router = APIRouter(tags=["internal: store"])

    def endpoint_for(op: StoreOp) -> Any:
        async def endpoint(request: Request) -> Response:
            ctx: BrokerContext = request.app.state.broker
            body = await request.body()
            answer = await run_in_threadpool(handle_call, ctx, op, request.headers.get("authorization"), body)
            return _json(answer)

        endpoint.__name__ = f"store_{op.name}"
        endpoint.__doc__ = f"Store.{op.name} (a {'write' if op.write else 'read'}); body: StoreRequest."
        return endpoint

    for op in STORE_OPS.values():
        router.add_api_route(op.path, endpoint_for(op), methods=["POST"], name=f"store_{op.name}")

    async def batch(request: Request) -> Response:
        """Several Store calls in order in one round trip; body: BatchRequest."""
        ctx: BrokerContext = request.app.state.broker
        body = await request.body()
        return _json(await run_in_threadpool(handle_batch, ctx, request.headers.get("authorization"), body))

    router.add_api_route(BATCH_PATH, batch, methods=["POST"], name="store_batch")
    return router


class StoreFastPath:
    """ASGI middleware serving `POST` store calls and batches without FastAPI's routing (see the
    module docstring); every other request goes on to `app`. The broker's `BrokerContext` is
    read from the Starlette app in the scope (`scope["app"].state.broker`)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._ops: dict[str, StoreOp | None] = {op.path: op for op in STORE_OPS.values()}
        self._ops[BATCH_PATH] = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root + "/"):
            path = path[len(root) :]
        if path not in self._ops:
            await self.app(scope, receive, send)
            return
        op = self._ops[path]
        ctx: BrokerContext = scope["app"].state.broker
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        body = await _read_body(receive)
        if op is None:
            status, content = await anyio.to_thread.run_sync(handle_batch, ctx, authorization, body)
        else:
            status, content = await anyio.to_thread.run_sync(handle_call, ctx, op, authorization, body)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(content)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
