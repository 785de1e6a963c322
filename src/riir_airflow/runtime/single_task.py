"""`tasks test` / `tasks render`: one task, outside the scheduling loop.

As in Airflow, the task runs in an existing run when one is named, otherwise in a temporary
manual run (`__airflow_temporary_run_<now>__`) that is deleted afterwards, so nothing of the
test stays in the history.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from riir_airflow.runtime.clock import Clock, SystemClock
from riir_airflow.runtime.context import build_context, resolve_params
from riir_airflow.runtime.rendering import copy_for_rendering, render_task
from riir_airflow.runtime.task_instance import RuntimeTaskInstance
from riir_airflow.runtime.task_runner import run_try
from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store

__all__ = ["SingleTaskError", "render_single_task", "run_single_task"]


class SingleTaskError(ValueError):
    """The task cannot be run or rendered as asked (map index mismatch, unexpandable input)."""


@contextlib.contextmanager
def _run_for(
    dag: DAG, store: Store, clock: Clock, logical_date: datetime.datetime | None, run: DagRunRecord | None
) -> Iterator[DagRunRecord]:
    if run is None and logical_date is not None:
        # As Airflow's `tasks test DAG TASK DATE`: a run at that logical date is used as it is.
        import pendulum

        logical_date = pendulum.instance(logical_date).in_timezone("UTC")
        tiny = datetime.timedelta(microseconds=1)
        at_date = store.list_dag_runs(
            dag.dag_id, logical_date_after=logical_date - tiny, logical_date_before=logical_date + tiny
        )
        run = at_date[0] if at_date else None
    if run is not None:
        yield run
        return
    from riir_airflow.runtime.dag_runner import DagRunner

    now = clock.now()
    runner = DagRunner(dag, store, clock)
    temp = runner.create_manual_run(
        logical_date=logical_date or now,
        run_id=f"__airflow_temporary_run_{now.isoformat()}__",
        replace_existing=False,
    )
    try:
        yield temp
    finally:
        store.delete_dag_run(dag.dag_id, temp.run_id)


def _check_map_index(dag: DAG, task_id: str, map_index: int) -> None:
    """As Airflow's `tasks test/render`: a mapped task needs a map index, others refuse one."""
    task = dag.task_dict[task_id]
    if getattr(task, "is_mapped", False):
        if map_index < 0:
            raise SingleTaskError(f"Task {task_id} is mapped: pass the instance to run with --map-index")
    elif map_index >= 0:
        raise SingleTaskError(f"Task {task_id} is not mapped: --map-index does not apply")


def _task_for(
    dag: DAG,
    task_id: str,
    map_index: int,
    task_params: dict[str, Any] | None,
    run: DagRunRecord,
    store: Store,
    clock: Clock,
) -> Any:
    """The operator to run: the task, or for a mapped task its instance `map_index` (expanded
    against the run's upstream XComs), with `task_params` merged into its params."""
    task = dag.task_dict[task_id]
    if getattr(task, "is_mapped", False):
        from riir_airflow.runtime.mapping import expansion_length, operator_for_instance

        try:
            length = expansion_length(task, run, store, clock)
            if map_index >= length:
                raise SingleTaskError(
                    f"Map index {map_index} of task {task_id} is out of range: it has {length} instances in run {run.run_id}"
                )
            task = operator_for_instance(task, map_index, run, store, clock)
        except SingleTaskError:
            raise
        except Exception as exc:  # noqa: BLE001 - the upstream values are missing or unusable
            raise SingleTaskError(
                f"Task {task_id} cannot expand in run {run.run_id} ({type(exc).__name__}: {exc}); "
                "run its upstream tasks first, or name a run that has their results"
            ) from None
    if task_params:
        task = copy.copy(task)
        task.params = copy.copy(task.params)
        task.params.update(task_params)
    return task


def run_single_task(
    dag: DAG,
    task_id: str,
    store: Store,
    *,
    logical_date: datetime.datetime | None = None,
    run: DagRunRecord | None = None,
    task_params: dict[str, Any] | None = None,
    clock: Clock | None = None,
    map_index: int = -1,
) -> TaskInstanceState:
    """Run the task once, ignoring dependencies; returns the state it ended in."""
    clock = clock or SystemClock()
    _check_map_index(dag, task_id, map_index)
    with _run_for(dag, store, clock, logical_date, run) as the_run:
        task = _task_for(dag, task_id, map_index, task_params, the_run, store, clock)
        previous = store.get_task_instance(dag.dag_id, the_run.run_id, task_id, map_index)
        record = TaskInstanceRecord(
            dag_id=dag.dag_id,
            run_id=the_run.run_id,
            task_id=task_id,
            map_index=map_index,
            state=TaskInstanceState.RUNNING,
            try_number=(previous.try_number if previous else 0) + 1,
            max_tries=task.retries,
            start_date=clock.now(),
            operator=task.operator_name,
        )
        store.put_task_instances([record])
        outcome = run_try(task, record, the_run, store, clock)
        record.state, record.end_date = outcome.state, clock.now()
        store.put_task_instances([record])
        return outcome.state


def render_single_task(
    dag: DAG,
    task_id: str,
    store: Store,
    *,
    logical_date: datetime.datetime | None = None,
    run: DagRunRecord | None = None,
    task_params: dict[str, Any] | None = None,
    clock: Clock | None = None,
    map_index: int = -1,
) -> dict[str, str]:
    """The task's templated fields rendered for that run, as text."""
    clock = clock or SystemClock()
    _check_map_index(dag, task_id, map_index)
    with _run_for(dag, store, clock, logical_date, run) as the_run:
        task = copy_for_rendering(_task_for(dag, task_id, map_index, task_params, the_run, store, clock))
        record = TaskInstanceRecord(
            dag_id=dag.dag_id, run_id=the_run.run_id, task_id=task_id, map_index=map_index, try_number=1
        )
        ti = RuntimeTaskInstance(task=task, record=record, dag_run=the_run, store=store, clock=clock)
        context = build_context(ti, store, resolve_params(task, the_run))
        return render_task(task, context)
