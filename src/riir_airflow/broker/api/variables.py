"""`/api/v2/variables`: list (`variable_key_pattern`, `variable_key_prefix_pattern`, pages,
`order_by`), get, create, patch (`update_mask`), delete, and the bulk `PATCH /variables`.

Reading needs the viewer role, writing the user role (as Airflow's default roles: users edit
variables, only admins connections). Values are stored through the Store (Fernet-encrypted when
`[core] fernet_key` is set, so the DAG apps read what the API wrote). A value under a sensitive
key (`password`, `secret`, `token`, ... in the key, as Airflow's secrets masker) is answered as
`***`; a JSON object value has its sensitive fields masked the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from riir_airflow.broker.api.bulk import BulkOps, run_bulk
from riir_airflow.broker.api.deps import (
    EDIT,
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
    VariableBody,
    VariableCollectionResponse,
    VariableResponse,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.sdk.masking import is_sensitive_key
from riir_airflow.store.records import VariableRecord

__all__ = ["mask_sensitive", "variables_router"]

VARIABLE_ORDER = ("key", "id", "_val", "value", "description", "is_encrypted")
_Reader = Annotated[Principal, Depends(require(READ))]
_Editor = Annotated[Principal, Depends(require(EDIT))]


def mask_sensitive(value: Any, key: str | None = None) -> Any:
    """Airflow's `redact`: `***` for anything under a sensitive key, recursively through dicts
    and lists."""
    if key is not None and is_sensitive_key(key) and value is not None:
        if isinstance(value, Mapping):
            return {k: mask_sensitive(v, str(k)) for k, v in value.items()}
        return "***"
    if isinstance(value, Mapping):
        return {k: mask_sensitive(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_sensitive(v) for v in value]
    return value


def _masked_value(key: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return str(mask_sensitive(value, key))
    if isinstance(parsed, dict | list):
        return json.dumps(mask_sensitive(parsed, key))
    return str(mask_sensitive(value, key))


def _response(ctx: BrokerContext, row: Mapping[str, Any]) -> VariableResponse:
    value = ctx.store.cipher.decrypt(row["val"], row["is_encrypted"])
    return VariableResponse(key=row["key"], value=_masked_value(row["key"], value), description=row["description"],
                            is_encrypted=bool(row["is_encrypted"]))  # fmt: skip


def _row(ctx: BrokerContext, key: str) -> Mapping[str, Any] | None:
    return queries(ctx).one("variable", [("key", "eq", key)])


def _missing(key: str) -> HTTPException:
    return not_found(f"The Variable with key: `{key}` was not found")


def get_variables(
    request: Request,
    page: PageDep,
    _: _Reader,
    variable_key_pattern: str | None = None,
    variable_key_prefix_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> VariableCollectionResponse:
    """List variables (values masked as Airflow masks them)."""
    ctx = context(request)
    conds = given(("key", "pattern", variable_key_pattern), ("key", "prefix", variable_key_prefix_pattern))
    rows, total = page_rows(ctx, "variable", conds, page, order_by, VARIABLE_ORDER, ["id"])
    return VariableCollectionResponse(variables=[_response(ctx, row) for row in rows], total_entries=total)


def get_variable(request: Request, variable_key: str, _: _Reader) -> VariableResponse:
    """One variable."""
    ctx = context(request)
    row = _row(ctx, variable_key)
    if row is None:
        raise _missing(variable_key)
    return _response(ctx, row)


def post_variable(request: Request, body: VariableBody, principal: _Editor) -> VariableResponse:
    """Create a variable (409 if the key exists)."""
    ctx = context(request)
    with ctx.registry.transaction():
        if _row(ctx, body.key) is not None:
            raise conflict(f"The Variable with key: `{body.key}` already exists")
        ctx.store.set_variable(VariableRecord(body.key, str(body.value), body.description))
        audit(ctx, principal, "post_variable", extra={"key": body.key})
    return get_variable(request, body.key, principal)


def _apply(ctx: BrokerContext, body: VariableBody, update_mask: Sequence[str] | None) -> None:
    """Patch the stored variable with the body's fields (those in `update_mask`, when given)."""
    current = ctx.store.get_variable(body.key)
    assert current is not None
    fields = set(body.model_fields_set) - {"key", "team_name"}
    if update_mask:
        fields &= set(update_mask)
    value = str(body.value) if "value" in fields else current.value
    description = body.description if "description" in fields else current.description
    ctx.store.set_variable(VariableRecord(body.key, value, description))


def patch_variable(
    request: Request,
    variable_key: str,
    body: VariableBody,
    principal: _Editor,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> VariableResponse:
    """Update a variable (all the body's fields, or those in `update_mask`)."""
    ctx = context(request)
    if body.key != variable_key:
        raise bad_request("Invalid body, key from request body doesn't match uri parameter")
    with ctx.registry.transaction():
        if _row(ctx, variable_key) is None:
            raise _missing(variable_key)
        _apply(ctx, body, update_mask)
        audit(ctx, principal, "patch_variable", extra={"key": variable_key, "update_mask": update_mask})
    return get_variable(request, variable_key, principal)


def delete_variable(request: Request, variable_key: str, principal: _Editor) -> Response:
    """Delete a variable."""
    ctx = context(request)
    return delete_or_404(ctx, principal, "delete_variable", lambda: ctx.store.delete_variable(variable_key),
                         _missing(variable_key), extra={"key": variable_key})  # fmt: skip


def bulk_variables(request: Request, body: BulkBody[VariableBody], principal: _Editor) -> BulkResponse:
    """Create, update and delete variables in one request."""
    ctx = context(request)

    def update(entity: VariableBody, mask: list[str] | None) -> None:
        try:
            _apply(ctx, entity, mask)
        except ValidationError as exc:  # pragma: no cover - the body was validated already
            raise RequestValidationError(exc.errors()) from None

    ops = BulkOps(
        plural="variables", key_name="keys", table="variable", column="key", key=lambda v: v.key,
        create=lambda v, _exists: ctx.store.set_variable(VariableRecord(v.key, str(v.value), v.description)),
        update=update, delete=lambda key: ctx.store.delete_variable(key),
    )  # fmt: skip
    return run_bulk(ctx, principal, body, ops)


def variables_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2/variables", tags=["Variable"])
    add = router.add_api_route
    add("", get_variables, methods=["GET"], operation_id="get_variables")
    add("", post_variable, methods=["POST"], status_code=201, operation_id="post_variable",
        responses={409: {"description": "Conflict"}})  # fmt: skip
    add("", bulk_variables, methods=["PATCH"], operation_id="bulk_variables")
    add("/{variable_key:path}", get_variable, methods=["GET"], operation_id="get_variable",
        responses={404: {"description": "Not Found"}})  # fmt: skip
    add("/{variable_key:path}", patch_variable, methods=["PATCH"], operation_id="patch_variable",
        responses={400: {"description": "Bad Request"}, 404: {"description": "Not Found"}})  # fmt: skip
    add("/{variable_key:path}", delete_variable, methods=["DELETE"], status_code=204, operation_id="delete_variable",
        response_class=Response, responses={404: {"description": "Not Found"}})  # fmt: skip
    return router
