"""What else one task instance can tell, included by `task_instances.task_instances_router`:
- `.../{task_id}/dependencies` and `.../{task_id}/{map_index}/dependencies`: why it is not
  running (`engine.dependencies.blocking_dependencies` over the structure its DAG's app
  registered, the states of its run's instances, the run's state and the DAG's pause);
- `.../{task_id}/externalLogUrl/{try_number}`: riir keeps logs itself and has no external log
  handler, so this is always Airflow's answer for that case (400), whatever the instance;
- `.../{task_id}/links`: its operator's extra links, by the names the app registered, each
  with a null URL (riir computes no link URLs; Airflow answers null when none was pushed).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from riir_airflow.broker.api.deps import READ, bad_request, context, not_found, queries, require
from riir_airflow.broker.api.schemas_ops import (
    ExternalLogUrlResponse,
    ExtraLinkCollectionResponse,
    TaskDependencyCollectionResponse,
    TaskDependencyResponse,
)
from riir_airflow.broker.api.task_instances import ti_row
from riir_airflow.broker.auth import Principal
from riir_airflow.engine.dependencies import blocking_dependencies, graph_dag

__all__ = ["add_info_routes"]

_Reader = Annotated[Principal, Depends(require(READ))]


def get_task_instance_dependencies(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, _: _Reader, map_index: int = -1
) -> TaskDependencyCollectionResponse:
    """The dependencies keeping a task instance from being scheduled (none unless it waits)."""
    ctx = context(request)
    row = ti_row(ctx, dag_id, dag_run_id, task_id, map_index)
    serialized = ctx.registry.serialized_dag(dag_id)
    if serialized is None:
        return TaskDependencyCollectionResponse(dependencies=[])
    q = queries(ctx)
    run = q.one("dag_run", [("dag_id", "eq", dag_id), ("run_id", "eq", dag_run_id)])
    rows, _ = q.page("task_instance", [("dag_id", "eq", dag_id), ("run_id", "eq", dag_run_id)])
    dag = graph_dag(dag_id, ((t.task_id, t.downstream_task_ids, t.trigger_rule, t.is_setup, t.is_teardown)
                             for t in serialized.tasks))  # fmt: skip
    state = ctx.registry.get_dag(dag_id)
    found = blocking_dependencies(
        dag, {(r["task_id"], r["map_index"]): r["state"] for r in rows}, (task_id, map_index),
        ti_state=row["state"], run_state=run["state"], dag_paused=bool(state and state.is_paused),
    )  # fmt: skip
    return TaskDependencyCollectionResponse(
        dependencies=[TaskDependencyResponse(name=dep.name, reason=dep.reason) for dep in found]
    )


def get_task_instance_dependencies_by_map_index(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, map_index: int, who: _Reader
) -> TaskDependencyCollectionResponse:
    return get_task_instance_dependencies(request, dag_id, dag_run_id, task_id, who, map_index)


def get_external_log_url(
    dag_id: str, dag_run_id: str, task_id: str, try_number: Annotated[int, Path(gt=0)], _: _Reader,
    map_index: int = -1,
) -> ExternalLogUrlResponse:  # fmt: skip
    """Always 400: logs are kept by the broker, there is no external log handler."""
    raise bad_request("Task log handler does not support external logs.")


def get_extra_links(
    request: Request, dag_id: str, dag_run_id: str, task_id: str, _: _Reader, map_index: int = -1,
    try_number: int | None = None,
) -> ExtraLinkCollectionResponse:  # fmt: skip
    """The task's extra links (name -> null URL) for one of its instances (and try)."""
    ctx = context(request)
    q = queries(ctx)
    key = [("dag_id", "eq", dag_id), ("run_id", "eq", dag_run_id), ("task_id", "eq", task_id),
           ("map_index", "eq", map_index)]  # fmt: skip
    row = q.one("task_instance", key)
    if row is None:
        raise not_found("TaskInstance not found")
    serialized = ctx.registry.serialized_dag(dag_id)
    task = next((t for t in serialized.tasks if t.task_id == task_id), None) if serialized else None
    if task is None:
        raise not_found(f"Task with ID = {task_id} not found")
    past_try = try_number is not None and try_number != row["try_number"]
    if past_try and q.one("ti_history", [*key, ("try_number", "eq", try_number)]) is None:
        raise not_found(f"TaskInstanceHistory not found for try_number={try_number}")
    return ExtraLinkCollectionResponse.of(dict.fromkeys(task.extra_links))


def add_info_routes(router: APIRouter) -> None:
    """Add this module's routes to `router` (prefixed `/api/v2/dags/{dag_id}`)."""
    one = "/dagRuns/{dag_run_id}/taskInstances/{task_id}"
    for path, endpoint in ((f"{one}/dependencies", get_task_instance_dependencies),
                           (f"{one}/{{map_index}}/dependencies", get_task_instance_dependencies_by_map_index),
                           (f"{one}/externalLogUrl/{{try_number}}", get_external_log_url),
                           (f"{one}/links", get_extra_links)):  # fmt: skip
        tags = ["Extra Links"] if endpoint is get_extra_links else None
        router.add_api_route(path, endpoint, methods=["GET"], operation_id=endpoint.__name__, tags=tags)
