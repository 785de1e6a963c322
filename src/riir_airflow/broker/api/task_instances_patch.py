"""Patching task instances' state or note, included by `task_instances.task_instances_router`:
`PATCH .../dagRuns/{dag_run_id}/taskInstances/{task_id}[/{map_index}]` and their `/dry_run`,
and `patch_instances`, which the bulk update and the task-group patch of `task_instances_bulk`
share.

As Airflow: a new state concerns only the instances (of the task and of the relatives the body
includes) not in that state already. A dry run lists those; a patch with none of them changes
nothing and answers 409 (`Task id {task_id} is already in {state} state`, the task group's own
words for a group patch), its note included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api import actions
from riir_airflow.broker.api.convert import ti_response
from riir_airflow.broker.api.dag_runs import require_run
from riir_airflow.broker.api.deps import EDIT, bad_request, conflict, context, not_found, queries, require
from riir_airflow.broker.api.schemas_ti import PatchTaskInstanceBody, TaskInstanceCollectionResponse
from riir_airflow.broker.api.task_instances import relatives
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.metastore.api_queries import Condition
from riir_airflow.metastore.codec import ti_from_row

__all__ = ["PATCHABLE_STATES", "add_patch_routes", "new_state_name", "patch_instances"]

PATCHABLE_STATES = ("success", "failed", "skipped")
_Editor = Annotated[Principal, Depends(require(EDIT))]


def patch_instances(
    ctx: BrokerContext, principal: Principal, dag_id: str, dag_run_id: str, task_ids: Sequence[str],
    map_index: int | None, body: PatchTaskInstanceBody | Any, update_mask: list[str] | None, *, dry_run: bool,
    missing: str, unchanged: str,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    """Set the state (its app is told) and/or note of the instances of `task_ids` (one map index,
    or every one when None) and of their relatives the body includes; the instances concerned.
    A new state is written only where it changes something (module docstring): with `dry_run`,
    change nothing and answer those instances; else 409 (`unchanged`) when there is none. 404
    (`missing`) when none of `task_ids` has an instance; 400 for a field, state or option the
    patch does not take. `body` is a PatchTaskInstanceBody or anything with its fields (a bulk
    entity)."""
    require_run(ctx, dag_id, dag_run_id)
    if body.include_past or body.include_future:
        raise bad_request("include_past and include_future are not supported")
    fields = set(update_mask) if update_mask else set(body.model_fields_set) & {"new_state", "note"}
    if fields - {"new_state", "note"}:
        raise bad_request(f"Invalid field(s) in update mask: {sorted(fields - {'new_state', 'note'})}")
    state = body.new_state.value if "new_state" in fields and body.new_state is not None else None
    if state is not None and state not in PATCHABLE_STATES:
        raise bad_request(f"'{state}' is not one of {list(PATCHABLE_STATES)}")
    ids = relatives(ctx, dag_id, task_ids, upstream=body.include_upstream, downstream=body.include_downstream)
    conds: list[Condition] = [("dag_id", "eq", dag_id), ("run_id", "eq", dag_run_id), ("task_id", "in", ids)]
    if map_index is not None:
        conds.append(("map_index", "eq", map_index))
    q = queries(ctx)
    order = [("task_id", False), ("map_index", False)]
    rows, _ = q.page("task_instance", conds, order)
    if not any(row["task_id"] in task_ids for row in rows):
        raise not_found(missing)
    moving = rows if state is None else [row for row in rows if row["state"] != state]
    if dry_run:
        return _answer(ctx, moving)
    if not moving:
        raise conflict(unchanged)
    note = body.note if "note" in fields else None
    actions.mark_task_instances(ctx, principal, [ti_from_row(row) for row in rows], state=state, note=note)
    if state is not None:
        _clear_failed_downstream(ctx, principal, dag_id, dag_run_id, {row["task_id"] for row in moving})
    return _answer(ctx, q.page("task_instance", conds, order)[0])


def _clear_failed_downstream(
    ctx: BrokerContext, principal: Principal, dag_id: str, run_id: str, marked: set[str]
) -> None:
    """As Airflow after setting a task's state: its downstream instances that failed or are
    upstream_failed are cleared (a finished run is requeued), so they run again against the new
    state; marking a failed task success lets the rest of the run go on."""
    below = set(relatives(ctx, dag_id, sorted(marked), upstream=False, downstream=True)) - marked
    if not below:
        return
    conds: list[Condition] = [("dag_id", "eq", dag_id), ("run_id", "eq", run_id), ("task_id", "in", sorted(below)),
                              ("state", "in", ["failed", "upstream_failed"])]  # fmt: skip
    rows, _ = queries(ctx).page("task_instance", conds, [("task_id", False), ("map_index", False)])
    indexes: dict[str, list[int]] = {}
    for row in rows:
        indexes.setdefault(row["task_id"], []).append(row["map_index"])
    if indexes:
        actions.clear(ctx, principal, dag_id, run_id, sorted(indexes), event="patch_task_instance",
                      map_indexes=indexes, only_failed=True)  # fmt: skip


def new_state_name(body: PatchTaskInstanceBody | Any) -> str | None:
    """The state a patch body asks for (in the 409 of a patch that changes nothing)."""
    return body.new_state.value if body.new_state is not None else None


def _answer(ctx: BrokerContext, rows: Sequence[Any]) -> TaskInstanceCollectionResponse:
    versions = queries(ctx).dag_versions_by_id([row["dag_version_id"] for row in rows])
    return TaskInstanceCollectionResponse(
        task_instances=[ti_response(row, versions) for row in rows], total_entries=len(rows)
    )


def _patch(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int | None,
    body: PatchTaskInstanceBody, principal: Principal, update_mask: list[str] | None, dry_run: bool,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    missing = f"Task Instance not found for dag_id={dag_id}, run_id={dag_run_id}, task_id={task_id}"
    unchanged = f"Task id {task_id} is already in {new_state_name(body)} state"
    return patch_instances(context(request), principal, dag_id, dag_run_id, [task_id], map_index, body,
                           update_mask, dry_run=dry_run, missing=missing, unchanged=unchanged)  # fmt: skip


def patch_task_instance(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, body: PatchTaskInstanceBody, principal: _Editor,
    map_index: int | None = None, update_mask: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    """Set a task instance's state (its app is told) and/or note."""
    return _patch(request, dag_id, dag_run_id, task_id, map_index, body, principal, update_mask, False)


