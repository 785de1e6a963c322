"""One scheduling decision for one DAG run: state in, decisions out.

`decide` is the whole scheduler loop body of Airflow's `DagRun.update_state` +
`task_instance_scheduling_decisions`, made pure: it reads the state of every task instance of
the run and the current time (passed in; the engine never reads a clock) and answers

- which task instances may start now (`ready`), ordered by priority weight (highest first),
  then DAG task order, then map index, so two runners given the same input start the same
  things in the same order;
- which task instances the trigger rules settle without running (`changes`: skipped,
  upstream_failed, removed), decided in one sweep against the states the call started from,
  exactly as one pass of Airflow's scheduler: a skip or failure moves down a chain one level
  per call, and a runner calls again when a call changed something but started nothing;
- the run's final state once it is over (`run_state`), including the deadlock verdict;
- when the next waiting instance (a retry or reschedule) becomes ready (`wake_at`), so a
  runner sleeps exactly that long instead of polling.

Who owns which states: NONE, UP_FOR_RETRY and UP_FOR_RESCHEDULE are the engine's to judge
(Airflow's "schedulable" states). SCHEDULED, QUEUED, RUNNING, RESTARTING and DEFERRED belong
to the runner ("in flight"): the engine never returns them as ready nor changes them, and
while any exists the run is not deadlocked. Terminal states never change here, except that
`fail_fast_changes` (called by the runner when a task fails) may override them like Airflow.

Setup/teardown (spec 3.5): a teardown's trigger rule (normally `all_done_setup_success`)
must pass and, additionally, every task in its scope (between its setups and itself) must be
done. A normal task with relevant *indirect* setups is flagged upstream_failed/skipped as soon
as one of them fails/is skipped, and otherwise waits for all of them to succeed.

Run state (spec 4.2): once no instance is unfinished, the run is failed if any effective leaf
(see `Topology.effective_leaves`; removed instances ignored) is failed/upstream_failed, else
success. If instances are unfinished but none is ready, in flight, waiting for a retry time,
or held by the caller, nothing can ever progress: the run is failed as deadlocked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from riir_airflow.engine.graph import DagLike, TIKey, Topology, topology_of
from riir_airflow.engine.trigger_rules import (
    UpstreamCounts,
    Verdict,
    VerdictKind,
    evaluate,
    evaluate_setup_constraint,
)
from riir_airflow.sdk.state import UNFINISHED_TI_STATES, DagRunState, TaskInstanceState
from riir_airflow.sdk.trigger_rule import TriggerRule

__all__ = [
    "IN_FLIGHT_STATES",
    "SCHEDULABLE_STATES",
    "Decision",
    "dag_run_state",
    "decide",
    "evaluate_ti",
    "fail_fast_changes",
]

_S = TaskInstanceState

SCHEDULABLE_STATES: frozenset[TaskInstanceState] = frozenset({_S.NONE, _S.UP_FOR_RETRY, _S.UP_FOR_RESCHEDULE})
"""States whose dependencies the engine evaluates (may become ready or be flagged)."""

IN_FLIGHT_STATES: frozenset[TaskInstanceState] = frozenset(
    {_S.SCHEDULED, _S.QUEUED, _S.RUNNING, _S.RESTARTING, _S.DEFERRED}
)
"""Unfinished states owned by the runner: progressing without the engine's help."""

_FAILED_LEAF = frozenset({_S.FAILED, _S.UPSTREAM_FAILED})

StatesIn = Mapping[TIKey, TaskInstanceState | str | None]


@dataclass(frozen=True)
class Decision:
    """The outcome of one `decide` call. Mappings iterate in a deterministic order."""

    ready: tuple[TIKey, ...]
    """Start these now, in this order (priority weight desc, task order, map index)."""
    changes: Mapping[TIKey, TaskInstanceState]
    """Set these states without running the instances, in the order they were decided."""
    states: Mapping[TIKey, TaskInstanceState]
    """Every instance's state after `changes` (missing tasks appear as (task_id, -1): NONE)."""
    run_state: DagRunState | None
    """SUCCESS / FAILED once the run is over; None while it continues."""
    wake_at: datetime | None
    """Earliest time a retry/reschedule that is waiting only for its time becomes ready."""
    deadlocked: bool = False
    """True when the run failed because nothing could progress (run_state is then FAILED)."""
    waiting: Mapping[TIKey, str] = field(default_factory=dict)
    """Schedulable instances that are not ready, with the reason (for logs and the UI)."""

    @property
    def finished(self) -> bool:
        return self.run_state is not None

    @property
    def skipped(self) -> frozenset[TIKey]:
        return frozenset(k for k, s in self.changes.items() if s is _S.SKIPPED)

    @property
    def upstream_failed(self) -> frozenset[TIKey]:
        return frozenset(k for k, s in self.changes.items() if s is _S.UPSTREAM_FAILED)


def _normalize(states: StatesIn) -> dict[TIKey, TaskInstanceState]:
    return {key: _S.NONE if state is None else _S(state) for key, state in states.items()}


