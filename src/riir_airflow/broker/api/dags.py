"""`/api/v2/dags` and `/api/v2/dagTags`: list, get, details, pause/unpause one or many, delete.

Airflow 3's behaviour kept: `exclude_stale` (default true; Airflow 2's `only_active` is accepted
as its alias), `paused`, `tags` with `tags_match_mode` any/all, `owners`, `*_pattern` and
`*_prefix_pattern`, `has_import_errors`, `order_by` (dag_id by default). PATCH changes only
`is_paused` (`update_mask` naming anything else -> 400). DELETE retires the DAG's metadata
(runs, task instances, XComs, logs, versions) and needs the op role; the audit trail stays.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from riir_airflow.broker.api import actions
from riir_airflow.broker.api.convert import dag_fields, dag_response, version_response
from riir_airflow.broker.api.deps import (
    EDIT,
    OPERATE,
    READ,
    PageDep,
    audit,
    bad_request,
    context,
    not_found,
    page_rows,
    parse_order,
    queries,
    require,
)
from riir_airflow.broker.api.schemas import (
    DAGCollectionResponse,
    DAGDetailsResponse,
    DAGPatchBody,
    DAGResponse,
    DAGTagCollectionResponse,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.registered_params import params_response
from riir_airflow.metastore.api_queries import Condition

__all__ = ["dags_router"]

DAG_ORDER = ("dag_id", "dag_display_name", "next_dagrun", "last_parsed_time", "is_paused")


def dag_not_found(dag_id: str) -> Exception:
    return not_found(f"The Dag with ID: `{dag_id}` was not found")


class DagFilters:
    """The query parameters that select DAGs (shared by GET and PATCH /dags)."""

    def __init__(
        self,
        tags: Annotated[list[str] | None, Query()] = None,
        tags_match_mode: Literal["any", "all"] | None = None,
        owners: Annotated[list[str] | None, Query()] = None,
        dag_id_pattern: str | None = None,
        dag_id_prefix_pattern: str | None = None,
        dag_display_name_pattern: str | None = None,
        dag_display_name_prefix_pattern: str | None = None,
        exclude_stale: bool = True,
        only_active: bool | None = None,
        paused: bool | None = None,
        has_import_errors: bool | None = None,
    ) -> None:
        conds: list[Condition] = []
        if tags:
            if tags_match_mode == "all":
                conds += [("tags", "json_has", tag) for tag in tags]
            else:
                conds.append(("tags", "json_has_any", tags))
        if owners:
            conds.append(("owners", "json_has_any", owners))
        for name, value in (("dag_id", dag_id_pattern), ("dag_display_name", dag_display_name_pattern)):
            if value is not None:
                conds.append((name, "pattern", value))
        for name, value in (
            ("dag_id", dag_id_prefix_pattern),
            ("dag_display_name", dag_display_name_prefix_pattern),
        ):
            if value is not None:
                conds.append((name, "prefix", value))
        if exclude_stale if only_active is None else only_active:
            conds.append(("is_stale", "eq", False))
        if paused is not None:
            conds.append(("is_paused", "eq", paused))
        if has_import_errors is not None:
            conds.append(("has_import_errors", "eq", has_import_errors))
        self.conditions = conds


Filters = Annotated[DagFilters, Depends()]


def get_dags(
    request: Request,
    page: PageDep,
    filters: Filters,
    _: Annotated[Principal, Depends(require(READ))],
    order_by: Annotated[list[str] | None, Query()] = None,
) -> DAGCollectionResponse:
    """List DAGs."""
    rows, total = page_rows(
        context(request), "dag", filters.conditions, page, order_by, DAG_ORDER, ["dag_id"]
    )
    return DAGCollectionResponse(dags=[dag_response(row) for row in rows], total_entries=total)


def _dag_row(request: Request, dag_id: str) -> object:
    row = queries(context(request)).one("dag", [("dag_id", "eq", dag_id)])
    if row is None:
        raise dag_not_found(dag_id)
    return row


def get_dag(request: Request, dag_id: str, _: Annotated[Principal, Depends(require(READ))]) -> DAGResponse:
    """Get one DAG."""
    return dag_response(_dag_row(request, dag_id))  # type: ignore[arg-type]


def get_dag_details(
    request: Request, dag_id: str, _: Annotated[Principal, Depends(require(READ))]
) -> DAGDetailsResponse:
    """Get one DAG with what its newest registration says (dates, catchup, params, newest
    version)."""
    ctx = context(request)
    row = _dag_row(request, dag_id)
    serialized = ctx.registry.serialized_dag(dag_id)
    q = queries(ctx)
    versions, _total = q.page("dag_version", [("dag_id", "eq", dag_id)], [("version_number", True)], 1)
    _runs, active = q.page(
        "dag_run", [("dag_id", "eq", dag_id), ("state", "in", ["queued", "running"])], (), 0
    )
    fields = dag_fields(row)  # type: ignore[arg-type]
    return DAGDetailsResponse(
        **fields,
        catchup=bool(serialized.catchup) if serialized else False,
        start_date=serialized.start_date if serialized else None,
        end_date=serialized.end_date if serialized else None,
        is_paused_upon_creation=serialized.is_paused_upon_creation if serialized else None,
        last_parsed=fields["last_parsed_time"],
        concurrency=fields["max_active_tasks"],
        active_runs_count=active,
        latest_dag_version=version_response(versions[0]) if versions else None,
        timezone="UTC",
        params=params_response(serialized),
        owner_links={},
    )


def _check_mask(update_mask: list[str] | None) -> None:
    if update_mask and any(field != "is_paused" for field in update_mask):
        raise bad_request("Only `is_paused` field can be updated through the REST API")


def patch_dag(
    request: Request,
    dag_id: str,
    body: DAGPatchBody,
    principal: Annotated[Principal, Depends(require(EDIT))],
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> DAGResponse:
    """Pause or unpause one DAG (its app is told at once)."""
    _check_mask(update_mask)
    _dag_row(request, dag_id)
    actions.set_paused(context(request), principal, [dag_id], body.is_paused)
    return dag_response(_dag_row(request, dag_id))  # type: ignore[arg-type]


def patch_dags(
    request: Request,
    body: DAGPatchBody,
    page: PageDep,
    filters: Filters,
    principal: Annotated[Principal, Depends(require(EDIT))],
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> DAGCollectionResponse:
    """Pause or unpause every DAG the filters select (one page of them)."""
    _check_mask(update_mask)
    ctx = context(request)
    q = queries(ctx)
    rows, total = q.page("dag", filters.conditions, [("dag_id", False)], page.limit, page.offset)
    dag_ids = [row["dag_id"] for row in rows]
    if dag_ids:
        actions.set_paused(ctx, principal, dag_ids, body.is_paused)
    rows, _ = q.page("dag", [("dag_id", "in", dag_ids)], [("dag_id", False)], len(dag_ids))
    return DAGCollectionResponse(dags=[dag_response(row) for row in rows], total_entries=total)


def delete_dag(
    request: Request, dag_id: str, principal: Annotated[Principal, Depends(require(OPERATE))]
) -> Response:
    """Delete a DAG's metadata (its app, if still running, registers it again)."""
    ctx = context(request)
    _dag_row(request, dag_id)
    with ctx.registry.transaction():
        runs = ctx.registry.retire_dag(dag_id)  # type: ignore[attr-defined]
        audit(ctx, principal, "delete_dag", dag_id=dag_id, extra={"runs_deleted": runs})
    return Response(status_code=200, content=b"null", media_type="application/json")


