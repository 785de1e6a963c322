"""`/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances...` and `clearTaskInstances`: list
(`~` for every DAG or run), batch list, get (mapped or not), mapped listing, tries, clear; patch
state or note (with dry run) is `task_instances_patch`.

Riir-specific choices: a patch's or clear's `include_upstream`/`include_downstream` follow the
task graph of the DAG's newest registration; `include_past`/`include_future` are refused (400).
A `[task_id, map_index]` pair in `clearTaskInstances` clears that map index only (a plain task
id, or a task added by `include_upstream`/`include_downstream`, every map index of it), and
`only_failed`/`only_running` clear just the instances in that state: the answer (and a dry run)
lists exactly the instances that are cleared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from riir_airflow.broker.api import actions
from riir_airflow.broker.api.convert import history_response, ti_response
from riir_airflow.broker.api.dag_runs import require_dag, require_run
from riir_airflow.broker.api.deps import (
    EDIT,
    READ,
    Page,
    PageDep,
    bad_request,
    context,
    date_ranges,
    not_found,
    parse_order,
    queries,
    range_conditions,
    require,
)
from riir_airflow.broker.api.schemas_ti import (
    ClearTaskInstancesBody,
    TaskInstanceCollectionResponse,
    TaskInstanceHistoryCollectionResponse,
    TaskInstanceHistoryResponse,
    TaskInstanceResponse,
    TaskInstancesBatchBody,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.metastore.api_queries import Condition

__all__ = ["relatives", "task_instances_router", "ti_row"]

TI_ORDER = ("id", "task_id", "map_index", "state", "start_date", "end_date", "try_number", "pool", "queue",
            "priority_weight", "operator", "run_after", "logical_date", "dag_id", "run_id", "dag_run_id",
            "hostname", "operator_name")  # fmt: skip
TI_DATES = ("run_after", "logical_date", "start_date", "end_date")
_Reader = Annotated[Principal, Depends(require(READ))]
_Editor = Annotated[Principal, Depends(require(EDIT))]


def _states(values: Sequence[str | None]) -> list[str]:
    """API state names -> stored ones (`null`/`none`/`no_status` is "none")."""
    return ["none" if v in (None, "", "none", "null", "no_status") else str(v) for v in values]


def _collection(
    ctx: BrokerContext, conds: Sequence[Condition], order: Any, limit: int | None, offset: int
) -> Any:
    q = queries(ctx)
    rows, total = q.page("task_instance", conds, order, limit, offset)
    versions = q.dag_versions_by_id([row["dag_version_id"] for row in rows])
    return TaskInstanceCollectionResponse(
        task_instances=[ti_response(row, versions) for row in rows], total_entries=total
    )


def _scope(ctx: BrokerContext, dag_id: str, dag_run_id: str) -> list[Condition]:
    require_dag(ctx, dag_id)
    conds: list[Condition] = [] if dag_id == "~" else [("dag_id", "eq", dag_id)]
    if dag_run_id != "~":
        if dag_id != "~":
            require_run(ctx, dag_id, dag_run_id)
        conds.append(("run_id", "eq", dag_run_id))
    return conds


def get_task_instances(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    page: PageDep,
    _: _Reader,
    dates: Annotated[list[Condition], Depends(date_ranges(*TI_DATES))],
    task_id: str | None = None,
    state: Annotated[list[str] | None, Query()] = None,
    pool: Annotated[list[str] | None, Query()] = None,
    queue: Annotated[list[str] | None, Query()] = None,
    operator: Annotated[list[str] | None, Query()] = None,
    try_number: Annotated[list[int] | None, Query()] = None,
    map_index: Annotated[list[int] | None, Query()] = None,
    task_display_name_pattern: str | None = None,
    dag_id_pattern: str | None = None,
    run_id_pattern: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:
    """List task instances of a run (`~`: of every run, of every DAG)."""
    ctx = context(request)
    conds = _scope(ctx, dag_id, dag_run_id) + dates
    if task_id is not None:
        conds.append(("task_id", "eq", task_id))
    for name, values in (("state", _states(state) if state else None), ("pool", pool), ("queue", queue),
                         ("operator", operator), ("try_number", try_number), ("map_index", map_index)):  # fmt: skip
        if values:
            conds.append((name, "in", values))
    for name, pattern in (
        ("task_id", task_display_name_pattern),
        ("dag_id", dag_id_pattern),
        ("run_id", run_id_pattern),
    ):
        if pattern:
            conds.append((name, "pattern", pattern))
    order = parse_order(order_by, TI_ORDER, ["map_index"])
    return _collection(ctx, conds, order, page.limit, page.offset)


def get_task_instances_batch(
    request: Request, dag_id: str, dag_run_id: str, body: TaskInstancesBatchBody, _: _Reader
) -> TaskInstanceCollectionResponse:
    """List task instances selected by a JSON body."""
    ctx = context(request)
    conds = _scope(ctx, dag_id, dag_run_id) + range_conditions(body.model_dump(), TI_DATES)
    for name, values in (("dag_id", body.dag_ids), ("run_id", body.dag_run_ids), ("task_id", body.task_ids),
                         ("state", _states([s and s.value for s in body.state]) if body.state else None),
                         ("pool", body.pool), ("queue", body.queue)):  # fmt: skip
        if values:
            conds.append((name, "in", values))
    order = parse_order(body.order_by, TI_ORDER, ["map_index"])
    return _collection(ctx, conds, order, Page.clamp(body.page_limit), body.page_offset)


def ti_row(ctx: BrokerContext, dag_id: str, run_id: str, task_id: str, map_index: int) -> Any:
    """The task instance's row (with its run's columns); 404 for an unknown run or instance."""
    require_run(ctx, dag_id, run_id)
    key = [("dag_id", "eq", dag_id), ("run_id", "eq", run_id), ("task_id", "eq", task_id)]
    row = queries(ctx).one("task_instance", [*key, ("map_index", "eq", map_index)])
    if row is None:
        mapped = map_index == -1 and queries(ctx).one("task_instance", key) is not None
        hint = ", add the map_index value to the URL" if mapped else ""
        raise not_found(
            f"The Task Instance with dag_id: `{dag_id}`, run_id: `{run_id}`, task_id: `{task_id}` and map_index: "
            f"`{map_index}` was not found{hint}"
        )
    return row


def get_task_instance(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, _: _Reader, map_index: int = -1
) -> TaskInstanceResponse:
    """Get one task instance (with its rendered template fields)."""
    ctx = context(request)
    row = ti_row(ctx, dag_id, dag_run_id, task_id, map_index)
    rendered = ctx.store.get_rendered_fields(dag_id, dag_run_id, task_id, map_index)
    return ti_response(row, queries(ctx).dag_versions_by_id([row["dag_version_id"]]), rendered)


def get_mapped_task_instance(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, who: _Reader
) -> TaskInstanceResponse:
    """Get one map index of a mapped task."""
    return get_task_instance(request, dag_id, dag_run_id, task_id, who, map_index)


def get_mapped_task_instances(
    request: Request,
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    page: PageDep,
    _: _Reader,
    state: Annotated[list[str] | None, Query()] = None,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> TaskInstanceCollectionResponse:
    """List the map indexes of a mapped task."""
    ctx = context(request)
    require_run(ctx, dag_id, dag_run_id)
    conds: list[Condition] = [("dag_id", "eq", dag_id), ("run_id", "eq", dag_run_id), ("task_id", "eq", task_id),
                              ("map_index", "gte", 0)]  # fmt: skip
    if state:
        conds.append(("state", "in", _states(state)))
    return _collection(ctx, conds, parse_order(order_by, TI_ORDER, ["map_index"]), page.limit, page.offset)


def get_task_instance_tries(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, _: _Reader, map_index: int = -1
) -> TaskInstanceHistoryCollectionResponse:
    """Every try of a task instance, oldest first."""
    ctx = context(request)
    ti_row(ctx, dag_id, dag_run_id, task_id, map_index)
    q = queries(ctx)
    conds = [("dag_id", "eq", dag_id), ("run_id", "eq", dag_run_id), ("task_id", "eq", task_id),
             ("map_index", "eq", map_index)]  # fmt: skip
    rows, total = q.page("ti_history", conds, [("try_number", False)])
    versions = q.dag_versions_by_id([row["dag_version_id"] for row in rows])
    return TaskInstanceHistoryCollectionResponse(
        task_instances=[history_response(row, versions) for row in rows], total_entries=total
    )


def get_mapped_task_instance_tries(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, who: _Reader
) -> TaskInstanceHistoryCollectionResponse:
    return get_task_instance_tries(request, dag_id, dag_run_id, task_id, who, map_index)


def get_task_instance_try_details(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, task_try_number: int, who: _Reader,
    map_index: int = -1,
) -> TaskInstanceHistoryResponse:  # fmt: skip
    """One try of a task instance."""
    tries = get_task_instance_tries(request, dag_id, dag_run_id, task_id, who, map_index).task_instances
    for entry in tries:
        if entry.try_number == task_try_number:
            return entry
    raise not_found(f"The Task Instance with dag_id: `{dag_id}`, run_id: `{dag_run_id}`, task_id: `{task_id}`, "
                    f"try_number: `{task_try_number}` and map_index: `{map_index}` was not found")  # fmt: skip


def get_mapped_task_instance_try_details(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, task_try_number: int,
    who: _Reader,
) -> TaskInstanceHistoryResponse:  # fmt: skip
    return get_task_instance_try_details(
        request, dag_id, dag_run_id, task_id, task_try_number, who, map_index
    )


def relatives(
    ctx: BrokerContext, dag_id: str, task_ids: Sequence[str], *, upstream: bool, downstream: bool
) -> list[str]:
    """`task_ids` plus their upstream and/or downstream tasks (transitively), from the DAG's graph."""
    found = set(task_ids)
    if not (upstream or downstream):
        return sorted(found)
    serialized = ctx.registry.serialized_dag(dag_id)
    edges: dict[str, set[str]] = {}
    for task in serialized.tasks if serialized else ():
        for child in task.downstream_task_ids:
            if downstream:
                edges.setdefault(task.task_id, set()).add(child)
            if upstream:
                edges.setdefault(child, set()).add(task.task_id)
    todo = list(found)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return sorted(found)


