"""`/api/v2/dags/{dag_id}/tasks[/{task_id}]`: the tasks of a DAG as its newest registration
describes them (id, operator, downstream ids, retries and retry delay, pool, queue, mapped or
not, extra links); what the app does not register (trigger rule, template fields, ...) is null
or Airflow's default.

`extra_links` is the sorted names of the task's operator extra links as its app registered them
(`SerializedTask.extra_links`, the names the task instance `/links` endpoint serves), which is
what Airflow's TaskResponse field means to give. Airflow 3.3.2 itself answers `[]` for every
task: its computed field looks for the links on the response model, never on the operator.
There are no plugin (global) links to add: the broker loads no plugins."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from riir_airflow.broker.api.deps import READ, bad_request, context, not_found, require
from riir_airflow.broker.auth import Principal
from riir_airflow.wire.messages import SerializedDag, SerializedTask

__all__ = ["tasks_router"]

_Reader = Annotated[Principal, Depends(require(READ))]
TASK_ORDER = ("task_id", "operator_name", "downstream_task_ids")


class TimeDelta(BaseModel):
    type: str = "TimeDelta"
    days: int
    seconds: int
    microseconds: int


class TaskResponse(BaseModel):
    task_id: str | None = None
    task_display_name: str | None = None
    owner: str | None = None
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    trigger_rule: str | None = "all_success"
    depends_on_past: bool = False
    wait_for_downstream: bool = False
    retries: float | None = None
    queue: str | None = None
    pool: str | None = None
    pool_slots: float | None = 1
    execution_timeout: TimeDelta | None = None
    retry_delay: TimeDelta | None = None
    retry_exponential_backoff: float = 0
    priority_weight: float | None = 1
    weight_rule: str | None = "downstream"
    ui_color: str | None = None
    ui_fgcolor: str | None = None
    template_fields: list[str] | None = None
    downstream_task_ids: list[str] | None = None
    doc_md: str | None = None
    operator_name: str | None = None
    params: dict[str, Any] | None = None
    class_ref: dict[str, Any] | None = None
    is_mapped: bool | None = None
    extra_links: list[str]


class TaskCollectionResponse(BaseModel):
    tasks: list[TaskResponse]
    total_entries: int


def _delta(seconds: float) -> TimeDelta:
    value = datetime.timedelta(seconds=seconds)
    return TimeDelta(days=value.days, seconds=value.seconds, microseconds=value.microseconds)


def _task(dag: SerializedDag, task: SerializedTask) -> TaskResponse:
    return TaskResponse(
        task_id=task.task_id, task_display_name=task.task_id, owner=dag.owner, start_date=dag.start_date,
        end_date=dag.end_date, retries=task.retries, queue=task.queue, pool=task.pool,
        retry_delay=_delta(task.retry_delay_seconds), downstream_task_ids=sorted(task.downstream_task_ids),
        operator_name=task.operator or None, is_mapped=task.is_mapped, extra_links=sorted(set(task.extra_links)),
        params={},
    )  # fmt: skip


def _dag(request: Request, dag_id: str) -> SerializedDag:
    serialized = context(request).registry.serialized_dag(dag_id)
    if serialized is None:
        raise not_found(f"Dag with id {dag_id} was not found")
    return serialized


def get_tasks(request: Request, dag_id: str, _: _Reader, order_by: str = "task_id") -> TaskCollectionResponse:
    """The DAG's tasks."""
    dag = _dag(request, dag_id)
    name = order_by.lstrip("-")
    if name not in TASK_ORDER:
        raise bad_request(f"'{order_by}' is not a valid attribute to order by")
    tasks = [_task(dag, task) for task in dag.tasks]
    tasks.sort(key=lambda t: str(getattr(t, name) or ""), reverse=order_by.startswith("-"))
    return TaskCollectionResponse(tasks=tasks, total_entries=len(tasks))


def get_task(request: Request, dag_id: str, task_id: str, _: _Reader) -> TaskResponse:
    """One task of the DAG."""
    dag = _dag(request, dag_id)
    for task in dag.tasks:
        if task.task_id == task_id:
            return _task(dag, task)
    raise not_found(f"Task with id {task_id} was not found")


def tasks_router() -> APIRouter:
    router = APIRouter(prefix="/api/v2/dags/{dag_id}", tags=["Task"])
    router.add_api_route("/tasks", get_tasks, methods=["GET"], operation_id="get_tasks")
    router.add_api_route("/tasks/{task_id}", get_task, methods=["GET"], operation_id="get_task")
    return router
