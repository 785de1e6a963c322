"""The task instances of one run as a runner holds them: loaded from the store, orphans taken
back, mapped placeholders expanded.

A runner keeps a run's instances in `tis`, one record per (task_id, map_index); a mapped task
(or a mapped task group's member) has one placeholder (map_index -1) until it is expanded into
its instances 0..n-1.

Contract: `tis` is changed in place, and what changed (or was created, or deleted) is in the
store before `load_instances`, `expand_literal_mappings` and `expand` return (`take_back_orphan`
only sets the instance's fields: `load_instances` writes them); try history stays as it was.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import IN_FLIGHT_STATES, ErrorKind, outcome_of_try, retry_delay_for
from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.store.records import TaskInstanceRecord

if TYPE_CHECKING:
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["expand", "expand_literal_mappings", "load_instances", "take_back_orphan"]

log = logging.getLogger("riir_airflow.runtime")
_S = TaskInstanceState
_Tis = dict[tuple[str, int], TaskInstanceRecord]


def load_instances(
    dag: DAG,
    store: Store,
    run: DagRunRecord,
    orphaned: Callable[[DagRunRecord, Any, TaskInstanceRecord], None],
) -> _Tis:
    """The run's task instances: those in the store (a mapped task's expanded ones rather
    than its placeholder), new ones for tasks without any; `orphaned(run, task, ti)` sets the
    state of each instance left in flight (see `take_back_orphan`). Writes only what is new or
    changed."""
    by_task: dict[str, list[TaskInstanceRecord]] = {}
    for ti in store.get_task_instances(run.dag_id, run.run_id):
        by_task.setdefault(ti.task_id, []).append(ti)
    tis: _Tis = {}
    changed: list[TaskInstanceRecord] = []
    for task in dag.topological_order():
        found = by_task.get(task.task_id)
        if not found:
            new = TaskInstanceRecord(
                dag_id=dag.dag_id,
                run_id=run.run_id,
                task_id=task.task_id,
                max_tries=task.retries,
                operator=task.operator_name,
                pool=task.pool,
                queue=task.queue,
                priority_weight=task.priority_weight_total,
            )
            tis[new.key] = new
            changed.append(new)
            continue
        expanded = [ti for ti in found if ti.map_index >= 0]
        for ti in expanded or found:
            if ti.state in IN_FLIGHT_STATES:
                orphaned(run, task, ti)
                changed.append(ti)
            tis[ti.key] = ti
    if changed:
        store.put_task_instances(changed)
    return tis


def take_back_orphan(
    dag: DAG, clock: Clock, run: DagRunRecord, task: Any, ti: TaskInstanceRecord, *, orphans: str
) -> None:
    """An instance a process that is gone left in flight. In-process (`orphans="rerun"`) it
    runs again, as Airflow re-runs a task cleared while running. A DAG app (`"retry"`)
    handles it as Airflow handles a zombie: a try that was running (or deferred) counts as
    failed, so the instance is up for retry (after its retry delay) or failed when it has
    no retries left; one that never started (queued, scheduled) simply runs."""
    started = ti.state in (_S.RUNNING, _S.DEFERRED, _S.RESTARTING, _S.UP_FOR_RESCHEDULE)
    if orphans == "retry" and started and ti.try_number > 0:
        retry = outcome_of_try(task, ti.try_number, ErrorKind.ERROR, max_tries=ti.max_tries)
        log.warning("Task %s was left %s by a process that is gone: %s", ti.key, ti.state.value, retry.value)
        ti.state, ti.end_date = retry, clock.now()
        ti.next_attempt_at = None
        if retry is _S.UP_FOR_RETRY:
            delay = retry_delay_for(
                task, ti.try_number, dag_id=dag.dag_id,
                run_id_or_logical_date=run.logical_date or run.run_id,
            )  # fmt: skip
            ti.next_attempt_at = ti.end_date + delay
        return
    log.warning("Task %s was left %s by a process that is gone: running it again", ti.key, ti.state.value)
    ti.state, ti.next_attempt_at = _S.NONE, None


def expand_literal_mappings(dag: DAG, store: Store, clock: Clock, run: DagRunRecord, tis: _Tis) -> None:
    """Mapped tasks whose input is all literals are expanded when the run starts, as in
    Airflow, so their instances exist (and are skipped one by one) whatever happens upstream."""
    for task in dag.task_dict.values():
        key = (task.task_id, -1)
        literal = task.is_mapped and not list(task.expand_input.iter_references())
        if literal and key in tis and tis[key].state is _S.NONE:
            expand(dag, store, clock, run, tis, key)


def expand(dag: DAG, store: Store, clock: Clock, run: DagRunRecord, tis: _Tis, key: tuple[str, int]) -> None:
    """Replace a mapped task's placeholder by its instances (or skip it when there are none).
    In a mapped task group every member's placeholder is expanded at once, so instance i
    of each member can follow instance i of the others."""
    from riir_airflow.runtime.mapping import expanded_instances
    from riir_airflow.sdk.mappedtaskgroup import mapped_task_group_of

    task = dag.task_dict[key[0]]
    group = None if task.is_mapped else mapped_task_group_of(task)
    members = [key]
    if group is not None:
        members = [(t.task_id, -1) for t in group.iter_tasks()]
        members = [m for m in members if m in tis and tis[m].state is _S.NONE]
    try:
        template = expanded_instances(task, tis[key], run, store, clock)
    except Exception as exc:  # noqa: BLE001 - an input that cannot be expanded fails the task
        log.error("Cannot expand %s: %s", key[0], exc)
        tis[key].state, tis[key].note = _S.FAILED, f"{type(exc).__name__}: {exc}"
        store.put_task_instances([tis[key]])
        return
    for member in members:
        placeholder = tis[member]
        if not template:
            log.info("Mapped task %s has nothing to map over: skipped", member[0])
            placeholder.state = _S.SKIPPED
            store.put_task_instances([placeholder])
            continue
        instances = [dataclasses.replace(placeholder, map_index=t.map_index) for t in template]
        del tis[member]
        store.delete_task_instance(run.dag_id, run.run_id, member[0], -1)
        for instance in instances:
            tis[instance.key] = instance
        store.put_task_instances(instances)
        log.info("Expanded %s into %d instances", member[0], len(instances))