class _Run:
    """The working state of one run while deciding."""

    def __init__(self, topo: Topology, states: StatesIn) -> None:
        self.topo = topo
        self.states = _normalize(states)
        # Trigger rules count upstream states as they were when the decision began (Airflow's
        # `finished_tis` snapshot): a flag set in this call is seen by the next call only.
        self.counted = self.states
        self.instances: dict[str, list[TIKey]] = {tid: [] for tid in topo.order}
        self.orphans: list[TIKey] = []
        for key in sorted(self.states, key=lambda k: (k[0], k[1])):
            if key[0] in self.instances:
                self.instances[key[0]].append(key)
            else:
                self.orphans.append(key)
        for tid, keys in self.instances.items():
            if not keys:
                keys.append((tid, -1))
                self.states[(tid, -1)] = _S.NONE

    def upstream_keys(self, key: TIKey, upstream_id: str) -> Iterable[TIKey]:
        # Every instance of an upstream task is relevant, except inside a mapped task group:
        # there instance i depends on instance i of the group's other tasks (Airflow's
        # "relevant upstream map indexes"). Tasks tell their group via `mapped_task_group_id`.
        group = getattr(self.topo.tasks[key[0]], "mapped_task_group_id", None)
        if key[1] >= 0 and group is not None and getattr(self.topo.tasks[upstream_id], "mapped_task_group_id", None) == group:
            same_index = (upstream_id, key[1])
            if same_index in self.states:
                return [same_index]
        return self.instances[upstream_id]

    def count(self, key: TIKey, upstream_ids: Iterable[str]) -> UpstreamCounts:
        tasks = self.topo.tasks
        return UpstreamCounts.count(
            (self.counted[k], bool(tasks[uid].is_setup))
            for uid in upstream_ids
            for k in self.upstream_keys(key, uid)
        )

    def verdict(self, key: TIKey) -> Verdict:
        tid, map_index = key
        task = self.topo.tasks[tid]
        direct = self.topo.upstream[tid]
        if not direct:
            return Verdict(VerdictKind.RUN, reason="no upstream tasks")
        if TriggerRule.canonical(task.trigger_rule) is TriggerRule.ALWAYS:
            return Verdict(VerdictKind.RUN, reason="trigger rule 'always'")
        setup_verdict: Verdict | None = None
        indirect_setups = self.topo.relevant_indirect_setups.get(tid)
        if indirect_setups:
            setup_verdict = evaluate_setup_constraint(self.count(key, indirect_setups), map_index=map_index)
            if setup_verdict.kind is VerdictKind.SET:
                return setup_verdict
        verdict = evaluate(task.trigger_rule, self.count(key, direct), map_index=map_index)
        if verdict.kind is VerdictKind.SET:
            return verdict
        if setup_verdict is not None and setup_verdict.kind is VerdictKind.WAIT:
            return setup_verdict
        if verdict.kind is VerdictKind.WAIT or not task.is_teardown:
            return verdict
        scope = self.topo.teardown_scope.get(tid, frozenset())
        pending = [
            uid
            for uid in self.topo.sort_ids(scope)
            if any(self.states[k] in UNFINISHED_TI_STATES for k in self.instances[uid])
        ]
        if pending:
            return Verdict(VerdictKind.WAIT, reason=f"teardown waits for in-scope tasks {pending}")
        return verdict


def evaluate_ti(dag: DagLike | Topology, states: StatesIn, key: TIKey) -> Verdict:
    """The dependency verdict for one task instance of a run, as `decide` computes it.

    Useful to explain "why is this task not running" and for `tasks test`-style checks.
    """
    run = _Run(topology_of(dag), states)
    if key[0] not in run.instances:
        raise KeyError(f"task {key[0]!r} is not in DAG {run.topo.dag.dag_id!r}")
    return run.verdict(key)


def dag_run_state(dag: DagLike | Topology, states: StatesIn) -> DagRunState | None:
    """SUCCESS/FAILED when no instance is unfinished (by effective leaves), else None.

    No deadlock detection here: that needs dependency evaluation, which `decide` does.
    Instances of tasks that are not in the DAG are ignored.
    """
    topo = topology_of(dag)
    normalized = _normalize(states)
    present = {tid for tid, _ in normalized}
    if any(tid not in present for tid in topo.order):
        return None  # a task without any instance has not run yet
    if any(s in UNFINISHED_TI_STATES for (tid, _), s in normalized.items() if tid in topo.tasks):
        return None
    leaves = [s for (tid, _), s in normalized.items() if tid in topo.effective_leaves and s is not _S.REMOVED]
    if any(s in _FAILED_LEAF for s in leaves):
        return DagRunState.FAILED
    return DagRunState.SUCCESS


