"""`/api/v2/dags/{dag_id}/dagRuns`: list (`~` for every DAG), batch list, get, trigger, patch,
delete, clear, wait.

Riir-specific choices, where Airflow leaves room:
- Triggering needs the DAG to be registered (404 otherwise); the run is created here (queued,
  manual, triggered_by rest_api) and its app is told (`actions.trigger`). `logical_date` must
  be in the body and may be null; the data interval is `data_interval_start/end` when both are
  given, else logical_date..logical_date. The conf is checked against the params the DAG's app
  registered (`broker.registered_params`; 400 with the SDK's `Invalid input for param x: ...`,
  nothing created), as Airflow's `create_dagrun` does; not for a DAG an older app registered.
- Deleting a queued or running run is refused (409): its app is still working on it; mark it
  failed first (also in the bulk delete of `dag_runs_bulk`).
- `order_by=id` sorts by `run_after` (runs have no surrogate id here).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from riir_airflow.broker.api import actions
from riir_airflow.broker.api.convert import run_response, ti_response
from riir_airflow.broker.api.deps import (
    EDIT,
    READ,
    PageDep,
    audit,
    bad_request,
    conflict,
    context,
    date_ranges,
    not_found,
    parse_order,
    queries,
    range_conditions,
    require,
)
from riir_airflow.broker.api.schemas import (
    DAGRunClearBody,
    DAGRunCollectionResponse,
    DAGRunPatchBody,
    DAGRunResponse,
    DAGRunsBatchBody,
    TriggerDAGRunPostBody,
)
from riir_airflow.broker.api.schemas_ti import ClearTaskInstanceCollectionResponse
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.broker.registered_params import check_conf
from riir_airflow.metastore.api_queries import Condition
from riir_airflow.sdk.exceptions import ParamValidationError
from riir_airflow.sdk.run_type import DagRunType, generate_run_id
from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunAlreadyExists, DagRunRecord
from riir_airflow.wire.messages import SerializedDag

__all__ = [
    "clear_runs",
    "dag_runs_router",
    "delete_run",
    "require_dag",
    "require_run",
    "runs_page",
    "trigger_run",
]

RUN_ORDER = ("id", "state", "dag_id", "run_id", "dag_run_id", "logical_date", "run_after", "start_date",
             "end_date", "conf", "run_type")  # fmt: skip
RUN_DATES = ("run_after", "logical_date", "start_date", "end_date")
_Reader = Annotated[Principal, Depends(require(READ))]
_Editor = Annotated[Principal, Depends(require(EDIT))]


def require_dag(ctx: BrokerContext, dag_id: str) -> Any:
    """The DAG's row (`DagState`); 404 unless `dag_id` is registered (`~`, every DAG, always
    passes: None)."""
    if dag_id == "~":
        return None
    dag = ctx.registry.get_dag(dag_id)
    if dag is None:
        raise not_found(f"The Dag with ID: `{dag_id}` was not found")
    return dag


def require_run(ctx: BrokerContext, dag_id: str, run_id: str) -> Any:
    """The run's row (with `dag_version_id`); 404 if there is none."""
    row = queries(ctx).one("dag_run", [("dag_id", "eq", dag_id), ("run_id", "eq", run_id)])
    if row is None:
        raise not_found(f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` was not found")
    return row


def runs_page(
    ctx: BrokerContext, conds: Sequence[Condition], order: Any, limit: int, offset: int
) -> DAGRunCollectionResponse:
    q = queries(ctx)
    rows, total = q.page("dag_run", conds, order, limit, offset)
    versions = q.dag_versions_by_id([row["dag_version_id"] for row in rows])
    return DAGRunCollectionResponse(
        dag_runs=[run_response(row, versions) for row in rows], total_entries=total
    )


def _run(ctx: BrokerContext, dag_id: str, run_id: str) -> DAGRunResponse:
    row = require_run(ctx, dag_id, run_id)
    return run_response(row, queries(ctx).dag_versions_by_id([row["dag_version_id"]]))


def get_dag_runs(
    request: Request,
    dag_id: str,
    page: PageDep,
    _: _Reader,
    dates: Annotated[list[Condition], Depends(date_ranges(*RUN_DATES))],
    run_type: Annotated[list[str] | None, Query()] = None,
    state: Annotated[list[str] | None, Query()] = None,
    order_by: Annotated[list[str] | None, Query()] = None,
    run_id_pattern: str | None = None,
    run_id_prefix_pattern: str | None = None,
    dag_id_pattern: str | None = None,
    dag_id_prefix_pattern: str | None = None,
    conf_contains: str | None = None,
) -> DAGRunCollectionResponse:
    """List runs of a DAG, or of every DAG with `~`."""
    ctx = context(request)
    require_dag(ctx, dag_id)
    order = parse_order(order_by, RUN_ORDER, ["id"])
    conds: list[Condition] = [] if dag_id == "~" else [("dag_id", "eq", dag_id)]
    conds += dates
    for name, op, value in (("run_type", "in", run_type), ("state", "in", state), ("run_id", "pattern", run_id_pattern),
                            ("run_id", "prefix", run_id_prefix_pattern), ("dag_id", "pattern", dag_id_pattern),
                            ("dag_id", "prefix", dag_id_prefix_pattern), ("conf", "contains", conf_contains)):  # fmt: skip
        if value:
            conds.append((name, op, value))
    return runs_page(ctx, conds, order, page.limit, page.offset)


def get_list_dag_runs_batch(
    request: Request, dag_id: str, body: DAGRunsBatchBody, _: _Reader
) -> DAGRunCollectionResponse:
    """List runs selected by a JSON body (for long lists of dag_ids)."""
    ctx = context(request)
    require_dag(ctx, dag_id)
    order = parse_order(body.order_by, RUN_ORDER, ["id"])
    conds: list[Condition] = [] if dag_id == "~" else [("dag_id", "eq", dag_id)]
    if body.dag_ids:
        conds.append(("dag_id", "in", body.dag_ids))
    if body.states:
        conds.append(("state", "in", [s.value for s in body.states if s is not None]))
    if body.conf_contains:
        conds.append(("conf", "contains", body.conf_contains))
    conds += range_conditions(body.model_dump(), RUN_DATES)
    from riir_airflow.broker.api.deps import Page

    return runs_page(ctx, conds, order, Page.clamp(body.page_limit), body.page_offset)


def get_dag_run(request: Request, dag_id: str, dag_run_id: str, _: _Reader) -> DAGRunResponse:
    """Get one run."""
    return _run(context(request), dag_id, dag_run_id)


def trigger_dag_run(
    request: Request, dag_id: str, body: TriggerDAGRunPostBody, principal: _Editor
) -> DAGRunResponse:
    """Create a manual run (queued) and tell the DAG's app to run it. As Airflow: 400 when the
    DAG's file has an import error now (no app would run it) or its `allowed_run_types` leave out
    manual runs; a trigger from a page (a Referer header) is `triggered_by` ui."""
    ctx = context(request)
    dag = require_dag(ctx, dag_id)
    if dag is None:
        raise bad_request("a run is triggered for one DAG, not `~`")
    if dag.has_import_errors:  # set while its file's import error stands
        raise bad_request(f"Dag with dag_id: '{dag_id}' has import errors and cannot be triggered")
    serialized = ctx.registry.serialized_dag(dag_id)
    allowed = serialized.allowed_run_types if serialized is not None else None
    if allowed is not None and DagRunType.MANUAL.value not in allowed:
        raise bad_request(f"Dag with dag_id: '{dag_id}' does not allow manual runs")
    by = "ui" if request.headers.get("referer") else "rest_api"
    return trigger_run(ctx, principal, dag_id, body, DagRunType.MANUAL, serialized, triggered_by=by)


def trigger_run(
    ctx: BrokerContext,
    principal: Principal,
    dag_id: str,
    body: TriggerDAGRunPostBody,
    run_type: DagRunType,
    serialized: SerializedDag | None,
    *,
    triggered_by: str = "rest_api",
) -> DAGRunResponse:
    """Create a queued run of `run_type` (triggered by the REST API) of the registered DAG
    `dag_id` (`serialized`: as registered, read by the caller) from a trigger body and tell its
    app (`actions.trigger`); the run as answered.
    400 when only one end of the data interval is given or the conf breaks the DAG's params, 409
    when the run id or logical date is taken."""
    if (body.data_interval_start is None) != (body.data_interval_end is None):
        raise bad_request(
            "Either both data_interval_start and data_interval_end must be provided or both must be None"
        )
    try:
        check_conf(serialized, body.conf)
    except ParamValidationError as err:
        raise bad_request(str(err)) from None
    now = ctx.now()
    logical = body.logical_date
    run_after = body.run_after or now
    start, end = (
        (body.data_interval_start, body.data_interval_end) if body.data_interval_start else (logical, logical)
    )
    run_id = body.dag_run_id or generate_run_id(run_type=run_type, logical_date=logical, run_after=run_after)
    run = DagRunRecord(
        dag_id=dag_id, run_id=run_id, run_type=run_type.value, state=DagRunState.QUEUED, run_after=run_after,
        logical_date=logical, data_interval_start=start, data_interval_end=end, conf=dict(body.conf or {}),
        triggered_by=triggered_by, note=body.note,
    )  # fmt: skip
    try:
        actions.trigger(ctx, principal, run)
    except DagRunAlreadyExists:
        raise conflict(
            f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` (or logical_date `{logical}`) already exists"
        ) from None
    return _run(ctx, dag_id, run_id)