def patch_task_instance_by_map_index(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, body: PatchTaskInstanceBody,
    principal: _Editor, update_mask: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    return _patch(request, dag_id, dag_run_id, task_id, map_index, body, principal, update_mask, False)


def patch_task_instance_dry_run(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, body: PatchTaskInstanceBody, principal: _Editor,
    map_index: int | None = None, update_mask: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    """The task instances a patch would change, unchanged."""
    return _patch(request, dag_id, dag_run_id, task_id, map_index, body, principal, update_mask, True)


def patch_task_instance_dry_run_by_map_index(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, body: PatchTaskInstanceBody,
    principal: _Editor, update_mask: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    return _patch(request, dag_id, dag_run_id, task_id, map_index, body, principal, update_mask, True)


def add_patch_routes(router: APIRouter) -> None:
    """Add this module's routes to `router` (prefixed `/api/v2/dags/{dag_id}`); each `/dry_run`
    comes before the path whose `{map_index}` would match it."""
    one = "/dagRuns/{dag_run_id}/taskInstances/{task_id}"
    mapped = f"{one}/{{map_index}}"
    for path, endpoint in ((f"{one}/dry_run", patch_task_instance_dry_run), (one, patch_task_instance),
                           (f"{mapped}/dry_run", patch_task_instance_dry_run_by_map_index),
                           (mapped, patch_task_instance_by_map_index)):  # fmt: skip
        router.add_api_route(path, endpoint, methods=["PATCH"], operation_id=endpoint.__name__)
