"""The API's changes that a DAG app must hear about: write the metastore, queue a command, audit.

The contract with the DAG app: the broker writes the change to the metastore first, then queues
a `wire.messages.Command` for the app holding the DAG's lease (it reloads the run from the store
when the command arrives). The write, the queued command and the event-log row share one
transaction (`registry.transaction()`, which the store's calls join): either all land or none.
The app's long-poll is woken after the commit (`deps.announce`). Per change:
- `set_paused`: the DAG's `is_paused`, then PAUSE / UNPAUSE.
- `trigger`: a new DagRunRecord (state queued, run_type manual, triggered_by rest_api), then
  TRIGGER_RUN with its run_id, logical_date, conf and note.
- `clear`: `clear_task_instances` of the given tasks (every map index, or only those
  `map_indexes` names for a task; and `requeue_dag_run` when the run has finished), then
  CLEAR_TASKS with run_id and task_ids (the app reloads the run: only the instances the store
  reset run again).
- `mark`: the new state of the run (no task_ids) or of task instances (those not in it
  already), then MARK_STATE with run_id, task_ids (empty: the run itself), map_index and state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from riir_airflow.broker.api.deps import announce, audit
from riir_airflow.broker.auth import Principal
from riir_airflow.broker.context import BrokerContext
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import Command, CommandKind

__all__ = ["clear", "mark_run", "mark_task_instances", "set_paused", "trigger"]

_FINISHED_RUN = {DagRunState.SUCCESS, DagRunState.FAILED}


def _queue(ctx: BrokerContext, command: Command) -> Command:
    stored = ctx.registry.enqueue_command(command, ctx.now())
    ctx.log.info(
        "command queued id=%s kind=%s dag_id=%s run_id=%s by=api", stored.id, stored.kind, stored.dag_id,
        stored.run_id,
    )  # fmt: skip
    return stored


def set_paused(ctx: BrokerContext, principal: Principal, dag_ids: Sequence[str], paused: bool) -> None:
    """Pause or unpause DAGs (all known) and tell their apps."""
    kind = CommandKind.PAUSE if paused else CommandKind.UNPAUSE
    with ctx.registry.transaction():
        for dag_id in dag_ids:
            ctx.registry.set_dag_paused(dag_id, paused, ctx.now())
            _queue(ctx, Command(kind=kind, dag_id=dag_id))
            audit(ctx, principal, "patch_dag", dag_id=dag_id, extra={"is_paused": paused})
    announce(ctx, dag_ids)


def trigger(ctx: BrokerContext, principal: Principal, run: DagRunRecord) -> DagRunRecord:
    """Create the run (DagRunAlreadyExists if its id or logical date is taken) and tell the app."""
    with ctx.registry.transaction():
        stored = ctx.store.create_dag_run(run)
        _queue(ctx, Command(
            kind=CommandKind.TRIGGER_RUN, dag_id=run.dag_id, run_id=run.run_id, logical_date=run.logical_date,
            conf=dict(run.conf), note=run.note,
        ))  # fmt: skip
        audit(ctx, principal, "trigger_dag_run", dag_id=run.dag_id, run_id=run.run_id,
              extra={"logical_date": run.logical_date, "conf": run.conf, "note": run.note})  # fmt: skip
    announce(ctx, [run.dag_id])
    return stored


def clear(
    ctx: BrokerContext,
    principal: Principal,
    dag_id: str,
    run_id: str,
    task_ids: Sequence[str],
    *,
    event: str,
    map_index: int | None = None,
    map_indexes: Mapping[str, Sequence[int]] | None = None,
    only_failed: bool = False,
    note: str | None = None,
    reset_run: bool = True,
) -> DagRunRecord | None:
    """Clear `task_ids` of one run (every map index of a task, or only those `map_indexes`
    names for it; requeue the run when it finished) and tell the app; the run."""
    ids = sorted(set(task_ids))
    indexes = {
        task_id: sorted(set(found)) for task_id, found in (map_indexes or {}).items() if task_id in ids
    }
    with ctx.registry.transaction():
        run = ctx.store.get_dag_run(dag_id, run_id)
        if run is None:
            raise KeyError(run_id)
        if ids:
            ctx.store.clear_task_instances(dag_id, run_id, ids, map_indexes=indexes or None)
        if reset_run and run.state in _FINISHED_RUN:
            run = ctx.store.requeue_dag_run(dag_id, run_id)
        if note is not None:
            ctx.store.update_dag_run(dag_id, run_id, note=note)
            run.note = note
        _queue(ctx, Command(
            kind=CommandKind.CLEAR_TASKS, dag_id=dag_id, run_id=run_id, task_ids=ids, map_index=map_index,
            only_failed=only_failed,
        ))  # fmt: skip
        extra: dict[str, Any] = {"task_ids": ids}
        if indexes:
            extra["map_indexes"] = indexes
        audit(ctx, principal, event, dag_id=dag_id, run_id=run_id, extra=extra)
    announce(ctx, [dag_id])
    return run


def mark_run(
    ctx: BrokerContext, principal: Principal, dag_id: str, run_id: str, *, state: str | None, note: str | None
) -> None:
    """Set a run's state and/or note; a state change is told to the app (MARK_STATE, no task_ids)."""
    now = ctx.now()
    changes: dict[str, Any] = {"note": note}
    if state is not None:
        changes["state"] = DagRunState(state)
        if state in ("success", "failed"):
            changes["end_date"] = now
    with ctx.registry.transaction():
        ctx.store.update_dag_run(dag_id, run_id, **changes)
        if state is not None:
            _queue(ctx, Command(kind=CommandKind.MARK_STATE, dag_id=dag_id, run_id=run_id, state=state))
        audit(ctx, principal, "patch_dag_run", dag_id=dag_id, run_id=run_id,
              extra={"state": state, "note": note})  # fmt: skip
    if state is not None:
        announce(ctx, [dag_id])


