"""Running one try of one task instance: render, execute, push XComs, classify, call back.

This is the only place a task's code runs; the DAG runner (in-process) and, later, forked
workers of the DAG app both call `run_try`. What the try's end means for the task instance's
state is the engine's decision (`error_kind_of`, `outcome_of_try`).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import error_kind_of, outcome_of_try
from riir_airflow.runtime.context import build_context, resolve_params
from riir_airflow.runtime.mapping import check_result_for_mapping
from riir_airflow.runtime.rendering import copy_for_rendering, render_task
from riir_airflow.runtime.task_instance import RuntimeTaskInstance
from riir_airflow.runtime.task_logs import capture_try_logs
from riir_airflow.runtime.timeouts import timeout
from riir_airflow.sdk.context import set_current_context
from riir_airflow.sdk.exceptions import (
    AirflowException,
    AirflowSkipException,
    DagRunTriggerException,
    DownstreamTasksSkipped,
)
from riir_airflow.sdk.state import DagRunState, TaskInstanceState

if TYPE_CHECKING:
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

__all__ = ["TryOutcome", "run_try"]

log = logging.getLogger("riir_airflow.task")


@dataclass
class TryOutcome:
    state: TaskInstanceState
    error: BaseException | None = None
    skip_downstream: list[str] = field(default_factory=list)


def _push_result(ti: RuntimeTaskInstance, task: BaseOperator, result: Any) -> None:
    check_result_for_mapping(task, result)
    if result is None or not task.do_xcom_push:
        return
    if task.multiple_outputs:
        if not isinstance(result, dict):
            raise TypeError(
                f"Returned output was type {type(result)} expected dictionary for multiple_outputs"
            )
        for key in result:
            if not isinstance(key, str):
                raise TypeError(
                    "Returned dictionary keys must be strings when using multiple_outputs, "
                    f"found {key} ({type(key)}) instead"
                )
        for key, value in result.items():
            ti.xcom_push(key, value)
    ti.xcom_push("return_value", result)


def _record_triggered_run(ti: RuntimeTaskInstance, store: Store, request: dict[str, Any]) -> None:
    """What TriggerDagRunOperator asked for: a queued manual run of the target DAG."""
    from riir_airflow.sdk.run_type import DagRunType, generate_run_id
    from riir_airflow.store.records import DagRunAlreadyExists, DagRunRecord

    logical_date = request.get("logical_date")
    run_after = request["run_after"]
    run_id = request.get("dag_run_id") or generate_run_id(
        run_type=DagRunType.MANUAL, logical_date=logical_date, run_after=run_after
    )
    record = DagRunRecord(
        dag_id=request["trigger_dag_id"],
        run_id=run_id,
        run_type=DagRunType.OPERATOR_TRIGGERED.value,  # as Airflow 3.3 records it
        state=DagRunState.QUEUED,
        run_after=run_after,
        logical_date=logical_date,
        data_interval_start=logical_date,
        data_interval_end=logical_date,
        conf=dict(request.get("conf") or {}),
        triggered_by="operator",
        note=request.get("note"),
    )
    try:
        store.trigger_dag_run(record, replace=bool(request.get("reset_dag_run")))
    except DagRunAlreadyExists:
        if request.get("skip_when_already_exists"):
            raise AirflowSkipException(f"Dag run {run_id} already exists, skipping.") from None
        raise AirflowException(
            f"A Dag Run already exists for dag id {record.dag_id} with run id {run_id}"
        ) from None
    log.info("Triggered DAG %s run %s", record.dag_id, run_id)
    ti.xcom_push("trigger_run_id", run_id)
    if request.get("wait_for_completion"):
        _wait_for_run(store, record.dag_id, run_id, request)


def _wait_for_run(store: Store, dag_id: str, run_id: str, request: dict[str, Any]) -> None:
    """TriggerDagRunOperator(wait_for_completion=True): poke the triggered run's state every
    poke_interval until it is in allowed_states (done) or failed_states (AirflowException).
    Only where something runs triggered runs (a broker's apps); `dags test` runs none, so there
    it logs that and goes on instead of waiting forever."""
    import time

    if not getattr(store, "runs_triggered_dags", False):
        log.warning("Not waiting for %s run %s: nothing runs triggered runs in a local test", dag_id, run_id)
        return
    allowed = {str(s) for s in request.get("allowed_states") or ["success"]}
    failed = {str(s) for s in request.get("failed_states") or ["failed"]}
    interval = float(request.get("poke_interval") or 60)
    while True:
        state = store.dag_run_state(dag_id, run_id)  # type: ignore[attr-defined]
        value = state.value if state is not None else None
        log.info("Waiting for %s run %s: its state is %s", dag_id, run_id, value)
        if value in failed:
            raise AirflowException(f"{dag_id} failed with failed states {value}")
        if value in allowed:
            log.info("%s finished with allowed state %s", dag_id, value)
            return
        time.sleep(interval)


def _render_map_index(ti: RuntimeTaskInstance, task: BaseOperator, context: dict[str, Any]) -> None:
    """A mapped instance's display name, rendered after execute against the context the task
    saw (it may have added keys). As in Airflow 3.3, a template that fails fails the task."""
    if ti.map_index < 0 or not task.map_index_template:
        return
    ti.rendered_map_index = task.render_template(task.map_index_template, context)
    log.info("Map index %s is named %r", ti.map_index, ti.rendered_map_index)


def _call_callbacks(callbacks: Any, context: dict[str, Any], what: str) -> None:
    if callbacks is None:
        return
    for callback in callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]:
        try:
            callback(context)
        except Exception:
            log.exception("Error when executing %s callback", what)


def run_try(
    task: BaseOperator,
    record: TaskInstanceRecord,
    run: DagRunRecord,
    store: Store,
    clock: Clock,
    *,
    reschedule: tuple[datetime.datetime, int] | None = None,
    resume: tuple[str, dict[str, Any]] | None = None,
    clear_xcoms: bool = True,
) -> TryOutcome:
    """Run the try described by `record` (try_number already advanced, state running).

    As in Airflow, a try starts with no XComs of its task instance: what an earlier try
    pushed (before failing, say) is deleted, so downstream tasks only see this try's values
    (`clear_xcoms=False`: the caller already did, with the write that started the try).
    A deferred task resuming (`resume`) is the same try going on: its XComs are kept.
    """
    if resume is None and clear_xcoms:
        store.delete_xcoms(record.dag_id, record.run_id, record.task_id, record.map_index)
    work = copy_for_rendering(task)  # rendering replaces attributes on this copy only
    ti = RuntimeTaskInstance(task=work, record=record, dag_run=run, store=store, clock=clock)
    if reschedule is not None:
        ti.first_reschedule_date, ti.reschedule_count = reschedule
    error: BaseException | None = None
    skip_downstream: list[str] = []
    context: dict[str, Any] = {"ti": ti, "task_instance": ti, "task": work}
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()  # tasks share this process: one task's chdir must not move the next
    with capture_try_logs(store, record):
        try:
            context = build_context(ti, store, resolve_params(task, run))
            context["task_reschedule_count"] = ti.reschedule_count
            os.environ.update(ti.context_env_vars())
            with set_current_context(context):  # type: ignore[arg-type]
                rendered = render_task(work, context)  # type: ignore[arg-type]
                if rendered:
                    store.set_rendered_fields(ti.dag_id, ti.run_id, ti.task_id, ti.map_index, rendered)
                _call_callbacks(work.on_execute_callback, context, "on_execute")
                work.pre_execute(context)  # type: ignore[arg-type]
                with timeout(work.execution_timeout):
                    if resume is None:
                        result = work.execute(context)
                    elif resume[0] == "__fail__":  # the trigger failed or timed out
                        raise resume[1]["error"]
                    else:  # a deferred task continues in the method it named, with the event
                        result = work.resume_execution(resume[0], resume[1], context)  # type: ignore[arg-type]
                _render_map_index(ti, work, context)
                work.post_execute(context, result)  # type: ignore[arg-type]
                _push_result(ti, work, result)
        except DownstreamTasksSkipped as exc:
            skip_downstream = [t if isinstance(t, str) else t[0] for t in exc.tasks]
        except DagRunTriggerException as exc:
            try:
                _record_triggered_run(ti, store, exc.request)
            except BaseException as inner:  # noqa: BLE001 - classified below like any failure
                error = inner
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - AirflowTaskTimeout is a BaseException
            error = exc
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            with contextlib.suppress(OSError):
                os.chdir(saved_cwd)
            if ti.rendered_fields:
                store.set_rendered_fields(
                    ti.dag_id,
                    ti.run_id,
                    ti.task_id,
                    ti.map_index,
                    {
                        **(store.get_rendered_fields(ti.dag_id, ti.run_id, ti.task_id, ti.map_index) or {}),
                        **ti.rendered_fields,
                    },
                )

        state = outcome_of_try(task, record.try_number, error_kind_of(error), max_tries=record.max_tries)
        if state is TaskInstanceState.SUCCESS and work.outlets:  # asset events, before callbacks
            from riir_airflow.runtime.assets import emit_outlet_events

            emit_outlet_events(store, work, record, context, clock)
        if state in (TaskInstanceState.FAILED, TaskInstanceState.UP_FOR_RETRY):
            log.error("Task failed with exception", exc_info=error)
        elif state is TaskInstanceState.DEFERRED:
            log.info("Pausing task as DEFERRED: %r", error)
        elif isinstance(error, AirflowSkipException):
            log.info("Skipping task: %s", error)
        log.info(
            "Marking task as %s. dag_id=%s, task_id=%s, run_id=%s, try_number=%s",
            state.value.upper(),
            ti.dag_id,
            ti.task_id,
            ti.run_id,
            ti.try_number,
        )
        if error is not None:
            context["exception"] = error
        callbacks = {
            TaskInstanceState.SUCCESS: (work.on_success_callback, "on_success"),
            TaskInstanceState.FAILED: (work.on_failure_callback, "on_failure"),
            TaskInstanceState.UP_FOR_RETRY: (work.on_retry_callback, "on_retry"),
            TaskInstanceState.SKIPPED: (work.on_skipped_callback, "on_skipped"),
        }.get(state)
        if callbacks is not None:
            _call_callbacks(callbacks[0], context, callbacks[1])
    return TryOutcome(state=state, error=error, skip_downstream=skip_downstream)
