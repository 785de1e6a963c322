"""Changes to many task instances at once, and deleting one, included by
`task_instances.task_instances_router`:
- `PATCH .../dagRuns/{dag_run_id}/taskInstances` (bulk_task_instances): Airflow's bulk body
  (`bulk.run_actions`: in order, each action all or nothing with one `bulk_task_instances`
  event-log row; success keys are Airflow's `dag_id.run_id.task_id[map_index]`). `create` is
  refused (405); `update` patches each entity as the single patch does
  (`task_instances_patch.patch_instances`: state changes reach the app, one
  `patch_task_instance` row per instance; an entity whose state changes nothing refuses the
  action, 409); `delete` deletes instances. An entity's `map_index` None (or a bare task
  id) means every map index; `dag_id`/`dag_run_id` default to the path's (400 when `~` leaves
  one unnamed). Unknown instances refuse the action (404) unless `action_on_non_existence` is
  `skip`.
- `DELETE .../taskInstances/{task_id}` (delete_task_instance): one map index (default -1); 200
  with a null body, as Airflow.
- `PATCH .../taskGroupInstances/{group_id}` (and `/dry_run`): the single patch applied to every
  task of the group (nested groups included), by the group ids the DAG's app registered (409
  when every instance is in the new state already).

Riir-specific: deleting an instance of a queued or running run is refused (409), as deleting
such a run is: its app is still working on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from riir_airflow.broker.api.bulk import BulkDone, run_actions
from riir_airflow.broker.api.dag_runs import require_run
from riir_airflow.broker.api.deps import (
    EDIT,
    audit,
    bad_request,
    conflict,
    context,
    not_found,
    queries,
    require,
)
from riir_airflow.broker.api.schemas_admin import (
    BulkActionNotOnExistence,
    BulkBody,
    BulkCreateAction,
    BulkResponse,
    BulkUpdateAction,
)
from riir_airflow.broker.api.schemas_ops import BulkTaskInstanceBody
from riir_airflow.broker.api.schemas_ti import PatchTaskInstanceBody, TaskInstanceCollectionResponse
from riir_airflow.broker.api.task_instances import ti_row
from riir_airflow.broker.api.task_instances_patch import new_state_name, patch_instances
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext

__all__ = ["add_bulk_routes", "delete_instance"]

_Editor = Annotated[Principal, Depends(require(EDIT))]
Key = tuple[str, str, str, int | None]  # dag_id, run_id, task_id, map_index (None: every one)
Instance = tuple[str, str, str, int]


def delete_instance(ctx: BrokerContext, principal: Principal, run: Any, task_id: str, map_index: int) -> None:
    """Delete one task instance of the run of `run` (its row) with its history, XComs and logs,
    and its event-log row (one transaction, joining the caller's); 409 while the run is queued
    or running."""
    dag_id, run_id = run["dag_id"], run["run_id"]
    if run["state"] in ("queued", "running"):
        raise conflict(
            f"The DagRun `{run_id}` is {run['state']}: mark it failed before deleting its task instances"
        )
    with ctx.registry.transaction():
        ctx.store.delete_task_instance(dag_id, run_id, task_id, map_index)
        audit(ctx, principal, "delete_task_instance", dag_id=dag_id, run_id=run_id, task_id=task_id,
              map_index=map_index)  # fmt: skip


def delete_task_instance(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, principal: _Editor, map_index: int = -1
) -> None:
    """Delete a task instance of a finished run."""
    ctx = context(request)
    ti_row(ctx, dag_id, dag_run_id, task_id, map_index)
    delete_instance(ctx, principal, require_run(ctx, dag_id, dag_run_id), task_id, map_index)


def _key(dag_id: str, dag_run_id: str, entity: str | BulkTaskInstanceBody) -> Key:
    """The entity's key; 400 when a `~` of the path is left unnamed."""
    if isinstance(entity, str):
        key: Key = (dag_id, dag_run_id, entity, None)
    else:
        key = (entity.dag_id or dag_id, entity.dag_run_id or dag_run_id, entity.task_id, entity.map_index)
    if "~" in key[:2]:
        where = ("BulkTaskInstanceBody object, not as string" if isinstance(entity, str)
                 else "request body")  # fmt: skip
        raise bad_request("When using wildcard in path, dag_id and dag_run_id must be specified in "
                          f"{where} for task_id: {key[2]}")  # fmt: skip
    return key


def _matches(
    ctx: BrokerContext, keys: Sequence[Key], on_missing: BulkActionNotOnExistence
) -> dict[Key, list[int]]:
    """The stored map indexes of each key; 404 for keys without any when the action fails on
    missing ones (Airflow's words), else those keys are left out."""
    rows, _ = queries(ctx).page("task_instance", [(f, "in", sorted({k[i] for k in keys}))
                                                  for i, f in enumerate(("dag_id", "run_id", "task_id"))])  # fmt: skip
    stored: set[Instance] = {(r["dag_id"], r["run_id"], r["task_id"], r["map_index"]) for r in rows}
    found = {key: sorted(i[3] for i in stored if i[:3] == key[:3] and key[3] in (None, i[3])) for key in keys}
    missing = [key for key, indexes in found.items() if not indexes]
    if missing and on_missing is BulkActionNotOnExistence.FAIL:
        whole = [key for key in missing if key[3] is None]
        if whole:
            raise HTTPException(404, f"No task instances found for dag_id: {whole[0][0]}, run_id: {whole[0][1]}, "
                                     f"task_id: {whole[0][2]}")  # fmt: skip
        ids = [
            dict(zip(("dag_id", "dag_run_id", "task_id", "map_index"), key, strict=True)) for key in missing
        ]
        raise HTTPException(404, f"The task instances with these identifiers: {ids} were not found")
    return {key: indexes for key, indexes in found.items() if indexes}


def _labels(instances: Iterable[Instance]) -> list[str]:
    return [f"{d}.{r}.{t}[{i}]" for d, r, t, i in instances]


def _update(
    ctx: BrokerContext, principal: Principal, keys: dict[Key, Any], action: BulkUpdateAction[Any]
) -> BulkDone:
    done: list[Instance] = []
    wake = set()
    for (d, r, t, index), indexes in _matches(ctx, list(keys), action.action_on_non_existence).items():
        entity = keys[(d, r, t, index)]
        patch_instances(ctx, principal, d, r, [t], index, entity, action.update_mask, dry_run=False,
                        missing=f"No task instances found for dag_id: {d}, run_id: {r}, task_id: {t}",
                        unchanged=f"Task id {t} is already in {new_state_name(entity)} state")  # fmt: skip
        done += [(d, r, t, i) for i in indexes]
        if entity.new_state is not None:
            wake.add(d)
    return BulkDone(_labels(done), frozenset(wake))


def _delete(ctx: BrokerContext, principal: Principal, keys: Sequence[Key], action: Any) -> BulkDone:
    done: list[Instance] = []
    for (d, r, t, _), indexes in _matches(ctx, keys, action.action_on_non_existence).items():
        run = require_run(ctx, d, r)
        for i in indexes:
            if (d, r, t, i) not in done:
                delete_instance(ctx, principal, run, t, i)
                done.append((d, r, t, i))
    return BulkDone(_labels(done))


def bulk_task_instances(
    request: Request, dag_id: str, dag_run_id: str, body: BulkBody[BulkTaskInstanceBody], principal: _Editor
) -> BulkResponse:
    """Bulk update (state, note) or delete task instances; create is refused (405)."""
    ctx = context(request)

    def handle(action: Any) -> BulkDone:
        if isinstance(action, BulkCreateAction):
            raise HTTPException(405, "Task instances bulk create is not supported")
        keys = {_key(dag_id, dag_run_id, entity): entity for entity in action.entities}
        if isinstance(action, BulkUpdateAction):
            return _update(ctx, principal, keys, action)
        return _delete(ctx, principal, list(keys), action)

    return run_actions(
        ctx, principal, body, event="bulk_task_instances", key_name="task_instances", handle=handle
    )


def _group(
    request: Request, dag_id: str, dag_run_id: str, group_id: str, body: PatchTaskInstanceBody,
    principal: Principal, update_mask: list[str] | None, dry_run: bool,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    ctx = context(request)
    require_run(ctx, dag_id, dag_run_id)
    serialized = ctx.registry.serialized_dag(dag_id)
    members = (
        [task.task_id for task in serialized.tasks if group_id in task.task_group_ids] if serialized else []
    )
    if not members:
        raise not_found(f"Task group '{group_id}' not found in DAG '{dag_id}'")
    return patch_instances(ctx, principal, dag_id, dag_run_id, members, None, body, update_mask, dry_run=dry_run,
                           missing=f"No task instances found for task group '{group_id}' in dag run '{dag_run_id}'",
                           unchanged=f"All task instances in the group are already in {new_state_name(body)} state")  # fmt: skip


def patch_task_group_instances(
    request: Request, dag_id: str, dag_run_id: str, group_id: str, body: PatchTaskInstanceBody, principal: _Editor,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:  # fmt: skip
    """Set the state (their app is told) and/or note of every task instance of a task group."""
    return _group(request, dag_id, dag_run_id, group_id, body, principal, update_mask, False)


def patch_task_group_instances_dry_run(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    group_id: str,
    body: PatchTaskInstanceBody,
    principal: _Editor,
) -> TaskInstanceCollectionResponse:
    """The task instances a task group patch would change, unchanged."""
    return _group(request, dag_id, dag_run_id, group_id, body, principal, None, True)


def add_bulk_routes(router: APIRouter) -> None:
    """Add this module's routes to `router` (prefixed `/api/v2/dags/{dag_id}`)."""
    base, group = "/dagRuns/{dag_run_id}/taskInstances", "/dagRuns/{dag_run_id}/taskGroupInstances/{group_id}"
    for path, endpoint, method in ((base, bulk_task_instances, "PATCH"), (f"{base}/{{task_id}}", delete_task_instance, "DELETE"),
                                   (f"{group}/dry_run", patch_task_group_instances_dry_run, "PATCH"),
                                   (group, patch_task_group_instances, "PATCH")):  # fmt: skip
        router.add_api_route(path, endpoint, methods=[method], operation_id=endpoint.__name__)
