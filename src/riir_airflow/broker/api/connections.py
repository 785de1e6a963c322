"""`/api/v2/connections`: list (`connection_id_pattern`, `connection_id_prefix_pattern`, pages,
`order_by`), get, create, patch (`update_mask`), delete, bulk `PATCH /connections`, `POST /test`
and `POST /defaults`.

Rights: reading needs the op role and writing the admin role (issue 8: only admin manages
connections; Airflow's default roles let Op read them). As Airflow's API does, the password is
never answered in clear (`***` when one is set) and `extra` has its sensitive fields (`password`,
`secret`, `token`, ... in the key) masked; writing `***` back as the password (or as an extra
field) keeps the stored value, so a read-modify-write round trip loses nothing.

`POST /test` answers as Airflow does while `[core] test_connection` is not `Enabled` (its
default): 403. When enabled, riir cannot run the provider hooks Airflow tests with (the broker
does not import DAG code or providers), so it answers `{"status": false, "message": ...}`.
`POST /defaults` creates nothing: Airflow's default connections belong to its providers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from riir_airflow.broker.api.bulk import BulkOps, run_bulk
from riir_airflow.broker.api.deps import (
    ADMIN,
    OPERATE,
    PageDep,
    audit,
    bad_request,
    conflict,
    context,
    delete_or_404,
    given,
    not_found,
    page_rows,
    require,
)
from riir_airflow.broker.api.schemas_admin import (
    BulkBody,
    BulkResponse,
    ConnectionBody,
    ConnectionCollectionResponse,
    ConnectionResponse,
    ConnectionTestResponse,
)
from riir_airflow.broker.api.variables import mask_sensitive
from riir_airflow.broker.auth import Principal
from riir_airflow.sdk.masking import is_sensitive_key
from riir_airflow.store.records import ConnectionRecord

__all__ = ["connections_router"]

CONNECTION_ORDER = ("conn_id", "connection_id", "conn_type", "description", "host", "port", "id")
MASK = "***"
_Reader = Annotated[Principal, Depends(require(OPERATE))]
_Admin = Annotated[Principal, Depends(require(ADMIN))]
_FIELDS = ("conn_type", "description", "host", "login", "schema", "port", "password", "extra")


def _masked_extra(extra: str | None) -> str | None:
    if not extra:
        return extra
    try:
        parsed = json.loads(extra)
    except json.JSONDecodeError:
        return MASK  # never hand out an unstructured extra that may hold secrets
    return json.dumps(mask_sensitive(parsed))


def _response(record: ConnectionRecord) -> ConnectionResponse:
    return ConnectionResponse(
        connection_id=record.conn_id, conn_type=record.conn_type or "", description=record.description,
        host=record.host, login=record.login, schema=record.schema, port=record.port,
        password=MASK if record.password else record.password, extra=_masked_extra(record.extra),
    )  # fmt: skip


def _missing(connection_id: str) -> HTTPException:
    return not_found(f"The Connection with connection_id: `{connection_id}` was not found")


def _merge(new: Any, old: Any, key: str | None = None) -> Any:
    """Airflow's secrets-masker `merge`: where the new value is the mask of a sensitive field,
    keep the old one."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: _merge(v, old.get(k), k) if k in old else v for k, v in new.items()}
    if new == MASK and key is not None and is_sensitive_key(key) and old is not None:
        return old
    return new


def _record(body: ConnectionBody, current: ConnectionRecord | None, fields: set[str]) -> ConnectionRecord:
    """The connection to store: `current` with the body's `fields` written over it."""
    values: dict[str, Any] = {name: getattr(current, name) if current else None for name in _FIELDS}
    given = body.model_dump(by_alias=True)
    for name in fields & set(_FIELDS):
        values[name] = given[name]
    if "password" in fields and current is not None and body.password is not None:
        values["password"] = _merge(body.password, current.password, "password")
    if "extra" in fields and current is not None and body.extra and current.extra:
        try:
            values["extra"] = json.dumps(_merge(json.loads(body.extra), json.loads(current.extra)))
        except json.JSONDecodeError:
            pass
    return ConnectionRecord(conn_id=body.connection_id, **values)


def _body_fields(body: ConnectionBody, update_mask: Sequence[str] | None = None) -> set[str]:
    fields = {"schema" if name == "schema_" else name for name in body.model_fields_set}
    fields -= {"connection_id", "team_name"}
    if update_mask:
        fields &= set(update_mask)
    return fields