def patch_dag_run(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    body: DAGRunPatchBody,
    principal: _Editor,
    update_mask: Annotated[list[str] | None, Query()] = None,
) -> DAGRunResponse:
    """Set a run's state (its app is told) and/or note."""
    ctx = context(request)
    require_run(ctx, dag_id, dag_run_id)
    fields = set(update_mask) if update_mask else set(body.model_fields_set)
    unknown = fields - {"state", "note"}
    if unknown:
        raise bad_request(f"Invalid field(s) in update mask: {sorted(unknown)}")
    state = body.state.value if "state" in fields and body.state is not None else None
    note = body.note if "note" in fields else None
    actions.mark_run(ctx, principal, dag_id, dag_run_id, state=state, note=note)
    return _run(ctx, dag_id, dag_run_id)


def delete_run(ctx: BrokerContext, principal: Principal, row: Any) -> None:
    """Delete the run of `row` with everything of it and its event-log row (one transaction,
    joining the caller's); 409 for a queued or running run (its app is still working on it)."""
    dag_id, run_id = row["dag_id"], row["run_id"]
    if row["state"] in ("queued", "running"):
        raise conflict(
            f"The DagRun with dag_id: `{dag_id}` and run_id: `{run_id}` cannot be deleted in {row['state']} "
            "state: mark it failed before deleting it"
        )
    with ctx.registry.transaction():
        ctx.store.delete_dag_run(dag_id, run_id)
        audit(ctx, principal, "delete_dag_run", dag_id=dag_id, run_id=run_id)


