"""The public REST API, `/api/v2`, with Airflow 3's paths, schemas, status codes and error bodies.

`api_router()` is everything below, mounted by `broker.app.create_app`. Each module holds one
endpoint group (dags, dag_runs, task_instances, logs, xcoms, dag_versions, dag_stats,
event_logs, import_errors, tasks); `deps` the auth, roles, pagination and error conventions they
share; `schemas`/`schemas_ti` the request and response models (they make `/openapi.json`);
`convert` the rows -> models mapping; `actions` the changes an app must hear about (write the
metastore, queue a command, audit, in one transaction). The SQL of the listings lives in
`riir_airflow.metastore.api_queries`.
"""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Every `/api/v2` route of this package."""
    from riir_airflow.broker.api.dag_runs import dag_runs_router
    from riir_airflow.broker.api.dag_stats import dag_stats_router
    from riir_airflow.broker.api.dag_versions import dag_versions_router
    from riir_airflow.broker.api.dags import dags_router
    from riir_airflow.broker.api.event_logs import event_logs_router
    from riir_airflow.broker.api.import_errors import import_errors_router
    from riir_airflow.broker.api.logs import logs_router
    from riir_airflow.broker.api.task_instances import task_instances_router
    from riir_airflow.broker.api.tasks import tasks_router
    from riir_airflow.broker.api.xcoms import xcoms_router

    router = APIRouter()
    # Logs and XComs first: their paths (`.../{task_id}/logs/...`, `.../{task_id}/xcomEntries`)
    # would otherwise match the task-instance routes' `.../{task_id}/{map_index}`.
    routers = (dags_router, dag_runs_router, logs_router, xcoms_router, task_instances_router, dag_versions_router,
               dag_stats_router, event_logs_router, import_errors_router, tasks_router)  # fmt: skip
    for make in routers:
        router.include_router(make())
    return router