def get_dag_tags(
    request: Request,
    page: PageDep,
    _: Annotated[Principal, Depends(require(READ))],
    order_by: Annotated[list[str] | None, Query()] = None,
    tag_name_pattern: str | None = None,
    tag_name_prefix_pattern: str | None = None,
) -> DAGTagCollectionResponse:
    """The distinct tags of the registered DAGs."""
    order = parse_order(order_by, ("name",), ["name"])
    names = sorted({tag for tag, _dag in queries(context(request)).dag_tags()}, reverse=order[0][1])
    if tag_name_pattern and tag_name_pattern != "~":
        import fnmatch

        terms = [term.lower().replace("%", "*").replace("_", "?") for term in tag_name_pattern.split("|")]
        names = [n for n in names if any(fnmatch.fnmatchcase(n.lower(), f"*{term}*") for term in terms)]
    if tag_name_prefix_pattern:
        names = [n for n in names if any(n.startswith(p) for p in tag_name_prefix_pattern.split("|"))]
    return DAGTagCollectionResponse(
        tags=names[page.offset : page.offset + page.limit], total_entries=len(names)
    )


def dags_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2", tags=["DAG"])
    router.add_api_route("/dags", get_dags, methods=["GET"], operation_id="get_dags")
    router.add_api_route("/dags", patch_dags, methods=["PATCH"], operation_id="patch_dags")
    router.add_api_route("/dags/{dag_id}", get_dag, methods=["GET"], operation_id="get_dag")
    router.add_api_route("/dags/{dag_id}", patch_dag, methods=["PATCH"], operation_id="patch_dag")
    router.add_api_route("/dags/{dag_id}", delete_dag, methods=["DELETE"], operation_id="delete_dag")
    router.add_api_route(
        "/dags/{dag_id}/details", get_dag_details, methods=["GET"], operation_id="get_dag_details"
    )
    router.add_api_route("/dagTags", get_dag_tags, methods=["GET"], operation_id="get_dag_tags")
    return router