def post_clear_task_instances(
    request: Request, dag_id: str, body: ClearTaskInstancesBody, principal: _Editor
) -> TaskInstanceCollectionResponse:
    """Clear task instances of one run (`dag_run_id`) or of the runs between `start_date` and
    `end_date` (logical dates); `dry_run` (the default) lists them instead."""
    ctx = context(request)
    require_dag(ctx, dag_id)
    if body.include_past or body.include_future:
        raise bad_request("include_past and include_future are not supported")
    q = queries(ctx)
    run_conds: list[Condition] = [("dag_id", "eq", dag_id)]
    if body.dag_run_id is not None:
        require_run(ctx, dag_id, body.dag_run_id)
        run_conds.append(("run_id", "eq", body.dag_run_id))
    run_conds += [
        c for c in (("logical_date", "gte", body.start_date), ("logical_date", "lte", body.end_date)) if c[2]
    ]
    runs, _ = q.page("dag_run", run_conds, [("run_after", False)])
    named = [t if isinstance(t, str) else t[0] for t in body.task_ids or ()]
    plain = {t for t in body.task_ids or () if isinstance(t, str)}
    pairs: dict[str, set[int]] = {}
    for t in body.task_ids or ():
        if not isinstance(t, str) and t[0] not in plain:
            pairs.setdefault(t[0], set()).add(t[1])
    conds: list[Condition] = [("dag_id", "eq", dag_id), ("run_id", "in", [r["run_id"] for r in runs])]
    if named:
        ids = relatives(
            ctx, dag_id, named, upstream=body.include_upstream, downstream=body.include_downstream
        )
        conds.append(("task_id", "in", ids))
    if body.only_failed:
        conds.append(("state", "in", ["failed", "upstream_failed"]))
    if body.only_running:
        conds.append(("state", "eq", "running"))
    rows, _ = q.page("task_instance", conds, [("run_after", False), ("task_id", False), ("map_index", False)])
    rows = [r for r in rows if r["task_id"] not in pairs or r["map_index"] in pairs[r["task_id"]]]
    versions = q.dag_versions_by_id([row["dag_version_id"] for row in rows])
    answer = TaskInstanceCollectionResponse(
        task_instances=[ti_response(row, versions) for row in rows], total_entries=len(rows)
    )
    if not body.dry_run:
        # What is listed is what is cleared: a task named by pairs, or narrowed by a state
        # filter, is cleared by the map indexes of its rows; any other task has all of them here.
        narrowed = body.only_failed or body.only_running
        by_run: dict[str, dict[str, list[int]]] = {}
        for row in rows:
            by_run.setdefault(row["run_id"], {}).setdefault(row["task_id"], []).append(row["map_index"])
        for run_id, found in sorted(by_run.items()):
            indexes = {task_id: found[task_id] for task_id in found if narrowed or task_id in pairs}
            actions.clear(ctx, principal, dag_id, run_id, sorted(found), event="post_clear_task_instances",
                          map_indexes=indexes, only_failed=body.only_failed, note=body.note,
                          reset_run=body.reset_dag_runs)  # fmt: skip
    return answer


