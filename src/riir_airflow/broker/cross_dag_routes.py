"""Cross-DAG operations for apps: counts and run states of other DAGs, and triggering them.

Routes (under /internal/v1/cross, bodies in `riir_airflow.wire.cross_dag`):
- `POST /count`, `POST /run-state`: any authenticated caller (an app token of any DAG, a
  user): answers carry only a number or a state, never another DAG's rows, so an app's
  isolation from other DAGs' data holds (ExternalTaskSensor needs no more).
- `POST /trigger` (201): an app (any task may trigger any DAG, as in Airflow) or a user with
  the `user` role or above; 404 when the target DAG is not registered, 409 when the run exists
  (unless `replace`), 422 `ValueError` when its conf breaks the target DAG's registered params
  (as Airflow refuses such a TriggerDagRunOperator: the task fails, nothing is created). The
  run is created and a `trigger_run` command for the target's app is
  queued in one transaction, and the app's long-poll is woken, so the run starts at once.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import ApiError, BrokerContext
from riir_airflow.broker.registered_params import check_conf
from riir_airflow.sdk.exceptions import ParamValidationError
from riir_airflow.store import cross_dag
from riir_airflow.wire.cross_dag import (
    CrossCount,
    CrossCountAnswer,
    CrossRunState,
    CrossRunStateAnswer,
    CrossTrigger,
    CrossTriggerAnswer,
)
from riir_airflow.wire.messages import Command, CommandKind, load

__all__ = ["cross_dag_router"]

log = logging.getLogger("riir_airflow.broker.cross_dag")
_TRIGGER_ROLES = ("admin", "op", "user")


def _reader(principal: Principal) -> None:
    if principal.kind not in ("app", "user"):
        raise ApiError(403, "Forbidden", "only apps and users read other DAGs' states")


def count(ctx: BrokerContext, principal: Principal, req: CrossCount) -> CrossCountAnswer:
    _reader(principal)
    if req.what == "dag_runs":
        n = cross_dag.count_dag_runs(
            ctx.store, req.dag_id, logical_dates=req.logical_dates, run_ids=req.run_ids, states=req.states
        )
    elif req.what == "task_instances":
        n = cross_dag.count_task_instances(
            ctx.store, req.dag_id, task_ids=req.task_ids, task_group_id=req.task_group_id,
            logical_dates=req.logical_dates, run_ids=req.run_ids, states=req.states,
        )  # fmt: skip
    else:
        raise ApiError(422, "ValueError", f"what must be dag_runs or task_instances, not {req.what!r}")
    return CrossCountAnswer(n)


def run_state(ctx: BrokerContext, principal: Principal, req: CrossRunState) -> CrossRunStateAnswer:
    _reader(principal)
    state = cross_dag.dag_run_state(ctx.store, req.dag_id, req.run_id)
    return CrossRunStateAnswer(state.value if state is not None else None)


def trigger(ctx: BrokerContext, principal: Principal, req: CrossTrigger) -> CrossTriggerAnswer:
    if not (principal.is_app or (principal.kind == "user" and principal.role in _TRIGGER_ROLES)):
        raise ApiError(403, "Forbidden", "only apps and users with the user role or above trigger DAGs")
    dag_id = req.run.dag_id
    if ctx.registry.get_dag(dag_id) is None:
        raise ApiError(404, "KeyError", f"Dag with dag_id: '{dag_id}' not found")
    try:
        check_conf(ctx.registry.serialized_dag(dag_id), req.run.conf)
    except ParamValidationError as err:
        raise ApiError(422, "ValueError", str(err)) from None
    with ctx.registry.transaction():
        run = cross_dag.trigger_dag_run(ctx.store, req.run, replace=req.replace)
        ctx.registry.enqueue_command(Command(kind=CommandKind.TRIGGER_RUN, dag_id=dag_id, run_id=run.run_id), ctx.now())
    log.info("cross-dag trigger dag_id=%s run_id=%s by=%s", dag_id, run.run_id, principal.key)
    return CrossTriggerAnswer(run)


def cross_dag_router() -> APIRouter:
    from riir_airflow.broker.app_routes import serve_message

    router = APIRouter(prefix="/cross", tags=["internal: cross-DAG"])  # inside app_router's /internal/v1

    async def count_route(request: Request) -> Response:
        return await serve_message(request, count, CrossCount)

    async def run_state_route(request: Request) -> Response:
        return await serve_message(request, run_state, CrossRunState)

    async def trigger_route(request: Request) -> Response:
        response = await serve_message(request, trigger, CrossTrigger, 201)
        if response.status_code == 201:
            request.app.state.broker.bus.announce(load(response.body, CrossTriggerAnswer).run.dag_id)
        return response

    router.add_api_route("/count", count_route, methods=["POST"])
    router.add_api_route("/run-state", run_state_route, methods=["POST"])
    router.add_api_route("/trigger", trigger_route, methods=["POST"], status_code=201)
    return router
