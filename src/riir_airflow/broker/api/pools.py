"""`/api/v2/pools`: list (`pool_name_pattern`, `pool_name_prefix_pattern`, pages, `order_by`),
get, create, patch (`update_mask`), delete, and the bulk `PATCH /pools`.

Reading needs the viewer role, writing the op role (Airflow's Op manages pools). `default_pool`
follows Airflow's rules: it cannot be deleted (400), and a patch of it must name only `slots`
and/or `include_deferred` in `update_mask` (400 otherwise). Slots: `-1` is unlimited (answered
`open_slots: -1`). `occupied_slots` are the slots granted to task instances (riir grants slots
across apps in the metastore, `metastore.pools`); running, queued, scheduled and deferred slots
count the pool's task instances in those states.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from riir_airflow.broker.api.bulk import BulkOps, run_bulk
from riir_airflow.broker.api.deps import (
    OPERATE,
    READ,
    PageDep,
    audit,
    bad_request,
    conflict,
    context,
    delete_or_404,
    given,
    not_found,
    page_rows,
    queries,
    require,
)
from riir_airflow.broker.api.schemas_admin import (
    BulkBody,
    BulkResponse,
    PoolBody,
    PoolCollectionResponse,
    PoolPatchBody,
    PoolResponse,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.metastore.pools import DEFAULT_POOL, PoolRecord

__all__ = ["pools_router"]

POOL_ORDER = ("id", "pool", "name", "slots")
_Reader = Annotated[Principal, Depends(require(READ))]
_Operator = Annotated[Principal, Depends(require(OPERATE))]


def _responses(ctx: BrokerContext, records: Sequence[PoolRecord]) -> list[PoolResponse]:
    stats = queries(ctx).pool_stats([r.pool for r in records])
    out = []
    for record in records:
        s = stats.get(record.pool, {})
        occupied = s.get("granted", 0)
        open_slots = -1 if record.slots < 0 else max(record.slots - occupied, 0)
        out.append(PoolResponse(
            name=record.pool, slots=record.slots, description=record.description,
            include_deferred=record.include_deferred, occupied_slots=occupied, running_slots=s.get("running", 0),
            queued_slots=s.get("queued", 0), scheduled_slots=s.get("scheduled", 0), open_slots=open_slots,
            deferred_slots=s.get("deferred", 0),
        ))  # fmt: skip
    return out


def _missing(name: str) -> HTTPException:
    return not_found(f"The Pool with name: `{name}` was not found")


def get_pools(
    request: Request,
    page: PageDep,
    _: _Reader,
    pool_name_pattern: str | None = None,
    pool_name_prefix_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> PoolCollectionResponse:
    """List pools with their slot usage."""
    ctx = context(request)
    conds = given(("pool", "pattern", pool_name_pattern), ("pool", "prefix", pool_name_prefix_pattern))
    rows, total = page_rows(ctx, "pool", conds, page, order_by, POOL_ORDER, ["id"])
    records = [PoolRecord(**row) for row in rows]
    return PoolCollectionResponse(pools=_responses(ctx, records), total_entries=total)


def get_pool(request: Request, pool_name: str, _: _Reader) -> PoolResponse:
    """One pool."""
    ctx = context(request)
    record = ctx.registry.get_pool(pool_name)
    if record is None:
        raise _missing(pool_name)
    return _responses(ctx, [record])[0]


def post_pool(request: Request, body: PoolBody, principal: _Operator) -> PoolResponse:
    """Create a pool (409 if the name exists)."""
    ctx = context(request)
    record = PoolRecord(body.name, body.slots, body.description, body.include_deferred)
    with ctx.registry.transaction():
        if ctx.registry.get_pool(body.name) is not None:
            raise conflict(f"Pool with name: `{body.name}` already exists.")
        ctx.registry.set_pool(record)
        audit(ctx, principal, "post_pool", extra={"name": body.name, "slots": body.slots})
    return _responses(ctx, [record])[0]


def _patched(
    current: PoolRecord, body: PoolBody | PoolPatchBody, update_mask: Sequence[str] | None
) -> PoolRecord:
    """`current` with the body's fields (those in `update_mask`, when given); Airflow's default
    pool rule (400)."""
    fields = {"name" if f == "pool" else f for f in body.model_fields_set} - {"team_name"}
    mask = {m.strip() for m in update_mask or ()}
    if current.pool == DEFAULT_POOL and (not mask or not mask <= {"slots", "include_deferred"}):
        raise bad_request("Only slots and included_deferred can be modified on Default Pool")
    if mask:
        fields &= mask
    slots = body.slots if "slots" in fields and body.slots is not None else current.slots
    include = (
        body.include_deferred if "include_deferred" in fields and body.include_deferred is not None else None
    )
    description = body.description if "description" in fields else current.description
    return PoolRecord(current.pool, slots, description,
                      current.include_deferred if include is None else include)  # fmt: skip


def patch_pool(
    request: Request,
    pool_name: str,
    body: PoolPatchBody,
    principal: _Operator,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> PoolResponse:
    """Update a pool (the body's fields, or those in `update_mask`)."""
    ctx = context(request)
    if body.name and body.name != pool_name:
        raise bad_request("Invalid body, pool name from request body doesn't match uri parameter")
    with ctx.registry.transaction():
        current = ctx.registry.get_pool(pool_name)
        if current is None:
            raise _missing(pool_name)
        record = _patched(current, body, update_mask)
        ctx.registry.set_pool(record)
        audit(ctx, principal, "patch_pool", extra={"name": pool_name, "update_mask": update_mask,
                                                  "slots": record.slots})  # fmt: skip
    return _responses(ctx, [record])[0]


def delete_pool(request: Request, pool_name: str, principal: _Operator) -> Response:
    """Delete a pool (400 for the default pool)."""
    ctx = context(request)
    if pool_name == DEFAULT_POOL:
        raise bad_request("Default Pool can't be deleted")
    return delete_or_404(ctx, principal, "delete_pool", lambda: ctx.registry.delete_pool(pool_name),
                         _missing(pool_name), extra={"name": pool_name})  # fmt: skip


def bulk_pools(request: Request, body: BulkBody[PoolBody], principal: _Operator) -> BulkResponse:
    """Create, update and delete pools in one request."""
    ctx = context(request)

    def create(entity: PoolBody, exists: bool) -> None:
        if exists:
            update(entity, None)
        else:
            ctx.registry.set_pool(
                PoolRecord(entity.name, entity.slots, entity.description, entity.include_deferred)
            )

    def update(entity: PoolBody, mask: list[str] | None) -> None:
        current = ctx.registry.get_pool(entity.name)
        assert current is not None
        if current.pool == DEFAULT_POOL and not mask:
            mask = ["slots", "include_deferred"]
        ctx.registry.set_pool(_patched(current, entity, mask))

    def delete(name: str) -> None:
        if name == DEFAULT_POOL:
            raise bad_request("Default Pool can't be deleted")
        ctx.registry.delete_pool(name)

    ops = BulkOps(plural="pools", key_name="names", table="pool", column="pool", key=lambda p: p.name,
                  create=create, update=update, delete=delete)  # fmt: skip
    return run_bulk(ctx, principal, body, ops)


def pools_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2/pools", tags=["Pool"])
    add = router.add_api_route
    add("", get_pools, methods=["GET"], operation_id="get_pools")
    add("", post_pool, methods=["POST"], status_code=201, operation_id="post_pool")
    add("", bulk_pools, methods=["PATCH"], operation_id="bulk_pools")
    add("/{pool_name:path}", get_pool, methods=["GET"], operation_id="get_pool")
    add("/{pool_name:path}", patch_pool, methods=["PATCH"], operation_id="patch_pool")
    add("/{pool_name:path}", delete_pool, methods=["DELETE"], status_code=204, operation_id="delete_pool",
        response_class=Response)  # fmt: skip
    return router