def decide(
    dag: DagLike | Topology,
    states: StatesIn,
    *,
    now: datetime,
    next_retry_at: Mapping[TIKey, datetime] | None = None,
    held: Collection[TIKey] = (),
) -> Decision:
    """Decide what happens next in one DAG run.

    `states` maps every task instance of the run to its state (None means NONE). A task of the
    DAG with no instance in `states` is treated as `(task_id, -1)` in state NONE; an instance
    whose task is no longer in the DAG is set to REMOVED (as Airflow does).

    `next_retry_at` gives, for UP_FOR_RETRY instances, the time they may retry (see
    `retries.retry_delay_for`) and, for UP_FOR_RESCHEDULE instances, their reschedule date. An
    instance is ready once `now >= next_retry_at[key]` (Airflow uses `>`; being ready at the
    exact instant lets a runner sleep until `wake_at` and find the instance ready); one without
    an entry is ready at once.

    `held` lists instances the caller keeps from starting for reasons outside this run's
    trigger rules (depends_on_past, concurrency limits). They are never returned as ready, but
    trigger rules still flag them (Airflow evaluates every dependency, so an upstream failure
    marks a depends_on_past task upstream_failed too). As in Airflow, while any unfinished
    instance is held the run is not declared deadlocked.

    A ready `(task_id, -1)` of a mapped task is its unexpanded placeholder: the runner expands
    it (into instances 0..n-1, or marks it skipped for an empty input) instead of running it.
    """
    topo = topology_of(dag)
    run = _Run(topo, states)
    retry_at = dict(next_retry_at or {})
    held_keys = frozenset(held)
    changes: dict[TIKey, TaskInstanceState] = {}

    for key in run.orphans:
        if run.states[key] is not _S.REMOVED:
            run.states[key] = changes[key] = _S.REMOVED

    # One sweep against a snapshot, as Airflow's scheduler does in each scheduling pass: a
    # task flagged skipped/upstream_failed here is seen by its downstream tasks in the next
    # call. This is not just bookkeeping: rules that flag early (all_success on the first
    # skipped upstream) give different results when an upstream is flagged in the same pass.
    run.counted = dict(run.states)
    verdicts: dict[TIKey, Verdict] = {}
    for tid in topo.topological_order:
        for key in run.instances[tid]:
            if run.states[key] not in SCHEDULABLE_STATES:
                continue
            verdict = verdicts[key] = run.verdict(key)
            if verdict.kind is VerdictKind.SET:
                assert verdict.state is not None
                run.states[key] = changes[key] = verdict.state

    ready: list[TIKey] = []
    waiting: dict[TIKey, str] = {}
    wake_at: datetime | None = None
    could_progress = bool(changes)
    for tid in topo.order:
        for key in run.instances[tid]:
            state = run.states[key]
            if state in IN_FLIGHT_STATES:
                could_progress = True
                continue
            if state not in SCHEDULABLE_STATES:
                continue
            if key in held_keys:
                could_progress = True
                waiting[key] = "held by the caller"
                continue
            verdict = verdicts[key]
            if verdict.kind is not VerdictKind.RUN:
                waiting[key] = verdict.reason
                continue
            could_progress = True
            due = retry_at.get(key) if state is not _S.NONE else None
            if due is not None and due > now:
                waiting[key] = f"{state.value} until {due.isoformat()}"
                wake_at = due if wake_at is None else min(wake_at, due)
                continue
            ready.append(key)
    ready.sort(key=lambda k: (-topo.priority_weight[k[0]], topo.position[k[0]], k[1]))

    run_state: DagRunState | None = None
    deadlocked = False
    unfinished = any(s in UNFINISHED_TI_STATES for (tid, _), s in run.states.items() if tid in topo.tasks)
    if not unfinished:
        run_state = dag_run_state(topo, run.states)
    elif not could_progress:
        run_state, deadlocked = DagRunState.FAILED, True

    return Decision(
        ready=tuple(ready),
        changes=changes,
        states=dict(run.states),
        run_state=run_state,
        wake_at=wake_at,
        deadlocked=deadlocked,
        waiting=waiting,
    )


def fail_fast_changes(
    dag: DagLike | Topology, failed: TIKey, states: StatesIn
) -> dict[TIKey, TaskInstanceState]:
    """What a `fail_fast` DAG does to the rest of the run when `failed` ends FAILED.

    Airflow's `_stop_remaining_tasks`, exactly: every instance of another task that is not
    SUCCESS or FAILED and is not a teardown becomes FAILED if it is RUNNING (the runner must
    kill it), else SKIPPED (queued/deferred ones must be cancelled). Note what that implies:
    instances already upstream_failed or removed are set to skipped too, and the failed task's
    own other map indexes are left alone. Teardowns still run. Returns only actual changes;
    empty when the DAG is not fail_fast.
    """
    topo = topology_of(dag)
    if not topo.dag.fail_fast:
        return {}
    out: dict[TIKey, TaskInstanceState] = {}
    run = _Run(topo, states)
    for tid in topo.order:
        if tid == failed[0] or topo.tasks[tid].is_teardown:
            continue
        for key in run.instances[tid]:
            state = run.states[key]
            if state in (_S.SUCCESS, _S.FAILED):
                continue
            new = _S.FAILED if state is _S.RUNNING else _S.SKIPPED
            if new is not state:
                out[key] = new
    return out
