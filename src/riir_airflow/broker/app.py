"""`create_app`: the broker as one ASGI application.

Contract:
- `create_app(store, registry, settings, clock=None, reaper=True)` returns a FastAPI app serving
  the internal app API (`/internal/v1/...`: store operations, batch, registration, heartbeat,
  leases, commands, import errors), login (`/auth/token`), the public REST API (`/api/v2/...`)
  and the web UI's static files (`/ui/`, `ui.ui_router`; `/` redirects there).
  Every request first passes the size and rate limits (`limits.LimitsMiddleware`).
- The app owns no globals: its `BrokerContext` is `app.state.broker`, so tests build brokers
  on throwaway metastores with a `FakeClock` side by side.
- While the app runs (ASGI lifespan) a background task reaps silent apps every
  `reap_interval_seconds` (`reaper.reap`), unless `reaper=False` (tests then call `reap`).
  The store is closed when the app shuts down.

Logs (`configure_logging`, used by `riir-airflow broker`): one JSON object per line on stderr,
`{"ts", "level", "logger", "msg", ...}`, where every `key=value` pair of the message (app_id,
dag_id, run_id, ...) is also lifted into the object as its own field (`jq 'select(.dag_id ==
"x")'` works) and an exception adds `exc`; uvicorn's loggers go through the same formatter.

Why FastAPI: it is the ASGI framework DESIGN.md names for the broker, gives the OpenAPI spec of
the public API for free, and the future `/api/v2` REST API and UI mount on the same app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from riir_airflow.broker.api import api_router
from riir_airflow.broker.app_routes import app_router
from riir_airflow.broker.auth import Authenticator
from riir_airflow.broker.context import BrokerContext
from riir_airflow.broker.limits import LimitsMiddleware
from riir_airflow.broker.public_routes import public_router
from riir_airflow.broker.reaper import reap_forever
from riir_airflow.broker.registry import Registry
from riir_airflow.broker.settings import BrokerSettings
from riir_airflow.broker.store_routes import StoreFastPath, store_router
from riir_airflow.broker.ui import ui_router
from riir_airflow.jsonlog import JsonFormatter, configure_json_logging

__all__ = ["JsonFormatter", "configure_logging", "create_app"]

log = logging.getLogger("riir_airflow.broker")


def create_app(
    store: Any,
    registry: Registry,
    settings: BrokerSettings | None = None,
    *,
    clock: Any = None,
    reaper: bool = True,
) -> FastAPI:
    """The broker ASGI app over `store` (a Store) and `registry`; see the module docstring."""
    import riir_airflow
    from riir_airflow.runtime.clock import SystemClock

    settings = settings or BrokerSettings()
    clock = clock or SystemClock()
    ctx = BrokerContext(
        store=store,
        registry=registry,
        settings=settings,
        clock=clock,
        auth=Authenticator(registry, settings, clock),
        log=log,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(reap_forever(ctx)) if reaper else None
        log.info(
            "broker started heartbeat_timeout=%s lease_ttl=%s max_request_bytes=%s rate_limit=%s",
            settings.app_heartbeat_timeout, settings.lease_ttl, settings.max_request_bytes,
            settings.app_rate_limit,
        )  # fmt: skip
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            close = getattr(store, "close", None)
            if close is not None:
                close()
            log.info("broker stopped")

    app = FastAPI(
        title="riir-airflow broker",
        version=riir_airflow.riir_version,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.broker = ctx
    app.include_router(public_router())
    app.include_router(store_router())
    app.include_router(app_router())
    app.include_router(api_router())
    app.include_router(ui_router())  # the web UI's static files at /ui/ (no data, no auth)
    app.add_middleware(StoreFastPath)  # inside the limits: store calls skip FastAPI's routing
    app.add_middleware(
        LimitsMiddleware,
        max_request_bytes=settings.max_request_bytes,
        max_register_bytes=settings.max_register_bytes,
        rate=settings.app_rate_limit,
        burst=settings.app_rate_burst,
    )
    return app


def configure_logging(level: str | int = "INFO") -> None:
    """Send every log record (root, uvicorn, riir_airflow) to stderr as JSON lines."""
    configure_json_logging(level)