def task_instances_router() -> APIRouter:
    """The routes of this module, `task_instances_bulk` (bulk, delete, task groups),
    `task_instances_info` (dependencies, external log URL, extra links) and
    `task_instances_patch` (patch, dry run): those first, as `.../{task_id}/{map_index}` would
    match their paths."""
    from riir_airflow.broker.api.task_instances_bulk import add_bulk_routes
    from riir_airflow.broker.api.task_instances_info import add_info_routes
    from riir_airflow.broker.api.task_instances_patch import add_patch_routes

    router = APIRouter(prefix="/api/v2/dags/{dag_id}", tags=["Task Instance"])
    add_info_routes(router)
    add_bulk_routes(router)
    add_patch_routes(router)
    base = "/dagRuns/{dag_run_id}/taskInstances"
    one, mapped = f"{base}/{{task_id}}", f"{base}/{{task_id}}/{{map_index}}"
    routes = [
        (base, get_task_instances, "GET"), (f"{base}/list", get_task_instances_batch, "POST"),
        (f"{one}/listMapped", get_mapped_task_instances, "GET"), (f"{one}/tries", get_task_instance_tries, "GET"),
        (f"{one}/tries/{{task_try_number}}", get_task_instance_try_details, "GET"), (one, get_task_instance, "GET"),
        (f"{mapped}/tries", get_mapped_task_instance_tries, "GET"),
        (f"{mapped}/tries/{{task_try_number}}", get_mapped_task_instance_try_details, "GET"),
        (mapped, get_mapped_task_instance, "GET"), ("/clearTaskInstances", post_clear_task_instances, "POST"),
    ]  # fmt: skip
    for path, endpoint, method in routes:
        router.add_api_route(path, endpoint, methods=[method], operation_id=endpoint.__name__)
    return router