def delete_dag_run(request: Request, dag_id: str, dag_run_id: str, principal: _Editor) -> Response:
    """Delete a finished run with everything of it."""
    ctx = context(request)
    delete_run(ctx, principal, require_run(ctx, dag_id, dag_run_id))
    return Response(status_code=204)


def clear_runs(
    ctx: BrokerContext, principal: Principal, keys: Sequence[tuple[str, str]], *, only_failed: bool,
    dry_run: bool, note: str | None, event: str,
) -> ClearTaskInstanceCollectionResponse | DAGRunCollectionResponse:  # fmt: skip
    """Clear the task instances of each run of `keys` ((dag_id, run_id); all of them, or only
    the failed and upstream_failed ones), requeue the finished runs and tell their apps; the
    runs as cleared. With `dry_run`, change nothing: the task instances that would be cleared.
    Every run is looked up first: an unknown one is a 404 before anything changes."""
    q = queries(ctx)
    selected = []
    for dag_id, run_id in dict.fromkeys(keys):
        require_run(ctx, dag_id, run_id)
        conds: list[Condition] = [("dag_id", "eq", dag_id), ("run_id", "eq", run_id)]
        if only_failed:
            conds.append(("state", "in", ["failed", "upstream_failed"]))
        selected.append(
            (dag_id, run_id, q.page("task_instance", conds, [("task_id", False), ("map_index", False)])[0])
        )
    if dry_run:
        rows = [row for *_, found in selected for row in found]
        versions = q.dag_versions_by_id([row["dag_version_id"] for row in rows])
        return ClearTaskInstanceCollectionResponse(
            task_instances=[ti_response(row, versions) for row in rows], total_entries=len(rows)
        )
    for dag_id, run_id, found in selected:
        task_ids = sorted({row["task_id"] for row in found})
        indexes: dict[str, list[int]] = {}
        if only_failed:  # only the failed map indexes of a task, as the dry run lists them
            for row in found:
                indexes.setdefault(row["task_id"], []).append(row["map_index"])
        actions.clear(ctx, principal, dag_id, run_id, task_ids, event=event, map_indexes=indexes,
                      only_failed=only_failed, note=note)  # fmt: skip
    runs = [_run(ctx, dag_id, run_id) for dag_id, run_id, _ in selected]
    return DAGRunCollectionResponse(dag_runs=runs, total_entries=len(runs))


