"""`/api/v2/importErrors`: DAG files whose app could not import them (one row per file, replaced
by the newest report, removed when the file's DAGs register)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api.convert import import_error_response
from riir_airflow.broker.api.deps import READ, PageDep, context, given, not_found, page_rows, queries, require
from riir_airflow.broker.api.schemas_ti import ImportErrorCollectionResponse, ImportErrorResponse
from riir_airflow.broker.auth import Principal

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
    conds = given(("filename", "eq", filename), ("filename", "pattern", filename_pattern),
                  ("filename", "prefix", filename_prefix_pattern))  # fmt: skip
    allowed = ("id", "import_error_id", "timestamp", "filename")
    rows, total = page_rows(context(request), "import_error", conds, page, order_by, allowed, ["id"])
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
