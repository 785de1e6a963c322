"""`/api/v2/dags/{dag_id}/dagVersions` and `/api/v2/dagSources/{dag_id}`: the DAG's code versions
(one per registration whose code or structure changed) and the source of one of them.

A version's source is what the app sent when registering it; an app that sends none leaves
`content` null. `Accept: text/plain` answers the bare source, as Airflow does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from riir_airflow.broker.api.convert import version_response
from riir_airflow.broker.api.dag_runs import require_dag
from riir_airflow.broker.api.deps import READ, PageDep, context, not_found, page_rows, queries, require
from riir_airflow.broker.api.schemas import DagVersionResponse
from riir_airflow.broker.api.schemas_ti import DAGSourceResponse, DAGVersionCollectionResponse
from riir_airflow.broker.auth import Principal
from riir_airflow.metastore.api_queries import Condition

__all__ = ["dag_versions_router"]

_Reader = Annotated[Principal, Depends(require(READ))]


def get_dag_versions(
    request: Request,
    dag_id: str,
    page: PageDep,
    _: _Reader,
    version_number: int | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> DAGVersionCollectionResponse:
    """List a DAG's versions (`~`: every DAG's)."""
    ctx = context(request)
    require_dag(ctx, dag_id)
    conds: list[Condition] = [] if dag_id == "~" else [("dag_id", "eq", dag_id)]
    if version_number is not None:
        conds.append(("version_number", "eq", version_number))
    allowed = ("id", "version_number", "created_at", "dag_id")
    rows, total = page_rows(ctx, "dag_version", conds, page, order_by, allowed, ["id"])
    return DAGVersionCollectionResponse(
        dag_versions=[version_response(row) for row in rows], total_entries=total
    )


def get_dag_version(request: Request, dag_id: str, version_number: int, _: _Reader) -> DagVersionResponse:
    """One version of a DAG."""
    ctx = context(request)
    row = queries(ctx).one(
        "dag_version", [("dag_id", "eq", dag_id), ("version_number", "eq", version_number)]
    )
    if row is None:
        raise not_found(
            f"The DagVersion with dag_id: `{dag_id}` and version_number: `{version_number}` was not found"
        )
    return version_response(row)  # type: ignore[return-value]


def get_dag_source(
    request: Request,
    dag_id: str,
    _: _Reader,
    version_number: int | None = None,
    accept: Annotated[str, Header()] = "*/*",
) -> Response | DAGSourceResponse:
    """The source of a DAG's newest (or given) version."""
    ctx = context(request)
    row = queries(ctx).dag_version_source(dag_id, version_number)
    if row is None:
        raise not_found(
            f"The source code of Dag `{dag_id}`, version_number: `{version_number}` was not found"
        )
    if accept.startswith("text/plain"):
        return Response(row["source_code"] or "", media_type="text/plain")
    return DAGSourceResponse(
        content=row["source_code"],
        dag_id=dag_id,
        version_number=row["version_number"],
        dag_display_name=dag_id,
    )


def dag_versions_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2", tags=["DagVersion"])
    router.add_api_route(
        "/dags/{dag_id}/dagVersions", get_dag_versions, methods=["GET"], operation_id="get_dag_versions"
    )
    router.add_api_route("/dags/{dag_id}/dagVersions/{version_number}", get_dag_version, methods=["GET"],
                         operation_id="get_dag_version")  # fmt: skip
    router.add_api_route("/dagSources/{dag_id}", get_dag_source, methods=["GET"], operation_id="get_dag_source",
                         response_model=DAGSourceResponse, tags=["DagSource"])  # fmt: skip
    return router
