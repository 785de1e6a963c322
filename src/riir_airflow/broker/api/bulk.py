"""Airflow's bulk endpoints (`PATCH /variables`, `/connections`, `/pools`): one body of create,
update and delete actions, one `BulkResponse` saying per action which keys succeeded and which
errors it met.

As in Airflow, actions run in order and one failing action does not stop the others: its error
is reported (`{"error": detail, "status_code": n}`) in its part of the answer. Stricter than
Airflow, each action is all or nothing: it runs in one transaction with its event-log row, so a
refused action writes none of its entities.

A `BulkOps` says how to treat one kind of entity: its key, which keys exist, and how to create,
update (with the action's `update_mask`) and delete one. The ops raise `HTTPException`s for
refusals; `bulk_key_error` names the not-found/exists messages in Airflow's words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from riir_airflow.broker.api.deps import audit
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

__all__ = ["BulkOps", "run_bulk"]


@dataclass(frozen=True)
class BulkOps:
    """How the bulk endpoint of one entity kind reads and writes it."""

    plural: str  # "variables", "connections", "pools" (in Airflow's messages and event names)
    key_name: str  # "keys", "connection_ids", "names"
    key: Callable[[Any], str]
    existing: Callable[[Sequence[str]], set[str]]
    create: Callable[[Any, bool], None]  # (entity, exists)
    update: Callable[[Any, list[str] | None], None]  # (entity, update_mask)
    delete: Callable[[str], None]


def _keys_text(keys: set[str]) -> str:
    return "{" + ", ".join(repr(k) for k in sorted(keys)) + "}"


def run_bulk(ctx: BrokerContext, principal: Principal, body: BulkBody[Any], ops: BulkOps) -> BulkResponse:
    results: dict[str, BulkActionResponse] = {}
    for action in body.actions:
        result = results.setdefault(action.action, BulkActionResponse())
        done: list[str] = []
        try:
            with ctx.registry.transaction():
                if isinstance(action, BulkCreateAction):
                    done = _create(ops, action)
                elif isinstance(action, BulkUpdateAction):
                    done = _update(ops, action)
                elif isinstance(action, BulkDeleteAction):
                    done = _delete(ops, action)
                if done:
                    audit(
                        ctx,
                        principal,
                        f"bulk_{ops.plural}",
                        extra={"action": action.action, ops.key_name: done},
                    )
        except HTTPException as exc:
            result.errors.append({"error": f"{exc.detail}", "status_code": exc.status_code})
            continue
        except RequestValidationError as exc:
            result.errors.append({"error": f"{exc.errors()}", "status_code": 422})
            continue
        result.success.extend(done)
    return BulkResponse(**results)


def _create(ops: BulkOps, action: BulkCreateAction[Any]) -> list[str]:
    keys = [ops.key(entity) for entity in action.entities]
    found = ops.existing(keys)
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


def _update(ops: BulkOps, action: BulkUpdateAction[Any]) -> list[str]:
    keys = [ops.key(entity) for entity in action.entities]
    found = ops.existing(keys)
    missing = set(keys) - found
    if action.action_on_non_existence is BulkActionNotOnExistence.FAIL and missing:
        raise HTTPException(
            404, f"The {ops.plural} with these {ops.key_name}: {_keys_text(missing)} were not found."
        )
    done = []
    for entity, key in zip(action.entities, keys, strict=True):
        if key in found:
            ops.update(entity, action.update_mask)
            done.append(key)
    return done


def _delete(ops: BulkOps, action: BulkDeleteAction[Any]) -> list[str]:
    keys = [entity if isinstance(entity, str) else ops.key(entity) for entity in action.entities]
    found = ops.existing(keys)
    missing = set(keys) - found
    if action.action_on_non_existence is BulkActionNotOnExistence.FAIL and missing:
        raise HTTPException(
            404, f"The {ops.plural} with these {ops.key_name}: {_keys_text(missing)} were not found."
        )
    done = []
    for key in dict.fromkeys(keys):
        if key in found:
            ops.delete(key)
            done.append(key)
    return done
