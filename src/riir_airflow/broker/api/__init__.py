"""The public REST API, `/api/v2`, with Airflow 3's paths, schemas, status codes and error bodies.

`api_router()` is everything below, mounted by `broker.app.create_app`. Each module holds one
endpoint group (dags, dag_runs, task_instances, logs, xcoms, dag_versions, dag_stats,
event_logs, import_errors, tasks, variables, connections, pools, assets, backfills, config, plugins: also
providers and dagWarnings); `deps` the auth, roles, pagination and error conventions they
share; `bulk` the bulk PATCH of variables, connections and pools; `schemas`/`schemas_ti`/
`schemas_admin`/`schemas_assets` the request and response models (they make `/openapi.json`,
where every route also documents the `{"detail"}` error answers it may give: 400, 401, 403,
404, and 409 for writes, next to FastAPI's 422);
`convert` the rows -> models mapping; `actions` the changes an app must hear about (write the
metastore, queue a command, audit, in one transaction). The SQL of the listings lives in
`riir_airflow.metastore.api_queries`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from pydantic import BaseModel

__all__ = ["HTTPExceptionResponse", "api_router"]


class HTTPExceptionResponse(BaseModel):
    """An error answer, as Airflow's: `detail` is a message (or an object for some refusals)."""

    detail: str | dict[str, Any]


_ERRORS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}


def _document_errors(route: APIRoute) -> None:
    for code, text in _ERRORS.items():
        if code == 409 and route.methods <= {"GET", "HEAD"}:
            continue
        route.responses.setdefault(code, {"model": HTTPExceptionResponse, "description": text})


def api_router() -> APIRouter:
    """Every `/api/v2` route of this package."""
    from riir_airflow.broker.api.assets import assets_router
    from riir_airflow.broker.api.backfills import backfills_router
    from riir_airflow.broker.api.config import config_router
    from riir_airflow.broker.api.connections import connections_router
    from riir_airflow.broker.api.dag_runs import dag_runs_router
    from riir_airflow.broker.api.dag_stats import dag_stats_router
    from riir_airflow.broker.api.dag_versions import dag_versions_router
    from riir_airflow.broker.api.dags import dags_router
    from riir_airflow.broker.api.event_logs import event_logs_router
    from riir_airflow.broker.api.import_errors import import_errors_router
    from riir_airflow.broker.api.logs import logs_router
    from riir_airflow.broker.api.plugins import plugins_router
    from riir_airflow.broker.api.pools import pools_router
    from riir_airflow.broker.api.task_instances import task_instances_router
    from riir_airflow.broker.api.tasks import tasks_router
    from riir_airflow.broker.api.variables import variables_router
    from riir_airflow.broker.api.xcoms import xcoms_router

    router = APIRouter()
    # Logs and XComs first: their paths (`.../{task_id}/logs/...`, `.../{task_id}/xcomEntries`)
    # would otherwise match the task-instance routes' `.../{task_id}/{map_index}`.
    routers = (dags_router, dag_runs_router, logs_router, xcoms_router, task_instances_router, dag_versions_router,
               dag_stats_router, event_logs_router, import_errors_router, tasks_router, variables_router,
               connections_router, pools_router, assets_router, config_router, plugins_router, backfills_router)  # fmt: skip
    for make in routers:
        group = make()
        for route in group.routes:
            if isinstance(route, APIRoute):
                _document_errors(route)
        router.include_router(group)
    return router
