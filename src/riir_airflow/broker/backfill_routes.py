"""The DAG app's one backfill call: which backfills of its DAG are active, with their runs.

Route (under /internal/v1, bodies in `riir_airflow.wire.backfills`), for an app token that covers
the DAG (or an operator): `POST /backfills/active` -> the DAG's backfills not completed yet,
oldest first, each with its run ids in backfill order. Asking also settles the DAG's backfills
(a backfill none of whose runs is queued or running is completed, see `metastore.backfills`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import ApiError, BrokerContext
from riir_airflow.metastore.backfills import BackfillTable
from riir_airflow.wire.backfills import ActiveBackfill, ActiveBackfills, ActiveBackfillsRequest

__all__ = ["backfill_router"]


def active(ctx: BrokerContext, principal: Principal, req: ActiveBackfillsRequest) -> ActiveBackfills:
    if not principal.may_touch(req.dag_id):
        raise ApiError(403, "Forbidden", f"this token does not cover dag {req.dag_id!r}")
    rows = BackfillTable(ctx.store.db).active(req.dag_id, ctx.now())
    return ActiveBackfills([
        ActiveBackfill(id=row.id, dag_id=row.dag_id, is_paused=row.is_paused, max_active_runs=row.max_active_runs,
                       run_ids=run_ids)
        for row, run_ids in rows
    ])  # fmt: skip


def backfill_router() -> APIRouter:
    from riir_airflow.broker.app_routes import serve_message

    router = APIRouter(prefix="/backfills", tags=["internal: backfills"])  # inside app_router's /internal/v1

    async def active_route(request: Request) -> Response:
        return await serve_message(request, active, ActiveBackfillsRequest)

    router.add_api_route("/active", active_route, methods=["POST"])
    return router
