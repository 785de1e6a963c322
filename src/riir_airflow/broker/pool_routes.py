"""Pool slots for apps: a try of a task in a pool runs only once its slots are granted.

Routes (under /internal/v1/pools, bodies in `riir_airflow.wire.pools`), for an app token that
covers the DAG (or an operator): `POST /acquire` grants the slots if the pool has them free
(idempotent for the same task instance; 404 for an unknown pool), `POST /release` gives them
back. Pools are shared by every app, which is why the broker keeps them.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import ApiError, BrokerContext
from riir_airflow.wire.pools import PoolSlots, PoolSlotsAnswer

__all__ = ["pool_router"]


def _check(principal: Principal, req: PoolSlots) -> None:
    if not principal.may_touch(req.dag_id):
        raise ApiError(403, "Forbidden", f"this token does not cover dag {req.dag_id!r}")


def acquire(ctx: BrokerContext, principal: Principal, req: PoolSlots) -> PoolSlotsAnswer:
    _check(principal, req)
    granted = ctx.registry.acquire_pool_slots(
        req.dag_id, req.run_id, req.task_id, req.map_index, pool=req.pool, slots=req.slots, now=ctx.now()
    )
    return PoolSlotsAnswer(granted)


def release(ctx: BrokerContext, principal: Principal, req: PoolSlots) -> PoolSlotsAnswer:
    _check(principal, req)
    return PoolSlotsAnswer(ctx.registry.release_pool_slots(req.dag_id, req.run_id, req.task_id, req.map_index))


def pool_router() -> APIRouter:
    from riir_airflow.broker.app_routes import serve_message

    router = APIRouter(prefix="/pools", tags=["internal: pools"])  # inside app_router's /internal/v1

    async def acquire_route(request: Request) -> Response:
        return await serve_message(request, acquire, PoolSlots)

    async def release_route(request: Request) -> Response:
        return await serve_message(request, release, PoolSlots)

    router.add_api_route("/acquire", acquire_route, methods=["POST"])
    router.add_api_route("/release", release_route, methods=["POST"])
    return router
