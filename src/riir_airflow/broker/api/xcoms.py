"""`/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries`: list (`~` for
any of the three ids), get, create, update, delete.

Values are kept as riir's XCom JSON (`sdk.serde`), so what the API writes is what a task's
`xcom_pull` reads. Reading answers the value as plain JSON (tuples as lists, datetimes as ISO
text); `stringify=true` answers `str()` of the value; `deserialize` is accepted and changes
nothing (riir keeps no pickled or custom-serialized values).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from riir_airflow.broker.api.convert import xcom_response
from riir_airflow.broker.api.dag_runs import require_dag, require_run
from riir_airflow.broker.api.deps import (
    EDIT,
    READ,
    PageDep,
    audit,
    conflict,
    context,
    date_ranges,
    given,
    not_found,
    page_rows,
    queries,
    require,
)
from riir_airflow.broker.api.schemas_ti import (
    XComCollectionResponse,
    XComCreateBody,
    XComResponseNative,
    XComResponseString,
    XComUpdateBody,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.metastore.api_queries import Condition
from riir_airflow.sdk.serde import deserialize_value, serialize_value, to_plain_json
from riir_airflow.store.records import XComRecord

__all__ = ["xcoms_router"]

XCOM_ORDER = ("dag_id", "task_id", "run_id", "dag_run_id", "map_index", "key", "timestamp", "logical_date",
              "run_after")  # fmt: skip
_Reader = Annotated[Principal, Depends(require(READ))]
_Editor = Annotated[Principal, Depends(require(EDIT))]


def get_xcom_entries(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    page: PageDep,
    _: _Reader,
    dates: Annotated[list[Condition], Depends(date_ranges("logical_date", "run_after"))],
    xcom_key: str | None = None,
    map_index: int | None = None,
    xcom_key_pattern: str | None = None,
    run_id_pattern: str | None = None,
    task_id_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> XComCollectionResponse:
    """List XCom entries (without values)."""
    ctx = context(request)
    require_dag(ctx, dag_id)
    conds: list[Condition] = list(dates)
    for name, value in (("dag_id", dag_id), ("run_id", dag_run_id), ("task_id", task_id)):
        if value != "~":
            conds.append((name, "eq", value))
    conds += given(("key", "eq", xcom_key), ("map_index", "eq", map_index), ("key", "pattern", xcom_key_pattern),
                   ("run_id", "pattern", run_id_pattern), ("task_id", "pattern", task_id_pattern))  # fmt: skip
    default = ["dag_id", "task_id", "run_id", "map_index", "key"]
    rows, total = page_rows(ctx, "xcom", conds, page, order_by, XCOM_ORDER, default)
    return XComCollectionResponse(xcom_entries=[xcom_response(row) for row in rows], total_entries=total)


def _xcom_row(ctx: BrokerContext, dag_id: str, run_id: str, task_id: str, key: str, map_index: int) -> object:
    conds = [("dag_id", "eq", dag_id), ("run_id", "eq", run_id), ("task_id", "eq", task_id), ("key", "eq", key),
             ("map_index", "eq", map_index)]  # fmt: skip
    return queries(ctx).one("xcom", conds)


def _missing(dag_id: str, run_id: str, task_id: str, key: str, map_index: int) -> Exception:
    return not_found(f"XCom entry with key: `{key}` not found for dag_id: `{dag_id}`, run_id: `{run_id}`, "
                     f"task_id: `{task_id}`, map_index: `{map_index}`")  # fmt: skip


def get_xcom_entry(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    xcom_key: str,
    _: _Reader,
    map_index: Annotated[int, Query(ge=-1)] = -1,
    deserialize: bool = False,
    stringify: bool = False,
) -> XComResponseNative | XComResponseString:
    """One XCom entry with its value."""
    ctx = context(request)
    row = _xcom_row(ctx, dag_id, dag_run_id, task_id, xcom_key, map_index)
    if row is None:
        raise _missing(dag_id, dag_run_id, task_id, xcom_key, map_index)
    value = deserialize_value(row["value"])  # type: ignore[index]
    if stringify:
        return xcom_response(row, XComResponseString, value=str(value))  # type: ignore[arg-type,return-value]
    return xcom_response(row, XComResponseNative, value=to_plain_json(value))  # type: ignore[arg-type,return-value]


def _write(ctx: BrokerContext, principal: Principal, event: str, dag_id: str, run_id: str, task_id: str, key: str,
           map_index: int, value: object) -> XComResponseNative:  # fmt: skip
    with ctx.registry.transaction():
        ctx.store.set_xcom(XComRecord(dag_id=dag_id, run_id=run_id, task_id=task_id, key=key,
                                      value=serialize_value(value), map_index=map_index, timestamp=ctx.now()))  # fmt: skip
        audit(ctx, principal, event, dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index,
              extra={"key": key})  # fmt: skip
    row = _xcom_row(ctx, dag_id, run_id, task_id, key, map_index)
    return xcom_response(row, XComResponseNative, value=to_plain_json(value))  # type: ignore[arg-type,return-value]


def create_xcom_entry(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, body: XComCreateBody, principal: _Editor
) -> XComResponseNative:
    """Create an XCom entry (409 if the key exists for that task instance)."""
    ctx = context(request)
    require_dag(ctx, dag_id)
    require_run(ctx, dag_id, dag_run_id)
    if _xcom_row(ctx, dag_id, dag_run_id, task_id, body.key, body.map_index) is not None:
        raise conflict(f"The XCom with key: `{body.key}` with mentioned task instance already exists.")
    return _write(ctx, principal, "create_xcom_entry", dag_id, dag_run_id, task_id, body.key, body.map_index,
                  body.value)  # fmt: skip


def update_xcom_entry(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, body: XComUpdateBody,
    principal: _Editor,
) -> XComResponseNative:  # fmt: skip
    """Replace the value of an existing XCom entry."""
    ctx = context(request)
    if _xcom_row(ctx, dag_id, dag_run_id, task_id, xcom_key, body.map_index) is None:
        raise _missing(dag_id, dag_run_id, task_id, xcom_key, body.map_index)
    return _write(ctx, principal, "update_xcom_entry", dag_id, dag_run_id, task_id, xcom_key, body.map_index,
                  body.value)  # fmt: skip


def delete_xcom_entry(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, xcom_key: str, principal: _Editor,
    map_index: Annotated[int, Query(ge=-1)] = -1,
) -> Response:  # fmt: skip
    """Delete one XCom entry."""
    ctx = context(request)
    if _xcom_row(ctx, dag_id, dag_run_id, task_id, xcom_key, map_index) is None:
        raise _missing(dag_id, dag_run_id, task_id, xcom_key, map_index)
    with ctx.registry.transaction():
        queries(ctx).delete_xcom(dag_id, dag_run_id, task_id, map_index, xcom_key)
        audit(ctx, principal, "delete_xcom_entry", dag_id=dag_id, run_id=dag_run_id, task_id=task_id,
              map_index=map_index, extra={"key": xcom_key})  # fmt: skip
    return Response(status_code=204)


def xcoms_router() -> APIRouter:
    router = APIRouter(
        prefix="/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}", tags=["XCom"]
    )
    add = router.add_api_route
    add("/xcomEntries", get_xcom_entries, methods=["GET"], operation_id="get_xcom_entries")
    add(
        "/xcomEntries", create_xcom_entry, methods=["POST"], status_code=201, operation_id="create_xcom_entry"
    )
    add("/xcomEntries/{xcom_key}", get_xcom_entry, methods=["GET"], operation_id="get_xcom_entry")
    add("/xcomEntries/{xcom_key}", update_xcom_entry, methods=["PATCH"], operation_id="update_xcom_entry")
    add("/xcomEntries/{xcom_key}", delete_xcom_entry, methods=["DELETE"], status_code=204,
        operation_id="delete_xcom_entry", response_class=Response)  # fmt: skip
    return router
