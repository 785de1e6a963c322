"""Tiny DAG dataclasses satisfying the engine's protocols, and a simulated runner.

`make_dag("a >> b >> c", "a >> d", rules={"d": "one_failed"})` builds a DAG whose task order
is the order of first mention. `simulate(dag, outcomes)` drives `decide` to completion the way
a runner would: it starts what is ready, finishes it at once with the scripted outcome, applies
retries with `retry_delay_for` and fail_fast with `fail_fast_changes`, sleeps (by moving `now`) exactly until `wake_at`, and never
polls. It records every start with its time, so tests can travel in time and check when things
happened without sleeping.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from riir_airflow.engine import (
    Decision,
    ErrorKind,
    TIKey,
    Topology,
    branch_skips,
    decide,
    fail_fast_changes,
    outcome_of_try,
    retry_delay_for,
    short_circuit_skips,
)
from riir_airflow.sdk.state import DagRunState, TaskInstanceState

T0 = datetime(2024, 1, 1, tzinfo=UTC)
S = TaskInstanceState


@dataclass
class FakeTask:
    task_id: str
    trigger_rule: str = "all_success"
    upstream_task_ids: set[str] = field(default_factory=set)
    downstream_task_ids: set[str] = field(default_factory=set)
    is_setup: bool = False
    is_teardown: bool = False
    on_failure_fail_dagrun: bool = False
    retries: int = 0
    retry_delay: timedelta = timedelta(seconds=300)
    retry_exponential_backoff: float | bool = 0
    max_retry_delay: timedelta | None = None
    priority_weight: int = 1
    weight_rule: str = "downstream"


@dataclass
class FakeDag:
    dag_id: str = "test_dag"
    task_dict: dict[str, FakeTask] = field(default_factory=dict)
    fail_fast: bool = False


def make_dag(
    *chains: str,
    tasks: Iterable[str] = (),
    rules: Mapping[str, str] | None = None,
    setups: Iterable[str] = (),
    teardowns: Iterable[str] = (),
    fail_dagrun: Iterable[str] = (),
    dag_id: str = "test_dag",
    fail_fast: bool = False,
    **task_attrs: Mapping[str, object],
) -> FakeDag:
    """A DAG from `"a >> b >> c"` chains (a list item `[x, y]` fans in/out).

    Teardowns get `all_done_setup_success` unless `rules` says otherwise. `task_attrs` maps an
    attribute name to {task_id: value}, e.g. `retries={"b": 2}`.
    """
    dag = FakeDag(dag_id=dag_id, fail_fast=fail_fast)

    def task(tid: str) -> FakeTask:
        if tid not in dag.task_dict:
            dag.task_dict[tid] = FakeTask(tid)
        return dag.task_dict[tid]

    for tid in tasks:
        task(tid)
    for chain in chains:
        levels = [re.findall(r"[\w.]+", part) for part in chain.split(">>")]
        for level in levels:
            for tid in level:
                task(tid)
        for ups, downs in itertools.pairwise(levels):
            for up in ups:
                for down in downs:
                    task(up).downstream_task_ids.add(down)
                    task(down).upstream_task_ids.add(up)
    for tid in setups:
        task(tid).is_setup = True
    for tid in teardowns:
        task(tid).is_teardown = True
        task(tid).trigger_rule = "all_done_setup_success"
    for tid in fail_dagrun:
        task(tid).on_failure_fail_dagrun = True
    for tid, rule in (rules or {}).items():
        task(tid).trigger_rule = rule
    for attr, values in task_attrs.items():
        for tid, value in values.items():
            setattr(task(tid), attr, value)
    return dag


@dataclass(frozen=True)
class Branch:
    """Scripted outcome of a branch task: succeeds and follows `followed`."""

    followed: tuple[str, ...] | str | None


@dataclass(frozen=True)
class ShortCircuit:
    """Scripted outcome of a short circuit task: succeeds; skips downstream when falsy."""

    condition: bool
    ignore_downstream_trigger_rules: bool = True


Outcome = ErrorKind | str | Branch | ShortCircuit
Script = Outcome | list[Outcome] | Callable[[int], Outcome]


@dataclass
class RunResult:
    run_state: DagRunState
    states: dict[TIKey, TaskInstanceState]
    try_numbers: dict[TIKey, int]
    starts: list[tuple[datetime, TIKey]]
    decisions: list[Decision]
    deadlocked: bool
    end: datetime

    def state(self, task_id: str, map_index: int = -1) -> str:
        return self.states[(task_id, map_index)].value

    def by_task(self) -> dict[str, str]:
        return {tid: s.value for (tid, mi), s in self.states.items() if mi == -1}

    def started(self) -> list[str]:
        return [key[0] for _, key in self.starts]


def _outcome(script: Script | None, try_number: int) -> Outcome:
    if script is None:
        return ErrorKind.SUCCESS
    if callable(script) and not isinstance(script, (Branch, ShortCircuit)):
        return script(try_number)
    if isinstance(script, list):
        return script[min(try_number, len(script)) - 1]
    return script


def simulate(
    dag: FakeDag,
    outcomes: Mapping[str, Script] | None = None,
    *,
    states: Mapping[TIKey, TaskInstanceState] | None = None,
    start: datetime = T0,
    max_steps: int = 1000,
) -> RunResult:
    """Run `dag` to completion; tasks not in `outcomes` succeed."""
    outcomes = outcomes or {}
    topo = Topology(dag)
    now = start
    current: dict[TIKey, TaskInstanceState] = dict(states or {})
    retry_at: dict[TIKey, datetime] = {}
    tries: dict[TIKey, int] = {}
    starts: list[tuple[datetime, TIKey]] = []
    decisions: list[Decision] = []
    for _ in range(max_steps):
        decision = decide(topo, current, now=now, next_retry_at=retry_at)
        decisions.append(decision)
        current = dict(decision.states)
        if decision.run_state is not None:
            return RunResult(decision.run_state, current, tries, starts, decisions, decision.deadlocked, now)
        if not decision.ready and decision.changes:
            continue  # flags set in this pass are counted by the next one
        if not decision.ready:
            assert decision.wake_at is not None and decision.wake_at > now, "runner would poll"
            now = decision.wake_at
            continue
        for key in decision.ready:
            if current[key] not in (S.NONE, S.UP_FOR_RETRY, S.UP_FOR_RESCHEDULE):
                continue  # skipped by a branch that ran earlier in this batch
            starts.append((now, key))
            tries[key] = tries.get(key, 0) + 1
            outcome = _outcome(outcomes.get(key[0]), tries[key])
            if isinstance(outcome, Branch):
                for tid in branch_skips(topo, key[0], outcome.followed):
                    current[(tid, key[1])] = S.SKIPPED
                outcome = ErrorKind.SUCCESS
            elif isinstance(outcome, ShortCircuit):
                if not outcome.condition:
                    for tid in short_circuit_skips(topo, key[0], outcome.ignore_downstream_trigger_rules):
                        current[(tid, key[1])] = S.SKIPPED
                outcome = ErrorKind.SUCCESS
            new_state = outcome_of_try(topo.tasks[key[0]], tries[key], outcome)
            current[key] = new_state
            if new_state is S.FAILED:
                current.update(fail_fast_changes(topo, key, current))
            if new_state is S.UP_FOR_RETRY:
                delay = retry_delay_for(
                    topo.tasks[key[0]], tries[key], dag_id=dag.dag_id, run_id_or_logical_date=start
                )
                retry_at[key] = now + delay
    raise AssertionError("simulation did not finish")
