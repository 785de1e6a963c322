"""`/api/v2/backfills`: list, create, dry run, get, pause, unpause, cancel (Airflow 3.3's API).

How a backfill works here (docs/decisions/0008-backfills.md):
- The broker plans it (`broker.backfill_plan`: the engine's planner over the timetable the DAG's
  app registered) and, in one transaction, records the backfill, creates its runs (queued,
  run_type backfill; finished runs to reprocess cleared and queued again), records the event
  log row and queues a `backfill` command for the DAG's app; then wakes the app.
- The app starts a backfill's queued runs in backfill order, at most its `max_active_runs` at
  once (the DAG's own `max_active_runs` does not count them), none while the backfill (or the
  DAG) is paused; it asks the broker for the active backfills (`broker.backfill_routes`).
- A backfill is completed when none of its runs is queued or running (`metastore.backfills`);
  cancel pauses it, fails its queued runs and completes it at once; running runs go on.

Status codes and bodies follow Airflow's: 404 `Could not find dag X` / `Backfill not found`, 409
for a second active backfill of a DAG and for pausing/unpausing/cancelling a completed one, 400
when the DAG does not allow backfill runs, 422 `{"detail": message}` for a request the planner
refuses (dates, direction, reprocess behaviour, nothing to run, schedule) or whose `dag_run_conf`
breaks the params the DAG's app registered (`broker.registered_params`), and 400 when the
DAG's timetable is a custom class the broker cannot rebuild (riir-specific). dry_run answers the
logical dates a backfill would create or reprocess, without writing anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError

from riir_airflow.broker.api.deps import (
    EDIT,
    READ,
    PageDep,
    announce,
    audit,
    bad_request,
    conflict,
    context,
    not_found,
    parse_order,
    require,
)
from riir_airflow.broker.api.schemas_backfills import (
    BackfillCollectionResponse,
    BackfillPostBody,
    BackfillResponse,
    DryRunBackfillCollectionResponse,
    DryRunBackfillResponse,
)
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.backfill_plan import UnknownTimetable, plan_backfill, write_runs
from riir_airflow.broker.context import BrokerContext
from riir_airflow.broker.registered_params import check_conf
from riir_airflow.engine import BackfillError, BackfillPlan
from riir_airflow.engine.runs import DagRunTypeNotAllowed, NoBackfillRunsToCreate
from riir_airflow.metastore.backfills import AlreadyRunningBackfill, BackfillRow, BackfillTable
from riir_airflow.sdk.exceptions import ParamValidationError
from riir_airflow.wire.messages import Command, CommandKind, SerializedDag

__all__ = ["backfills_router"]

BACKFILL_NOT_FOUND = "Backfill not found"
_Reader = Annotated[Principal, Depends(require(READ))]
_Editor = Annotated[Principal, Depends(require(EDIT))]
_BackfillId = Annotated[int, Path(ge=0)]


def _table(ctx: BrokerContext) -> BackfillTable:
    return BackfillTable(ctx.store.db)


def _response(row: BackfillRow) -> BackfillResponse:
    return BackfillResponse(
        id=row.id, dag_id=row.dag_id, from_date=row.from_date, to_date=row.to_date, dag_run_conf=row.dag_run_conf,
        is_paused=row.is_paused, reprocess_behavior=row.reprocess_behavior,  # type: ignore[arg-type]
        max_active_runs=row.max_active_runs, created_at=row.created_at, completed_at=row.completed_at,
        updated_at=row.updated_at, dag_display_name=row.dag_display_name,
    )  # fmt: skip


def _require_dag(ctx: BrokerContext, dag_id: str) -> None:
    if ctx.registry.get_dag(dag_id) is None or ctx.registry.serialized_dag(dag_id) is None:
        raise not_found(f"Could not find dag {dag_id}")


def _plan(ctx: BrokerContext, body: BackfillPostBody, *, empty_ok: bool = False) -> BackfillPlan | None:
    """The engine's plan for `body` (None for an empty range when `empty_ok`), or Airflow's error
    answer for a refused request."""
    serialized = ctx.registry.serialized_dag(body.dag_id)
    if serialized is None:
        raise not_found(f"Could not find dag {body.dag_id}")
    try:
        plan = plan_backfill(
            ctx.store, serialized, from_date=body.from_date, to_date=body.to_date,
            reprocess_behavior=body.reprocess_behavior.value, run_backwards=body.run_backwards, now=ctx.now(),
        )  # fmt: skip
    except (DagRunTypeNotAllowed, UnknownTimetable) as exc:
        raise bad_request(str(exc)) from None
    except NoBackfillRunsToCreate as exc:
        _check_conf(serialized, body)  # Airflow judges the conf before finding nothing to run
        if empty_ok:
            return None
        raise RequestValidationError(str(exc)) from None
    except BackfillError as exc:
        raise RequestValidationError(str(exc)) from None
    _check_conf(serialized, body)
    return plan


def _check_conf(serialized: SerializedDag, body: BackfillPostBody) -> None:
    """Airflow's 422 for a `dag_run_conf` that breaks the registered params (after the date,
    direction and reprocess checks); a body without `dag_run_conf` is not checked, as there."""
    if body.dag_run_conf is None:
        return
    try:
        check_conf(serialized, body.dag_run_conf)
    except ParamValidationError as exc:
        raise RequestValidationError(str(exc)) from None


def _tell_app(ctx: BrokerContext, principal: Principal, event: str, row: BackfillRow) -> None:
    """Queue the `backfill` command and the event-log row (inside the caller's transaction)."""
    ctx.registry.enqueue_command(Command(kind=CommandKind.BACKFILL, dag_id=row.dag_id), ctx.now())
    audit(ctx, principal, event, dag_id=row.dag_id, extra={"backfill_id": row.id})


# -- routes ---------------------------------------------------------------------------------------
def list_backfills(
    request: Request,
    dag_id: str,
    page: PageDep,
    _: _Reader,
    order_by: Annotated[list[str] | None, Query()] = None,
) -> BackfillCollectionResponse:
    """The DAG's backfills (any DAG id; none for an unknown one), ordered by `id`."""
    ctx = context(request)
    descending = parse_order(order_by, ("id",), ["id"])[0][1]
    rows, total = _table(ctx).page(dag_id, descending=descending, limit=page.limit, offset=page.offset,
                                   now=ctx.now())  # fmt: skip
    return BackfillCollectionResponse(backfills=[_response(r) for r in rows], total_entries=total)


def get_backfill(request: Request, backfill_id: _BackfillId, _: _Reader) -> BackfillResponse:
    ctx = context(request)
    row = _table(ctx).get(backfill_id, ctx.now())
    if row is None:
        raise not_found(BACKFILL_NOT_FOUND)
    return _response(row)


def create_backfill(request: Request, body: BackfillPostBody, principal: _Editor) -> BackfillResponse:
    """Plan the backfill, create its runs and tell the DAG's app (see the module docstring)."""
    ctx = context(request)
    _require_dag(ctx, body.dag_id)
    table = _table(ctx)
    try:
        table.check_none_active(body.dag_id, ctx.now())  # Airflow answers 409 before judging the dates
        plan = _plan(ctx, body)
        assert plan is not None
        with ctx.registry.transaction():
            table.check_none_active(body.dag_id, ctx.now())
            entries = write_runs(ctx.store, plan, body.dag_run_conf)
            row = table.create(
                dag_id=body.dag_id, from_date=plan.from_date, to_date=plan.to_date,
                dag_run_conf=body.dag_run_conf or {}, reprocess_behavior=plan.reprocess_behavior.value,
                max_active_runs=body.max_active_runs, run_backwards=body.run_backwards,
                triggering_user_name=principal.name, entries=entries, now=ctx.now(),
            )  # fmt: skip
            _tell_app(ctx, principal, "create_backfill", row)
    except AlreadyRunningBackfill:
        raise conflict(f"There is already a running backfill for dag {body.dag_id}") from None
    ctx.log.info("backfill created id=%s dag_id=%s runs=%s", row.id, row.dag_id, len(plan.to_run))
    announce(ctx, [row.dag_id])
    return _response(row)


def create_backfill_dry_run(
    request: Request, body: BackfillPostBody, _: _Editor
) -> DryRunBackfillCollectionResponse:
    """The logical dates the backfill would create or reprocess runs for, in its order."""
    ctx = context(request)
    _require_dag(ctx, body.dag_id)
    plan = _plan(ctx, body, empty_ok=True)  # Airflow's dry run lists nothing rather than refusing
    entries = plan.to_run if plan is not None else ()
    backfills = [DryRunBackfillResponse(logical_date=e.logical_date) for e in entries]
    return DryRunBackfillCollectionResponse(backfills=backfills, total_entries=len(backfills))


def _change(request: Request, backfill_id: int, principal: Principal, event: str) -> BackfillResponse:
    """Pause, unpause or cancel (`event`); 404 unknown, 409 already completed."""
    ctx = context(request)
    table, now = _table(ctx), ctx.now()
    with ctx.registry.transaction():
        row = table.get(backfill_id, now)
        if row is None:
            raise not_found(BACKFILL_NOT_FOUND)
        if row.completed_at is not None:
            raise conflict("Backfill is already completed.")
        if event == "cancel_backfill":
            row = table.cancel(backfill_id, now)
        else:
            row = table.set_paused(backfill_id, event == "pause_backfill", now)
        assert row is not None
        _tell_app(ctx, principal, event, row)
    announce(ctx, [row.dag_id])
    return _response(row)


def pause_backfill(request: Request, backfill_id: _BackfillId, principal: _Editor) -> BackfillResponse:
    return _change(request, backfill_id, principal, "pause_backfill")


def unpause_backfill(request: Request, backfill_id: _BackfillId, principal: _Editor) -> BackfillResponse:
    return _change(request, backfill_id, principal, "unpause_backfill")


def cancel_backfill(request: Request, backfill_id: _BackfillId, principal: _Editor) -> BackfillResponse:
    return _change(request, backfill_id, principal, "cancel_backfill")


def backfills_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2/backfills", tags=["Backfill"])
    add = router.add_api_route
    add("", list_backfills, methods=["GET"], operation_id="list_backfills")
    add("", create_backfill, methods=["POST"], operation_id="create_backfill")
    add("/dry_run", create_backfill_dry_run, methods=["POST"], operation_id="create_backfill_dry_run")
    add("/{backfill_id}", get_backfill, methods=["GET"], operation_id="get_backfill")
    add("/{backfill_id}/pause", pause_backfill, methods=["PUT"], operation_id="pause_backfill")
    add("/{backfill_id}/unpause", unpause_backfill, methods=["PUT"], operation_id="unpause_backfill")
    add("/{backfill_id}/cancel", cancel_backfill, methods=["PUT"], operation_id="cancel_backfill")
    return router