def get_connections(
    request: Request,
    page: PageDep,
    _: _Reader,
    connection_id_pattern: str | None = None,
    connection_id_prefix_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> ConnectionCollectionResponse:
    """List connections (passwords and sensitive extras masked)."""
    ctx = context(request)
    conds = given(
        ("conn_id", "pattern", connection_id_pattern), ("conn_id", "prefix", connection_id_prefix_pattern)
    )
    rows, total = page_rows(ctx, "connection", conds, page, order_by, CONNECTION_ORDER, ["id"])
    records = [ctx.store.get_connection(row["conn_id"]) for row in rows]
    return ConnectionCollectionResponse(connections=[_response(r) for r in records if r], total_entries=total)


def get_connection(request: Request, connection_id: str, _: _Reader) -> ConnectionResponse:
    """One connection."""
    record = context(request).store.get_connection(connection_id)
    if record is None:
        raise _missing(connection_id)
    return _response(record)


def post_connection(request: Request, body: ConnectionBody, principal: _Admin) -> ConnectionResponse:
    """Create a connection (409 if the id exists)."""
    ctx = context(request)
    with ctx.registry.transaction():
        if ctx.store.get_connection(body.connection_id) is not None:
            raise conflict(f"Connection with connection_id: `{body.connection_id}` already exists.")
        record = _record(body, None, set(_FIELDS))
        ctx.store.set_connection(record)
        audit(ctx, principal, "post_connection", extra={"connection_id": body.connection_id})
    return _response(record)


def patch_connection(
    request: Request,
    connection_id: str,
    body: ConnectionBody,
    principal: _Admin,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> ConnectionResponse:
    """Update a connection (the body's fields, or those in `update_mask`)."""
    ctx = context(request)
    if body.connection_id != connection_id:
        raise bad_request("The connection_id in the request body does not match the URL parameter")
    with ctx.registry.transaction():
        current = ctx.store.get_connection(connection_id)
        if current is None:
            raise _missing(connection_id)
        record = _record(body, current, _body_fields(body, update_mask))
        ctx.store.set_connection(record)
        audit(
            ctx,
            principal,
            "patch_connection",
            extra={"connection_id": connection_id, "update_mask": update_mask},
        )
    return _response(record)


def delete_connection(request: Request, connection_id: str, principal: _Admin) -> Response:
    """Delete a connection."""
    ctx = context(request)
    return delete_or_404(ctx, principal, "delete_connection", lambda: ctx.store.delete_connection(connection_id),
                         _missing(connection_id), extra={"connection_id": connection_id})  # fmt: skip


def bulk_connections(request: Request, body: BulkBody[ConnectionBody], principal: _Admin) -> BulkResponse:
    """Create, update and delete connections in one request."""
    ctx = context(request)

    def create(entity: ConnectionBody, exists: bool) -> None:
        current = ctx.store.get_connection(entity.connection_id) if exists else None
        fields = _body_fields(entity) if current is not None else set(_FIELDS)
        ctx.store.set_connection(_record(entity, current, fields))

    def update(entity: ConnectionBody, mask: list[str] | None) -> None:
        current = ctx.store.get_connection(entity.connection_id)
        ctx.store.set_connection(_record(entity, current, _body_fields(entity, mask)))

    ops = BulkOps(plural="connections", key_name="connection_ids", table="connection", column="conn_id",
                  key=lambda c: c.connection_id, create=create, update=update,
                  delete=lambda conn_id: ctx.store.delete_connection(conn_id))  # fmt: skip
    return run_bulk(ctx, principal, body, ops)


def test_connection(request: Request, body: ConnectionBody, _: _Admin) -> ConnectionTestResponse:
    """Test a connection: 403 unless `[core] test_connection` is `Enabled` (as Airflow)."""
    from riir_airflow.compat.config import conf

    if str(conf.get("core", "test_connection", fallback="Disabled")).lower().strip() != "enabled":
        raise HTTPException(403, "Testing connections is disabled in Airflow configuration. "
                                 "Contact your deployment admin to enable it.")  # fmt: skip
    return ConnectionTestResponse(
        status=False,
        message=f"riir-airflow's broker does not load provider hooks, so it cannot test a {body.conn_type!r} "
        "connection; test it from a task in a DAG app instead",
    )


def create_default_connections(request: Request, principal: _Admin) -> Response:
    """Airflow's default connections come from its providers; riir has none to create."""
    audit(context(request), principal, "create_default_connections", extra={"created": []})
    return Response(status_code=204)


def connections_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2/connections", tags=["Connection"])
    add = router.add_api_route
    add("", get_connections, methods=["GET"], operation_id="get_connections")
    add("", post_connection, methods=["POST"], status_code=201, operation_id="post_connection")
    add("", bulk_connections, methods=["PATCH"], operation_id="bulk_connections")
    add("/test", test_connection, methods=["POST"], operation_id="test_connection")
    add("/defaults", create_default_connections, methods=["POST"], status_code=204,
        operation_id="create_default_connections", response_class=Response)  # fmt: skip
    add("/{connection_id}", get_connection, methods=["GET"], operation_id="get_connection")
    add("/{connection_id}", patch_connection, methods=["PATCH"], operation_id="patch_connection")
    add("/{connection_id}", delete_connection, methods=["DELETE"], status_code=204,
        operation_id="delete_connection", response_class=Response)  # fmt: skip
    return router
