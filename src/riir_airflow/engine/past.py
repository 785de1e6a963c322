"""depends_on_past and wait_for_downstream: may a task run, given the previous DAG run? (spec 4.6)

Airflow 3.3's `PrevDagrunDep`, made pure. The caller (a runner) fetches the previous run and
its task-instance states from its store and turns the verdicts into `decide(..., held=...)`:

- Which run is "previous" (`previous_run`, `previous_run_types`): the run with the greatest
  logical date before this run's; with `catchup=True` only non-manual runs count (Airflow's
  `get_previous_scheduled_dagrun`), else runs of any type. A run without a logical date has no
  previous run.
- The verdict for one task (`past_depends_verdict`), in Airflow's order:
  1. the task does not depend on past -> run;
  2. this run is the first of a backfill -> run;
  3. there is no previous run -> run;
  4. with catchup, the previous run's logical date is before the task's start_date -> run
     (the task did not exist back then);
  5. the previous run has no instance of the task -> run only if
     `ignore_first_depends_on_past` and no earlier run has an instance of it; else wait;
  6. any instance of the task in the previous run (every map index counts) is not success or
     skipped (unfinished ones included) -> wait;
  7. `wait_for_downstream` and any instance of a direct downstream task in the previous run
     is not success or skipped -> wait;
  8. otherwise run.
  A waiting task stays waiting until the previous run changes (it is never failed for it);
  `decide` does not call a run with held instances deadlocked.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from riir_airflow.engine.graph import DagLike, TIKey, Topology, topology_of
from riir_airflow.engine.trigger_rules import Verdict, VerdictKind
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.sdk.timetables._time import to_utc

__all__ = [
    "held_by_past",
    "past_depends_verdict",
    "previous_run",
    "previous_run_types",
]

_SUCCESSFUL = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED})

StatesIn = Mapping[TIKey, TaskInstanceState | str | None]


def _state(value: TaskInstanceState | str | None) -> TaskInstanceState:
    return TaskInstanceState.NONE if value is None else TaskInstanceState(value)


def previous_run_types(catchup: bool) -> list[str] | None:
    """Run types a previous run may have: non-manual ones with catchup, any (None) without."""
    if not catchup:
        return None
    return [t.value for t in DagRunType if t is not DagRunType.MANUAL]


def previous_run(run: Any, runs: Iterable[Any], *, catchup: bool) -> Any | None:
    """The run depends_on_past looks back to, among `runs` (see the module docstring)."""
    if run.logical_date is None:
        return None
    this = to_utc(run.logical_date)
    allowed = previous_run_types(catchup)
    best = None
    for other in runs:
        if other.logical_date is None or to_utc(other.logical_date) >= this:
            continue
        if allowed is not None and str(getattr(other.run_type, "value", other.run_type)) not in allowed:
            continue
        if best is None or to_utc(other.logical_date) > to_utc(best.logical_date):
            best = other
    return best


def _run(reason: str) -> Verdict:
    return Verdict(VerdictKind.RUN, reason=reason)


def _wait(reason: str) -> Verdict:
    return Verdict(VerdictKind.WAIT, reason=reason)


def past_depends_verdict(
    task: Any,
    *,
    catchup: bool,
    previous_logical_date: datetime.datetime | None,
    previous_states: StatesIn | None,
    downstream_task_ids: Iterable[str] = (),
    has_earlier_instances: bool | Callable[[], bool] = False,
    first_in_backfill: bool = False,
) -> Verdict:
    """RUN or WAIT for one task of a run, from the previous run (see the module docstring).

    `previous_states` maps every task instance of the previous run to its state; None means
    there is no previous run (then `previous_logical_date` is ignored). `downstream_task_ids`
    are the task's direct downstream ids (read from `task` when not given). Evaluated only when
    needed, `has_earlier_instances` says whether any run before this one has an instance of the
    task (a callable, so the caller queries its store only in that case).
    """
    if not getattr(task, "depends_on_past", False):
        return _run("the task does not depend on past")
    if first_in_backfill:
        return _run("first run in a backfill")
    if previous_states is None:
        return _run("no previous run: first task instance for its task")
    start_date = getattr(task, "start_date", None)
    if (
        catchup
        and start_date is not None
        and previous_logical_date is not None
        and to_utc(previous_logical_date) < to_utc(start_date)
    ):
        return _run("the previous run is before the task's start_date")
    task_id = task.task_id
    own = [_state(s) for (tid, _), s in previous_states.items() if tid == task_id]
    if not own:
        if getattr(task, "ignore_first_depends_on_past", False):
            earlier = has_earlier_instances() if callable(has_earlier_instances) else has_earlier_instances
            if not earlier:
                return _run("ignore_first_depends_on_past: first task instance for its task")
        return _wait("depends_on_past: the previous task instance has not run yet")
    unsuccessful = sum(1 for s in own if s not in _SUCCESSFUL)
    if unsuccessful:
        return _wait(
            f"depends_on_past: {unsuccessful} previous task instance(s) are not in a successful state"
        )
    if getattr(task, "wait_for_downstream", False):
        downstream = set(downstream_task_ids) or set(getattr(task, "downstream_task_ids", ()))
        if any(_state(s) not in _SUCCESSFUL for (tid, _), s in previous_states.items() if tid in downstream):
            return _wait("wait_for_downstream: the previous run's downstream tasks have not completed")
    return _run("past dependencies met")


def held_by_past(
    dag: DagLike | Topology,
    states: StatesIn,
    *,
    catchup: bool,
    previous_logical_date: datetime.datetime | None,
    previous_states: StatesIn | None,
    has_earlier_instances: Callable[[str], bool] = lambda task_id: False,
    first_in_backfill: bool = False,
) -> dict[TIKey, str]:
    """The instances of this run that depends_on_past keeps back, with the reason: pass the
    keys as `decide(..., held=...)`. Only schedulable instances (none, up_for_retry,
    up_for_reschedule) are listed; `has_earlier_instances(task_id)` is asked only for tasks
    with ignore_first_depends_on_past that the previous run lacks."""
    topo = topology_of(dag)
    held: dict[TIKey, str] = {}
    verdicts: dict[str, Verdict] = {}
    schedulable = (
        TaskInstanceState.NONE,
        TaskInstanceState.UP_FOR_RETRY,
        TaskInstanceState.UP_FOR_RESCHEDULE,
    )
    for key, value in states.items():
        task = topo.tasks.get(key[0])
        if task is None or not getattr(task, "depends_on_past", False) or _state(value) not in schedulable:
            continue
        verdict = verdicts.get(key[0])
        if verdict is None:
            tid = key[0]
            verdict = verdicts[tid] = past_depends_verdict(
                task,
                catchup=catchup,
                previous_logical_date=previous_logical_date,
                previous_states=previous_states,
                downstream_task_ids=topo.downstream[tid],
                has_earlier_instances=lambda tid=tid: has_earlier_instances(tid),  # type: ignore[misc]
                first_in_backfill=first_in_backfill,
            )
        if verdict.kind is VerdictKind.WAIT:
            held[key] = verdict.reason
    return held
