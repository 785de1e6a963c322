"""`PATCH /api/v2/dags/{dag_id}/dagRuns` (bulk actions on runs) and `POST
/api/v2/dags/{dag_id}/clearDagRuns` (clear many runs), included by `dag_runs.dag_runs_router`.

Bulk actions follow `bulk.run_actions` (in order, each all or nothing with one `bulk_dag_runs`
event-log row; success keys are Airflow's `dag_id.run_id`):
- `create` is refused (405), as Airflow: runs are triggered (`POST .../dagRuns`);
- `update` sets each run's state and/or note (`update_mask` limits the fields) through
  `actions.mark_run`, so the run's app hears of a state change and each run has its
  `patch_dag_run` row;
- `delete` deletes finished runs (`dag_runs.delete_run`: a queued or running run refuses the
  action, 409).
An entity's `dag_id` defaults to the path's; with `~` in the path every entity must name its
DAG (400 otherwise, also for a bare run id). Unknown runs refuse the action (404) unless
`action_on_non_existence` is `skip`.

Clearing many runs reuses `dag_runs.clear_runs` (the single-run clear): with `~` every entry
names its DAG; an entry naming another DAG than the path is a 400; partition selectors are a
400 (riir has no partitioned DAGs).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from riir_airflow.broker.api import actions
from riir_airflow.broker.api.bulk import BulkDone, run_actions
from riir_airflow.broker.api.dag_runs import clear_runs, delete_run
from riir_airflow.broker.api.deps import EDIT, bad_request, context, queries, require
from riir_airflow.broker.api.schemas import DAGRunCollectionResponse
from riir_airflow.broker.api.schemas_admin import (
    BulkActionNotOnExistence,
    BulkBody,
    BulkCreateAction,
    BulkDeleteAction,
    BulkResponse,
    BulkUpdateAction,
)
from riir_airflow.broker.api.schemas_ops import BulkDAGRunBody, BulkDAGRunClearBody
from riir_airflow.broker.api.schemas_ti import ClearTaskInstanceCollectionResponse
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext

__all__ = ["add_bulk_routes"]

_Editor = Annotated[Principal, Depends(require(EDIT))]
RunKey = tuple[str, str]


def _key(path_dag_id: str, entity: str | BulkDAGRunBody) -> RunKey:
    """(dag_id, run_id) of a bulk entity; 400 when `~` leaves the DAG unnamed."""
    dag_id, run_id = (path_dag_id, entity) if isinstance(entity, str) else (entity.dag_id or path_dag_id,
                                                                            entity.dag_run_id)  # fmt: skip
    if dag_id == "~" or run_id == "~":
        where = "BulkDAGRunBody object, not as string" if isinstance(entity, str) else "request body"
        raise bad_request(
            f"When using wildcard in path, dag_id must be specified in {where} for dag_run_id: {run_id}"
        )
    return dag_id, run_id


def _stored(ctx: BrokerContext, keys: list[RunKey], action: BulkUpdateAction[Any] | BulkDeleteAction[Any]) -> dict[RunKey, Any]:  # fmt: skip
    """The stored rows of `keys`; 404 naming the missing ones when the action fails on them."""
    rows, _ = queries(ctx).page("dag_run", [("dag_id", "in", sorted({d for d, _ in keys})),
                                            ("run_id", "in", sorted({r for _, r in keys}))])  # fmt: skip
    found = {
        (row["dag_id"], row["run_id"]): row for row in rows if (row["dag_id"], row["run_id"]) in set(keys)
    }
    missing = sorted(set(keys) - set(found))
    if missing and action.action_on_non_existence is BulkActionNotOnExistence.FAIL:
        raise HTTPException(404, f"The DagRuns with these identifiers: {missing} were not found")
    return found


def _update(ctx: BrokerContext, principal: Principal, dag_id: str, action: BulkUpdateAction[Any]) -> BulkDone:
    entities = {_key(dag_id, entity): entity for entity in action.entities}
    found = _stored(ctx, list(entities), action)
    fields = set(action.update_mask) if action.update_mask else {"state", "note"}
    done, wake = [], set()
    for key, entity in entities.items():
        if key not in found:
            continue
        state = entity.state.value if "state" in fields and entity.state is not None else None
        note = entity.note if "note" in fields else None
        if state is not None or note is not None:
            actions.mark_run(ctx, principal, *key, state=state, note=note)
        if state is not None:
            wake.add(key[0])
        done.append(".".join(key))
    return BulkDone(done, frozenset(wake))


def _delete(ctx: BrokerContext, principal: Principal, dag_id: str, action: BulkDeleteAction[Any]) -> BulkDone:
    keys = list(dict.fromkeys(_key(dag_id, entity) for entity in action.entities))
    found = _stored(ctx, keys, action)
    for key in sorted(found):
        delete_run(ctx, principal, found[key])
    return BulkDone([".".join(key) for key in sorted(found)])


def bulk_dag_runs(
    request: Request, dag_id: str, body: BulkBody[BulkDAGRunBody], principal: _Editor
) -> BulkResponse:
    """Bulk update (state, note) or delete runs; create is refused (405)."""
    ctx = context(request)

    def handle(action: Any) -> BulkDone:
        if isinstance(action, BulkCreateAction):
            raise HTTPException(
                405, "Dag Runs bulk create is not supported. Use the trigger Dag Run endpoint instead."
            )
        if isinstance(action, BulkUpdateAction):
            return _update(ctx, principal, dag_id, action)
        return _delete(ctx, principal, dag_id, action)

    return run_actions(ctx, principal, body, event="bulk_dag_runs", key_name="dag_runs", handle=handle)


def clear_dag_runs(
    request: Request, dag_id: str, body: BulkDAGRunClearBody, principal: _Editor
) -> ClearTaskInstanceCollectionResponse | DAGRunCollectionResponse:
    """Clear the task instances of many runs (or, `dry_run`, the default, list them)."""
    if not body.dag_runs:
        raise bad_request("Partitioned Dag runs are not supported by riir-airflow: name the runs in dag_runs")
    keys = []
    for run in body.dag_runs:
        if dag_id == "~" and (not run.dag_id or run.dag_id == "~"):
            raise bad_request("When the URL dag_id is '~', every entry must provide a concrete dag_id "
                              f"(missing on dag_run_id: {run.dag_run_id!r}).")  # fmt: skip
        if dag_id != "~" and (run.dag_id or dag_id) != dag_id:
            raise bad_request(f"Entry dag_id {run.dag_id!r} does not match the URL dag_id {dag_id!r}.")
        keys.append((run.dag_id or dag_id, run.dag_run_id))
    return clear_runs(context(request), principal, keys, only_failed=body.only_failed, dry_run=body.dry_run,
                      note=body.note, event="clear_dag_runs")  # fmt: skip


def add_bulk_routes(router: APIRouter) -> None:
    """Add this module's routes to `router` (prefixed `/api/v2/dags/{dag_id}`)."""
    router.add_api_route("/dagRuns", bulk_dag_runs, methods=["PATCH"], operation_id="bulk_dag_runs")
    router.add_api_route("/clearDagRuns", clear_dag_runs, methods=["POST"], operation_id="clear_dag_runs")
