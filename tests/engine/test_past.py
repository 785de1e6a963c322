"""depends_on_past / wait_for_downstream / ignore_first_depends_on_past, pure (spec 4.6)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pendulum
import pytest

from riir_airflow.engine import (
    VerdictKind,
    decide,
    held_by_past,
    past_depends_verdict,
    previous_run,
    previous_run_types,
)
from riir_airflow.sdk.state import TaskInstanceState as S

from .dagkit import T0, make_dag


def day(d: int) -> pendulum.DateTime:
    return pendulum.datetime(2024, 1, d, tz="UTC")


@dataclass
class Run:
    run_id: str
    run_type: str
    logical_date: datetime.datetime | None


@dataclass
class Task:
    task_id: str = "t"
    depends_on_past: bool = True
    wait_for_downstream: bool = False
    ignore_first_depends_on_past: bool = False
    start_date: datetime.datetime | None = None
    downstream_task_ids: frozenset[str] = frozenset()


def verdict(task: Task, previous: dict[tuple[str, int], Any] | None, **kw: Any) -> tuple[VerdictKind, str]:
    kw.setdefault("catchup", False)
    kw.setdefault("previous_logical_date", day(1))
    v = past_depends_verdict(task, previous_states=previous, **kw)
    return v.kind, v.reason


# -- which run is previous ---------------------------------------------------------------------------
RUNS = [
    Run("scheduled_1", "scheduled", day(1)),
    Run("backfill_2", "backfill", day(2)),
    Run("manual_3", "manual", day(3)),
    Run("asset_x", "asset_triggered", None),
    Run("scheduled_5", "scheduled", day(5)),
]


def test_previous_run_without_catchup_is_the_latest_earlier_run_of_any_type() -> None:
    assert previous_run(Run("r", "scheduled", day(4)), RUNS, catchup=False).run_id == "manual_3"


def test_previous_run_with_catchup_skips_manual_runs_but_counts_backfills() -> None:
    assert previous_run(Run("r", "scheduled", day(4)), RUNS, catchup=True).run_id == "backfill_2"
    assert "manual" not in previous_run_types(True)
    assert previous_run_types(False) is None


def test_a_run_without_logical_date_or_before_every_other_has_no_previous_run() -> None:
    assert previous_run(Run("r", "asset_triggered", None), RUNS, catchup=False) is None
    assert previous_run(Run("r", "scheduled", day(1)), RUNS, catchup=False) is None


# -- the verdict, rule by rule ---------------------------------------------------------------------------
def test_a_task_without_depends_on_past_always_runs() -> None:
    assert verdict(Task(depends_on_past=False), {("t", -1): S.FAILED})[0] is VerdictKind.RUN


def test_the_first_run_of_a_backfill_runs_whatever_the_past() -> None:
    assert verdict(Task(), {("t", -1): S.FAILED}, first_in_backfill=True)[0] is VerdictKind.RUN


def test_no_previous_run_means_run() -> None:
    assert verdict(Task(), None)[0] is VerdictKind.RUN


@pytest.mark.parametrize("state", [S.SUCCESS, S.SKIPPED])
def test_runs_when_the_previous_instance_succeeded_or_was_skipped(state: S) -> None:
    assert verdict(Task(), {("t", -1): state})[0] is VerdictKind.RUN


@pytest.mark.parametrize("state", [S.FAILED, S.UPSTREAM_FAILED, S.NONE, S.RUNNING, S.UP_FOR_RETRY, S.REMOVED])
def test_waits_when_the_previous_instance_did_not_end_well_or_has_not_ended(state: S) -> None:
    kind, reason = verdict(Task(), {("t", -1): state})
    assert kind is VerdictKind.WAIT and "1 previous task instance(s)" in reason


def test_every_map_index_of_the_previous_run_counts() -> None:
    previous = {("t", 0): S.SUCCESS, ("t", 1): S.FAILED, ("t", 2): S.FAILED, ("other", -1): S.FAILED}
    kind, reason = verdict(Task(), previous)
    assert kind is VerdictKind.WAIT and "2 previous" in reason


def test_with_catchup_a_previous_run_before_the_tasks_start_date_does_not_count() -> None:
    task = Task(start_date=day(2))
    assert (
        verdict(task, {("t", -1): S.FAILED}, catchup=True, previous_logical_date=day(1))[0] is VerdictKind.RUN
    )
    assert (
        verdict(task, {("t", -1): S.FAILED}, catchup=False, previous_logical_date=day(1))[0]
        is VerdictKind.WAIT
    )


def test_a_task_the_previous_run_lacks_waits() -> None:
    kind, reason = verdict(Task(), {("other", -1): S.SUCCESS})
    assert kind is VerdictKind.WAIT and "has not run yet" in reason


def test_ignore_first_depends_on_past_runs_a_new_task_once_no_earlier_instance_exists() -> None:
    asked: list[bool] = []

    def never() -> bool:
        asked.append(True)
        return False

    task = Task(ignore_first_depends_on_past=True)
    assert verdict(task, {("other", -1): S.SUCCESS}, has_earlier_instances=never)[0] is VerdictKind.RUN
    assert verdict(task, {("other", -1): S.SUCCESS}, has_earlier_instances=True)[0] is VerdictKind.WAIT
    # only asked when the previous run lacks the task
    verdict(task, {("t", -1): S.SUCCESS}, has_earlier_instances=never)
    assert asked == [True]


def test_wait_for_downstream_also_needs_the_previous_runs_direct_downstreams_done_well() -> None:
    task = Task(wait_for_downstream=True, downstream_task_ids=frozenset({"down"}))
    ok = {("t", -1): S.SUCCESS, ("down", -1): S.SKIPPED, ("further", -1): S.FAILED}
    assert verdict(task, ok)[0] is VerdictKind.RUN
    kind, reason = verdict(task, {("t", -1): S.SUCCESS, ("down", -1): S.RUNNING})
    assert kind is VerdictKind.WAIT and "wait_for_downstream" in reason


# -- held instances and decide -------------------------------------------------------------------------------
def test_held_by_past_lists_only_schedulable_instances_of_tasks_that_wait() -> None:
    dag = make_dag("a >> b", "c", depends_on_past={"a": True, "c": True})
    states = {("a", -1): S.NONE, ("b", -1): S.NONE, ("c", 0): S.UP_FOR_RETRY, ("c", 1): S.SUCCESS}
    previous = {("a", -1): S.FAILED, ("b", -1): S.SUCCESS, ("c", 0): S.FAILED}
    held = held_by_past(dag, states, catchup=False, previous_logical_date=day(1), previous_states=previous)
    assert set(held) == {("a", -1), ("c", 0)}


def test_a_held_task_never_starts_its_run_is_not_deadlocked_and_upstream_failure_still_flags_it() -> None:
    dag = make_dag("up >> t >> after", "free", depends_on_past={"t": True})
    previous = {("t", -1): S.FAILED}
    states: dict[tuple[str, int], S] = {}
    held = held_by_past(
        dag, {("t", -1): S.NONE}, catchup=False, previous_logical_date=day(1), previous_states=previous
    )
    d = decide(dag, states, now=T0, held=held)
    assert d.ready == (("up", -1), ("free", -1))
    states = {("up", -1): S.SUCCESS, ("free", -1): S.SUCCESS}
    d = decide(dag, states, now=T0, held=held)
    assert d.ready == () and d.run_state is None and not d.deadlocked
    d = decide(dag, {("up", -1): S.FAILED, ("free", -1): S.SUCCESS}, now=T0, held=held)
    assert d.changes == {("t", -1): S.UPSTREAM_FAILED}


def test_three_consecutive_runs_a_failure_holds_the_next_run_until_it_is_cleared_and_succeeds() -> None:
    """Time travels over three daily runs; each run's instance of `t` looks at the one before."""
    dag = make_dag("t", depends_on_past={"t": True})
    history: dict[int, dict[tuple[str, int], S]] = {}

    def step(d: int, outcome: S) -> S:
        previous = history.get(d - 1)
        held = held_by_past(
            dag,
            {("t", -1): S.NONE},
            catchup=True,
            previous_logical_date=day(d - 1) if d > 1 else None,
            previous_states=previous,
        )
        decision = decide(dag, {("t", -1): S.NONE}, now=day(d), held=held)
        state = outcome if decision.ready else S.NONE
        history[d] = {("t", -1): state}
        return state

    assert step(1, S.FAILED) is S.FAILED
    assert step(2, S.SUCCESS) is S.NONE  # held by day 1
    history[1] = {("t", -1): S.SUCCESS}  # day 1 cleared and run again
    assert step(2, S.SUCCESS) is S.SUCCESS
    assert step(3, S.SUCCESS) is S.SUCCESS