def mark_task_instances(
    ctx: BrokerContext,
    principal: Principal,
    records: Sequence[TaskInstanceRecord],
    *,
    state: str | None,
    note: str | None,
) -> list[TaskInstanceRecord]:
    """Give the task instances a new state (those not in it already: as Airflow, the others
    keep theirs and their dates) and/or note and tell the app (one MARK_STATE per map index
    group of the instances whose state changed); the records as written."""
    now = ctx.now()
    changed, moved = [], []
    for ti in records:
        moves = state is not None and ti.state != TaskInstanceState(state)
        if state is not None and not moves and note is None:
            continue  # nothing of it changes
        if moves:
            ti.state = TaskInstanceState(state)
            if ti.start_date is None:
                ti.start_date = now
            if state in ("success", "failed", "skipped", "upstream_failed", "removed"):
                ti.end_date = now
            ti.next_attempt_at = None
            moved.append(ti)
        if note is not None:
            ti.note = note
        changed.append(ti)
    if not changed:
        return []
    dag_id, run_id = changed[0].dag_id, changed[0].run_id
    moved_ids = {id(ti) for ti in moved}
    with ctx.registry.transaction():
        ctx.store.put_task_instances(changed)
        if moved:
            by_index: dict[int, list[str]] = {}
            for ti in moved:
                by_index.setdefault(ti.map_index, []).append(ti.task_id)
            for map_index, task_ids in sorted(by_index.items()):
                _queue(ctx, Command(
                    kind=CommandKind.MARK_STATE, dag_id=dag_id, run_id=run_id, task_ids=sorted(set(task_ids)),
                    map_index=map_index, state=state,
                ))  # fmt: skip
        for ti in changed:
            new_state = state if id(ti) in moved_ids else None
            audit(ctx, principal, "patch_task_instance", dag_id=dag_id, run_id=run_id, task_id=ti.task_id,
                  map_index=ti.map_index, extra={"new_state": new_state, "note": note})  # fmt: skip
    if moved:
        announce(ctx, [dag_id])
    return changed
