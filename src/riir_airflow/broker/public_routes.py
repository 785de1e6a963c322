"""The Airflow-3-shaped public endpoints the broker owns today: login, health, version.

Contract (shapes as Airflow 3.3's API server answers them):
- `POST /auth/token` with `{"username", "password"}` (JSON or form-encoded) -> 201
  `{"access_token": JWT}`; 400 when either is missing, 401 for wrong credentials. The JWT is
  what `Authorization: Bearer` then carries (the simple auth manager's behaviour).
  `GET /auth/token` -> 403, as Airflow answers unless every user is an admin.
- `GET /api/v2/monitor/health` -> `{"metadatabase": {"status"}, "scheduler": {"status",
  "latest_scheduler_heartbeat"}, "triggerer": {...}, "dag_processor": {...}}`. The apps are
  the schedulers and triggerers here: healthy when at least one app is alive, with the latest
  app heartbeat; there is no DAG processor (status null), as Airflow reports a missing one.
- `GET /api/v2/version` -> `{"version", "git_version"}`: the Airflow version whose behaviour
  riir follows, and riir's own version as git_version.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from riir_airflow.broker.auth import issue_jwt
from riir_airflow.broker.context import BrokerContext
from riir_airflow.wire.messages import AppState

__all__ = ["public_router"]

log = logging.getLogger("riir_airflow.broker.auth")
HEALTHY, UNHEALTHY = "healthy", "unhealthy"


async def _login_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(errors="replace")).items()}
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def create_token(request: Request) -> Response:
    """Authenticate a user and return a JWT (Airflow 3's simple auth manager `/auth/token`)."""
    ctx: BrokerContext = request.app.state.broker
    body = await _login_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return JSONResponse({"detail": "Username and password must be provided"}, status_code=400)
    user = await run_in_threadpool(ctx.registry.authenticate_user, username, password)
    if user is None:
        log.warning("login refused username=%s", username)
        return JSONResponse({"detail": "Invalid credentials"}, status_code=401)
    token = issue_jwt(user, ctx.settings.jwt_secret, ctx.settings.jwt_expiration_time, ctx.now())
    log.info("login username=%s role=%s", user.username, user.role)
    return JSONResponse({"access_token": token}, status_code=201)


async def token_without_credentials() -> Response:
    return JSONResponse(
        {"detail": "This method is only allowed if ``[core] simple_auth_manager_all_admins`` is True"},
        status_code=403,
    )


def _health(ctx: BrokerContext) -> dict[str, Any]:
    try:
        ctx.store.get_variable("__riir_health_probe__")
        database = HEALTHY
    except Exception:
        log.exception("health: metastore probe failed")
        database = UNHEALTHY
    try:
        alive = [a for a in ctx.registry.list_apps() if a.state is AppState.ALIVE]
    except Exception:  # noqa: BLE001
        alive, database = [], UNHEALTHY
    latest = max((a.last_heartbeat for a in alive), default=None)
    app_status = HEALTHY if alive else UNHEALTHY
    beat = latest.isoformat() if latest is not None else None
    return {
        "metadatabase": {"status": database},
        "scheduler": {"status": app_status, "latest_scheduler_heartbeat": beat},
        "triggerer": {"status": app_status, "latest_triggerer_heartbeat": beat},
        "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
    }


async def health(request: Request) -> Response:
    """Health of the metastore and of the apps (Airflow 3's HealthInfoResponse)."""
    return JSONResponse(await run_in_threadpool(_health, request.app.state.broker))


async def version() -> Response:
    """Airflow 3's VersionInfo: the Airflow version followed, riir's version as git_version."""
    import riir_airflow

    return JSONResponse(
        {"version": riir_airflow.__version__, "git_version": f"riir-{riir_airflow.riir_version}"}
    )


def public_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/auth/token", create_token, methods=["POST"], status_code=201, tags=["Login"])
    router.add_api_route("/auth/token", token_without_credentials, methods=["GET"], tags=["Login"])
    router.add_api_route("/api/v2/monitor/health", health, methods=["GET"], tags=["Monitor"])
    router.add_api_route("/api/v2/version", version, methods=["GET"], tags=["Version"])
    return router
