"""Airflow's bulk endpoints (`PATCH /variables`, `/connections`, `/pools`): one body of create,
update and delete actions, one `BulkResponse` saying per action which keys succeeded and which
errors it met.

As in Airflow, actions run in order and one failing action does not stop the others: its error
is reported (`{"error": detail, "status_code": n}`) in its part of the answer. Stricter than
Airflow, each action is all or nothing: it runs in one transaction with its event-log row, so a
refused action writes none of its entities.

A `BulkOps` says how to treat one kind of entity: its key and where that key is stored (which
keys exist is read from there), and how to create, update (with the action's `update_mask`) and
delete one. The ops raise `HTTPException`s for refusals; the not-found/exists refusals of a
whole action are worded here, in Airflow's words. Entities that do not fit a `BulkOps` (runs and
task instances, whose changes their apps must hear of) use `run_actions` with their own handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from riir_airflow.broker.api.deps import announce, audit, queries
from riir_airflow.broker.api.schemas_admin import (
    BulkActionNotOnExistence,
    BulkActionOnExistence,
    BulkActionResponse,
    BulkBody,
    BulkCreateAction,
    BulkDeleteAction,
    BulkResponse,
    BulkUpdateAction,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext

__all__ = ["BulkDone", "BulkOps", "existing_keys", "run_actions", "run_bulk"]


@dataclass(frozen=True)
class BulkOps:
    """How the bulk endpoint of one entity kind reads and writes it."""

    plural: str  # "variables", "connections", "pools" (in Airflow's messages and event names)
    key_name: str  # "keys", "connection_ids", "names"
    table: str  # the `metastore.api_queries` entity holding them: "variable", "connection", "pool"
    column: str  # its key field: "key", "conn_id", "pool"
    key: Callable[[Any], str]
    create: Callable[[Any, bool], None]  # (entity, exists)
    update: Callable[[Any, list[str] | None], None]  # (entity, update_mask)
    delete: Callable[[str], None]


def _keys_text(keys: set[str]) -> str:
    return "{" + ", ".join(repr(k) for k in sorted(keys)) + "}"


def existing_keys(ctx: BrokerContext, table: str, column: str, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are stored: the values of `column` among the rows of `table` (a
    `metastore.api_queries` entity) that are in `keys` (no query for no keys)."""
    if not keys:
        return set()
    rows, _ = queries(ctx).page(table, [(column, "in", sorted(set(keys)))])
    return {row[column] for row in rows}


@dataclass(frozen=True)
class BulkDone:
    """What one action did: the ids/keys it succeeded for (in the answer's `success`) and the
    DAGs whose apps must hear of it once its transaction committed (woken with `announce`)."""

    keys: list[str]
    wake: frozenset[str] = frozenset()


def run_actions(
    ctx: BrokerContext,
    principal: Principal,
    body: BulkBody[Any],
    *,
    event: str,
    key_name: str,
    handle: Callable[[Any], BulkDone],
) -> BulkResponse:
    """Run the body's actions in order through `handle`, each in its own transaction with its
    event-log row (`event`, naming the keys it changed under `key_name`), then wake the apps it
    names; say per action kind what succeeded and which errors (`HTTPException`s, validation
    errors as 422) each refused action met. A refused action writes nothing."""
    results: dict[str, BulkActionResponse] = {}
    for action in body.actions:
        result = results.setdefault(action.action, BulkActionResponse())
        try:
            with ctx.registry.transaction():
                done = handle(action)
                if done.keys:
                    audit(ctx, principal, event, extra={"action": action.action, key_name: done.keys})
        except HTTPException as exc:
            result.errors.append({"error": f"{exc.detail}", "status_code": exc.status_code})
            continue
        except RequestValidationError as exc:
            result.errors.append({"error": f"{exc.errors()}", "status_code": 422})
            continue
        result.success.extend(done.keys)
        if done.wake:
            announce(ctx, done.wake)
    return BulkResponse(**results)


def run_bulk(ctx: BrokerContext, principal: Principal, body: BulkBody[Any], ops: BulkOps) -> BulkResponse:
    """`run_actions` for the entities `ops` describes (event `bulk_<plural>`)."""

    def handle(action: Any) -> BulkDone:
        if isinstance(action, BulkCreateAction):
            return BulkDone(_create(ctx, ops, action))
        if isinstance(action, BulkUpdateAction):
            return BulkDone(_update(ctx, ops, action))
        return BulkDone(_delete(ctx, ops, action))

    return run_actions(ctx, principal, body, event=f"bulk_{ops.plural}", key_name=ops.key_name, handle=handle)


def _create(ctx: BrokerContext, ops: BulkOps, action: BulkCreateAction[Any]) -> list[str]:
    keys = [ops.key(entity) for entity in action.entities]
    found = existing_keys(ctx, ops.table, ops.column, keys)
    if action.action_on_existence is BulkActionOnExistence.FAIL and found:
        raise HTTPException(
            409, f"The {ops.plural} with these {ops.key_name}: {_keys_text(found)} already exist."
        )
    done = []
    for entity, key in zip(action.entities, keys, strict=True):
        exists = key in found
        if exists and action.action_on_existence is BulkActionOnExistence.SKIP:
            continue
        ops.create(entity, exists)
        done.append(key)
    return done


def _found(
    ctx: BrokerContext,
    ops: BulkOps,
    keys: Sequence[str],
    action: BulkUpdateAction[Any] | BulkDeleteAction[Any],
) -> set[str]:
    """Which of `keys` exist; 404 naming the others when the action fails on non-existence."""
    found = existing_keys(ctx, ops.table, ops.column, keys)
    missing = set(keys) - found
    if action.action_on_non_existence is BulkActionNotOnExistence.FAIL and missing:
        raise HTTPException(
            404, f"The {ops.plural} with these {ops.key_name}: {_keys_text(missing)} were not found."
        )
    return found


def _update(ctx: BrokerContext, ops: BulkOps, action: BulkUpdateAction[Any]) -> list[str]:
    keys = [ops.key(entity) for entity in action.entities]
    found = _found(ctx, ops, keys, action)
    done = []
    for entity, key in zip(action.entities, keys, strict=True):
        if key in found:
            ops.update(entity, action.update_mask)
            done.append(key)
    return done


def _delete(ctx: BrokerContext, ops: BulkOps, action: BulkDeleteAction[Any]) -> list[str]:
    keys = [entity if isinstance(entity, str) else ops.key(entity) for entity in action.entities]
    found = _found(ctx, ops, keys, action)
    done = []
    for key in dict.fromkeys(keys):
        if key in found:
            ops.delete(key)
            done.append(key)
    return done
