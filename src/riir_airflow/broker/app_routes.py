"""The app lifecycle over HTTP: register, heartbeat, leases, the command channel, import errors.

Routes (all under /internal/v1, bodies are `riir_airflow.wire.messages`):
- `POST /apps/register` (RegisterRequest -> RegisterResponse, 201): an app token may register
  only DAGs it covers (403 otherwise); the bootstrap secret may register any DAGs and the answer
  carries a new token scoped to them, which the app uses from then on. The answer says which
  DAGs are paused and each DAG's code version.
- `POST /apps/{app_id}/heartbeat` (-> HeartbeatResponse): 404 unknown app, 410 `AppGone` once
  the broker declared it gone (it must register again; its leases are lost).
- `POST /apps/{app_id}/deregister` (204): the app leaves after a drain; gone at once, leases
  released (no zombie handling: it handed back what it ran).
- `POST /leases/acquire` and `/leases/renew` (LeaseRequest -> LeaseGrant): the same call; the
  grant says whether the caller holds the lease and with which fencing token. A standby gets
  `held=false` and the current holder, and simply asks again later. `POST /leases/release`.
- `GET /apps/{app_id}/commands?wait=S&ack=1,2` (-> CommandBatch): first acknowledges `ack`,
  then answers at once with the pending commands of the DAGs whose lease the app holds, or
  waits up to `wait` seconds and answers as soon as one is queued (long-poll). Queuing a command
  wakes the polls of its DAG's holder in this process at once; a poll also looks again every
  `command_recheck_seconds` (commands queued through another broker replica), and when its app
  takes a new lease.
- `POST /commands` (Command -> Command with its id, 201): queue a command; admin/op users only.
  Pause/unpause also set the DAG's pause state in the metastore.
- `POST /import-errors` (ImportErrorReport, 204), `GET /apps` (-> AppList; admin/op users).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import ApiError, BrokerContext
from riir_airflow.broker.store_routes import error_answer, log_failure
from riir_airflow.wire.messages import (
    AppInfo,
    AppList,
    AppState,
    Command,
    CommandBatch,
    CommandKind,
    HeartbeatResponse,
    ImportErrorReport,
    LeaseGrant,
    LeaseRequest,
    RegisterRequest,
    RegisterResponse,
    dump,
    load,
)

__all__ = ["app_router", "serve_message"]

log = logging.getLogger("riir_airflow.broker.apps")


def _require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise ApiError(403, "Forbidden", "only admin or op users may do this")


def _live_app(ctx: BrokerContext, principal: Principal, app_id: str) -> AppInfo:
    """The app, after checking the caller may act for it (it covers all its DAGs) and it is alive."""
    app = ctx.registry.get_app(app_id)
    if app is None:
        raise ApiError(404, "KeyError", f"unknown app {app_id!r}")
    if not principal.is_operator and not all(principal.may_touch(d) for d in app.dag_ids):
        raise ApiError(403, "Forbidden", f"this token does not cover app {app_id!r}")
    if app.state is not AppState.ALIVE:
        raise ApiError(410, "AppGone", f"app {app_id!r} was declared gone; register again")
    return app


def register(ctx: BrokerContext, principal: Principal, req: RegisterRequest) -> RegisterResponse:
    dag_ids = [dag.dag_id for dag in req.dags]
    if len(set(dag_ids)) != len(dag_ids):
        raise ApiError(422, "ValueError", f"a DAG id is registered twice: {dag_ids}")
    if principal.is_app:
        foreign = [d for d in dag_ids if not principal.may_touch(d)]
        if foreign:
            raise ApiError(403, "Forbidden", f"this app token does not cover dags {foreign}")
    elif principal.kind != "bootstrap" and not principal.is_operator:
        raise ApiError(403, "Forbidden", "only an app token or the bootstrap secret may register")
    now = ctx.now()
    app_id = f"app-{uuid.uuid4().hex[:12]}"
    info = AppInfo(
        app_id=app_id, dag_ids=dag_ids, code_hash=req.code_hash, version=req.version, hostname=req.hostname,
        pid=req.pid, fileloc=req.fileloc, state=AppState.ALIVE, registered_at=now, last_heartbeat=now,
    )  # fmt: skip
    ctx.registry.register_app(info, req.dags)
    token = None
    if principal.kind == "bootstrap":
        _, token = ctx.registry.create_app_token(dag_ids, now, description=f"bootstrap: {req.fileloc}")
    log.info(
        "app registered app_id=%s dag_ids=%s code_hash=%s host=%s pid=%s bootstrap=%s",
        app_id, ",".join(dag_ids), req.code_hash, req.hostname, req.pid, token is not None,
    )  # fmt: skip
    settings = ctx.settings
    rows = {dag_id: ctx.registry.get_dag(dag_id) for dag_id in dag_ids}
    return RegisterResponse(
        app_id=app_id,
        dag_ids=dag_ids,
        heartbeat_interval=settings.app_heartbeat_interval,
        heartbeat_timeout=settings.app_heartbeat_timeout,
        lease_ttl=settings.lease_ttl,
        token=token,
        paused={d: row.is_paused for d, row in rows.items() if row is not None},
        versions={d: row.latest_version for d, row in rows.items() if row is not None and row.latest_version},
    )


def heartbeat(ctx: BrokerContext, principal: Principal, app_id: str) -> HeartbeatResponse:
    _live_app(ctx, principal, app_id)
    now = ctx.now()
    app = ctx.registry.heartbeat(app_id, now)
    if app is None or app.state is not AppState.ALIVE:
        raise ApiError(410, "AppGone", f"app {app_id!r} was declared gone; register again")
    return HeartbeatResponse(app_id=app_id, state=app.state, server_time=now)


def deregister(ctx: BrokerContext, principal: Principal, app_id: str) -> None:
    """The app leaves (it drained): gone now, leases released. Its task instances are not
    zombies: a drained app has handed back what it ran."""
    _live_app(ctx, principal, app_id)
    ctx.registry.mark_gone(app_id, ctx.now())
    log.info("app deregistered app_id=%s", app_id)


def acquire(ctx: BrokerContext, principal: Principal, req: LeaseRequest) -> LeaseGrant:
    app = _lease_checks(ctx, principal, req)
    now = ctx.now()
    before = ctx.registry.lease(req.dag_id, now)
    grant = ctx.registry.acquire_lease(req.dag_id, app.app_id, now, _seconds(ctx.settings.lease_ttl))
    if grant.held and before.holder_app_id != app.app_id:
        log.info(
            "lease acquired dag_id=%s app_id=%s fencing_token=%s previous=%s",
            req.dag_id, app.app_id, grant.fencing_token, before.holder_app_id,
        )  # fmt: skip
    return grant


def release(ctx: BrokerContext, principal: Principal, req: LeaseRequest) -> LeaseGrant:
    app = _lease_checks(ctx, principal, req)
    grant = ctx.registry.release_lease(req.dag_id, app.app_id)
    log.info("lease released dag_id=%s app_id=%s", req.dag_id, app.app_id)
    return grant


def _lease_checks(ctx: BrokerContext, principal: Principal, req: LeaseRequest) -> AppInfo:
    if not principal.may_touch(req.dag_id):
        raise ApiError(403, "Forbidden", f"this token does not cover dag {req.dag_id!r}")
    app = _live_app(ctx, principal, req.app_id)
    if req.dag_id not in app.dag_ids:
        raise ApiError(422, "ValueError", f"app {req.app_id!r} did not register dag {req.dag_id!r}")
    return app


def _seconds(value: float) -> Any:
    import datetime

    return datetime.timedelta(seconds=value)


def enqueue(ctx: BrokerContext, principal: Principal, command: Command) -> Command:
    """Queue a command; pause/unpause also change the DAG's row in the same transaction, so the
    state holds even while no app serves the DAG (a starting app reads it at registration)."""
    _require_operator(principal)
    now = ctx.now()
    with ctx.registry.transaction():
        if command.kind in (CommandKind.PAUSE, CommandKind.UNPAUSE):
            ctx.registry.set_dag_paused(command.dag_id, command.kind is CommandKind.PAUSE, now)
        stored = ctx.registry.enqueue_command(command, now)
    log.info(
        "command queued id=%s kind=%s dag_id=%s by=%s", stored.id, stored.kind, stored.dag_id, principal.key
    )
    return stored


def report_import_error(ctx: BrokerContext, principal: Principal, report: ImportErrorReport) -> None:
    if not (principal.is_app or principal.kind == "bootstrap" or principal.is_operator):
        raise ApiError(403, "Forbidden", "only apps and operators report import errors")
    if report.timestamp is None:
        report.timestamp = ctx.now()
    ctx.registry.record_import_error(report, None)
    log.warning("import error reported fileloc=%s by=%s", report.fileloc, principal.key)


def list_apps(ctx: BrokerContext, principal: Principal, _: None) -> AppList:
    _require_operator(principal)
    return AppList(apps=ctx.registry.list_apps())


async def serve_message(
    request: Request,
    fn: Callable[[BrokerContext, Principal, Any], Any],
    body_type: type | None,
    status: int = 200,
) -> Response:
    """Authenticate, decode the body, run `fn` in a worker thread, encode its answer."""
    ctx: BrokerContext = request.app.state.broker
    body = await request.body() if body_type is not None else b""
    authorization = request.headers.get("authorization")

    def run() -> tuple[int, bytes]:
        principal = None
        try:
            principal = ctx.auth.principal(authorization)
            message = load(body, body_type) if body_type is not None else None
            result = fn(ctx, principal, message)
            return (status, dump(result)) if result is not None else (204, b"")
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error answer
            return error_answer(*log_failure(exc, principal, fn.__name__))

    code, content = await run_in_threadpool(run)
    return Response(content=content, status_code=code, media_type="application/json" if content else None)


async def poll_commands(request: Request, app_id: str, wait: float = 0.0, ack: str = "") -> Response:
    """Long-poll for commands: see the module docstring."""
    ctx: BrokerContext = request.app.state.broker
    authorization = request.headers.get("authorization")
    try:
        acked = [int(part) for part in ack.split(",") if part.strip()]
    except ValueError:
        return _error(*error_answer(422, "ValueError", f"ack must be comma-separated ids, not {ack!r}"))
    deadline = asyncio.get_running_loop().time() + max(0.0, min(wait, ctx.settings.long_poll_max_seconds))

    def leased() -> tuple[int, bytes] | list[str]:
        principal = None
        try:
            principal = ctx.auth.principal(authorization)
            app = _live_app(ctx, principal, app_id)
            now = ctx.now()
            dags = [d for d in app.dag_ids if ctx.registry.lease(d, now).holder_app_id == app_id]
            if acked:
                ctx.registry.ack_commands(app.dag_ids, acked)
                acked.clear()
            return dags
        except Exception as exc:  # noqa: BLE001
            return error_answer(*log_failure(exc, principal, "poll_commands"))

    while True:
        dags = await run_in_threadpool(leased)
        if isinstance(dags, tuple):
            return _error(*dags)
        with ctx.bus.watching([*dags, f"app:{app_id}"]) as announced:
            pending = await run_in_threadpool(ctx.registry.pending_commands, dags) if dags else []
            remaining = deadline - asyncio.get_running_loop().time()
            if pending or remaining <= 0:
                return Response(dump(CommandBatch(commands=pending)), media_type="application/json")
            try:
                recheck = ctx.settings.command_recheck_seconds
                await asyncio.wait_for(announced.wait(), timeout=min(remaining, recheck))
            except TimeoutError:
                pass


def _error(status: int, content: bytes) -> Response:
    return Response(content=content, status_code=status, media_type="application/json")


def app_router() -> APIRouter:
    router = APIRouter(prefix="/internal/v1", tags=["internal: apps"])

    async def register_route(request: Request) -> Response:
        return await serve_message(request, register, RegisterRequest, 201)

    async def heartbeat_route(request: Request, app_id: str) -> Response:
        return await serve_message(request, lambda ctx, p, _: heartbeat(ctx, p, app_id), None)

    async def deregister_route(request: Request, app_id: str) -> Response:
        return await serve_message(request, lambda ctx, p, _: deregister(ctx, p, app_id), None)

    async def acquire_route(request: Request) -> Response:
        response = await serve_message(request, acquire, LeaseRequest)
        if response.status_code == 200:
            grant = load(response.body, LeaseGrant)
            if grant.held and grant.holder_app_id:  # a parked poll of the holder now watches this DAG too
                request.app.state.broker.bus.announce(f"app:{grant.holder_app_id}")
        return response

    async def release_route(request: Request) -> Response:
        return await serve_message(request, release, LeaseRequest)

    async def enqueue_route(request: Request) -> Response:
        response = await serve_message(request, enqueue, Command, 201)
        if response.status_code == 201:
            request.app.state.broker.bus.announce(load(response.body, Command).dag_id)
        return response

    async def import_error_route(request: Request) -> Response:
        return await serve_message(request, report_import_error, ImportErrorReport)

    async def apps_route(request: Request) -> Response:
        return await serve_message(request, list_apps, None)

    router.add_api_route("/apps/register", register_route, methods=["POST"], status_code=201)
    router.add_api_route("/apps/{app_id}/heartbeat", heartbeat_route, methods=["POST"])
    router.add_api_route("/apps/{app_id}/deregister", deregister_route, methods=["POST"])
    router.add_api_route("/apps/{app_id}/commands", poll_commands, methods=["GET"])
    router.add_api_route("/leases/acquire", acquire_route, methods=["POST"])
    router.add_api_route("/leases/renew", acquire_route, methods=["POST"])
    router.add_api_route("/leases/release", release_route, methods=["POST"])
    router.add_api_route("/commands", enqueue_route, methods=["POST"], status_code=201)
    router.add_api_route("/import-errors", import_error_route, methods=["POST"], status_code=204)
    router.add_api_route("/apps", apps_route, methods=["GET"])
    from riir_airflow.broker.backfill_routes import backfill_router
    from riir_airflow.broker.cross_dag_routes import cross_dag_router
    from riir_airflow.broker.pool_routes import pool_router

    router.include_router(cross_dag_router())
    router.include_router(pool_router())
    router.include_router(backfill_router())
    return router
