"""`/api/v2/eventLogs`: the audit trail (every change made through the API writes a row; the
event is the operation's name, e.g. `trigger_dag_run`, `patch_dag`, the owner the username)."""

from __future__ import annotations

import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api.convert import event_log_response
from riir_airflow.broker.api.deps import READ, PageDep, context, given, not_found, page_rows, queries, require
from riir_airflow.broker.api.schemas_ti import EventLogCollectionResponse, EventLogResponse
from riir_airflow.broker.auth import Principal

__all__ = ["event_logs_router"]

EVENT_ORDER = ("id", "event_log_id", "dttm", "when", "dag_id", "task_id", "run_id", "event", "owner", "map_index",
               "extra")  # fmt: skip
_Reader = Annotated[Principal, Depends(require(READ))]


def get_event_logs(
    request: Request,
    page: PageDep,
    _: _Reader,
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    map_index: int | None = None,
    owner: str | None = None,
    event: str | None = None,
    excluded_events: Annotated[list[str] | None, Query()] = None,
    included_events: Annotated[list[str] | None, Query()] = None,
    before: datetime.datetime | None = None,
    after: datetime.datetime | None = None,
    dag_id_pattern: str | None = None,
    task_id_pattern: str | None = None,
    run_id_pattern: str | None = None,
    owner_pattern: str | None = None,
    event_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> EventLogCollectionResponse:
    """List event-log rows."""
    conds = given(
        ("dag_id", "eq", dag_id), ("task_id", "eq", task_id), ("run_id", "eq", run_id), ("map_index", "eq", map_index),
        ("owner", "eq", owner), ("event", "eq", event), ("dag_id", "pattern", dag_id_pattern),
        ("task_id", "pattern", task_id_pattern), ("run_id", "pattern", run_id_pattern),
        ("owner", "pattern", owner_pattern), ("event", "pattern", event_pattern),
    )  # fmt: skip
    if included_events:
        conds.append(("event", "in", included_events))
    if excluded_events:
        conds.append(("event", "not_in", excluded_events))
    conds += given(("dttm", "lt", before), ("dttm", "gt", after))
    rows, total = page_rows(context(request), "event_log", conds, page, order_by, EVENT_ORDER, ["id"])
    return EventLogCollectionResponse(
        event_logs=[event_log_response(row) for row in rows], total_entries=total
    )


def get_event_log(request: Request, event_log_id: int, _: _Reader) -> EventLogResponse:
    """One event-log row."""
    row = queries(context(request)).one("event_log", [("id", "eq", event_log_id)])
    if row is None:
        raise not_found(f"The Event Log with id: `{event_log_id}` not found")
    return event_log_response(row)


def event_logs_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2", tags=["Event Log"])
    router.add_api_route("/eventLogs", get_event_logs, methods=["GET"], operation_id="get_event_logs")
    router.add_api_route(
        "/eventLogs/{event_log_id}", get_event_log, methods=["GET"], operation_id="get_event_log"
    )
    return router