def clear_dag_run(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    body: DAGRunClearBody,
    principal: _Editor,
) -> ClearTaskInstanceCollectionResponse | DAGRunResponse:
    """Clear a run's task instances (all, or only failed ones); `dry_run` lists them instead."""
    answer = clear_runs(context(request), principal, [(dag_id, dag_run_id)], only_failed=body.only_failed,
                        dry_run=body.dry_run, note=body.note, event="clear_dag_run")  # fmt: skip
    return answer.dag_runs[0] if isinstance(answer, DAGRunCollectionResponse) else answer


async def wait_dag_run_until_finished(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    _: _Reader,
    interval: Annotated[float, Query(gt=0)],
    result: Annotated[list[str] | None, Query()] = None,
) -> StreamingResponse:
    """Stream the run's state as NDJSON every `interval` seconds until it finishes; the last line
    carries the return-value XComs of the `result` tasks."""
    ctx = context(request)
    await run_in_threadpool(require_run, ctx, dag_id, dag_run_id)

    async def lines() -> AsyncIterator[bytes]:
        while True:
            run = await run_in_threadpool(ctx.store.get_dag_run, dag_id, dag_run_id)
            if run is None:
                return
            state = DagRunState(run.state).value
            if state in ("success", "failed"):
                line: dict[str, Any] = {"state": state}
                if result:
                    records = await run_in_threadpool(
                        ctx.store.get_xcoms, dag_id, run_id=dag_run_id, task_ids=result, keys=["return_value"]
                    )
                    line["results"] = {x.task_id: json.loads(x.value) for x in records if x.map_index == -1}
                yield (json.dumps(line) + "\n").encode()
                return
            yield (json.dumps({"state": state}) + "\n").encode()
            await asyncio.sleep(interval)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def dag_runs_router() -> APIRouter:
    """The routes of this module and of `dag_runs_bulk` (bulk actions, clearing many runs)."""
    from riir_airflow.broker.api.dag_runs_bulk import add_bulk_routes

    router = APIRouter(prefix="/api/v2/dags/{dag_id}", tags=["DagRun"])
    add_bulk_routes(router)
    add = router.add_api_route
    add("/dagRuns", get_dag_runs, methods=["GET"], operation_id="get_dag_runs")
    add("/dagRuns", trigger_dag_run, methods=["POST"], operation_id="trigger_dag_run")
    add("/dagRuns/list", get_list_dag_runs_batch, methods=["POST"], operation_id="get_list_dag_runs_batch")
    add("/dagRuns/{dag_run_id}", get_dag_run, methods=["GET"], operation_id="get_dag_run")
    add("/dagRuns/{dag_run_id}", patch_dag_run, methods=["PATCH"], operation_id="patch_dag_run")
    add("/dagRuns/{dag_run_id}", delete_dag_run, methods=["DELETE"], status_code=204, operation_id="delete_dag_run",
        response_class=Response)  # fmt: skip
    add("/dagRuns/{dag_run_id}/clear", clear_dag_run, methods=["POST"], operation_id="clear_dag_run")
    add("/dagRuns/{dag_run_id}/wait", wait_dag_run_until_finished, methods=["GET"],
        operation_id="wait_dag_run_until_finished", response_class=StreamingResponse)  # fmt: skip
    return router
