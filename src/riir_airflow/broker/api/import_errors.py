"""`/api/v2/importErrors`: DAG files whose app could not import them (one row per file, replaced
by the newest report, removed when the file's DAGs register)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api.convert import import_error_response
from riir_airflow.broker.api.deps import READ, PageDep, context, not_found, parse_order, queries, require
from riir_airflow.broker.api.schemas_ti import ImportErrorCollectionResponse, ImportErrorResponse
from riir_airflow.broker.auth import Principal
from riir_airflow.metastore.api_queries import Condition

__all__ = ["import_errors_router"]

_Reader = Annotated[Principal, Depends(require(READ))]


def get_import_errors(
    request: Request,
    page: PageDep,
    _: _Reader,
    filename: str | None = None,
    filename_pattern: str | None = None,
    filename_prefix_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> ImportErrorCollectionResponse:
    """List import errors."""
    conds: list[Condition] = []
    for op, value in (("eq", filename), ("pattern", filename_pattern), ("prefix", filename_prefix_pattern)):
        if value is not None:
            conds.append(("filename", op, value))
    order = parse_order(order_by, ("id", "import_error_id", "timestamp", "filename"), ["id"])
    rows, total = queries(context(request)).page("import_error", conds, order, page.limit, page.offset)
    return ImportErrorCollectionResponse(
        import_errors=[import_error_response(r) for r in rows], total_entries=total
    )


def get_import_error(request: Request, import_error_id: int, _: _Reader) -> ImportErrorResponse:
    """One import error."""
    row = queries(context(request)).one("import_error", [("id", "eq", import_error_id)])
    if row is None:
        raise not_found(f"The ImportError with import_error_id: `{import_error_id}` was not found")
    return import_error_response(row)


def import_errors_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2", tags=["Import Error"])
    router.add_api_route(
        "/importErrors", get_import_errors, methods=["GET"], operation_id="get_import_errors"
    )
    router.add_api_route("/importErrors/{import_error_id}", get_import_error, methods=["GET"],
                         operation_id="get_import_error")  # fmt: skip
    return router
