"""`decide` on hand-built run states: readiness, ordering, propagation, run state, deadlock,
retries in time, fail_fast. End-to-end runs are in test_scheduling_scenarios.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from riir_airflow.engine import (
    RUN,
    WAIT,
    Topology,
    VerdictKind,
    dag_run_state,
    decide,
    evaluate_ti,
    fail_fast_changes,
)
from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.state import TaskInstanceState as S

from .dagkit import T0, make_dag


def st(**states: S) -> dict[tuple[str, int], S]:
    return {(tid, -1): s for tid, s in states.items()}


# ---- readiness and order -----------------------------------------------------------------


def test_fresh_run_makes_only_root_tasks_ready() -> None:
    dag = make_dag("a >> b >> c", "d")
    d = decide(dag, {}, now=T0)
    assert d.ready == (("a", -1), ("d", -1))
    assert d.run_state is None and not d.changes and d.wake_at is None


def test_missing_tasks_are_treated_as_state_none_and_listed_in_states() -> None:
    d = decide(make_dag("a >> b"), st(a=S.SUCCESS), now=T0)
    assert d.ready == (("b", -1),)
    assert d.states[("b", -1)] is S.NONE


def test_none_state_given_as_python_none_or_string_is_accepted() -> None:
    d = decide(make_dag("a >> b"), {("a", -1): "success", ("b", -1): None}, now=T0)
    assert d.ready == (("b", -1),)


def test_ready_is_ordered_by_priority_weight_then_task_order_then_map_index() -> None:
    # downstream weight rule: a=1+1 (x), b=1, c has priority 5 absolute
    dag = make_dag("a >> x", tasks=["b", "c", "m"], priority_weight={"c": 5}, weight_rule={"c": "absolute"})
    states = {("b", -1): S.NONE, ("m", 1): S.NONE, ("m", 0): S.NONE}
    d = decide(dag, states, now=T0)
    assert d.ready == (("c", -1), ("a", -1), ("b", -1), ("m", 0), ("m", 1))


def test_upstream_weight_rule_sums_upstream_weights() -> None:
    topo = Topology(make_dag("a >> b >> c", weight_rule={"c": "upstream", "a": "absolute"}))
    assert topo.priority_weight == {"a": 1, "b": 2, "c": 3}


def test_in_flight_instances_are_neither_ready_nor_changed() -> None:
    dag = make_dag("a >> b", tasks=["q", "r", "dfr", "sch"])
    states = st(a=S.RUNNING, q=S.QUEUED, r=S.RESTARTING, dfr=S.DEFERRED, sch=S.SCHEDULED)
    d = decide(dag, states, now=T0)
    assert d.ready == () and not d.changes and d.run_state is None and not d.deadlocked
    assert "all_success" in d.waiting[("b", -1)]


# ---- propagation -------------------------------------------------------------------------


def settle(dag, states):
    """Call decide until a call changes nothing, as a runner does between task runs."""
    calls = []
    while True:
        d = decide(dag, states, now=T0)
        calls.append(d)
        states = d.states
        if not d.changes:
            return calls


def test_failure_moves_down_a_chain_one_level_per_call_as_in_airflow() -> None:
    dag = make_dag("a >> b >> c >> d", "a >> e", rules={"e": "one_failed"})
    first = decide(dag, st(a=S.FAILED), now=T0)
    assert first.changes == {("b", -1): S.UPSTREAM_FAILED}
    assert first.ready == (("e", -1),)
    last = settle(dag, st(a=S.FAILED))[-1]
    assert all(last.states[(t, -1)] is S.UPSTREAM_FAILED for t in "bcd")


def test_trigger_rules_count_the_states_the_call_started_from() -> None:
    # Airflow 3.3 (golden tr_mix_skipped_upstream_failed): `uf` is flagged upstream_failed in
    # the same pass in which all_success sees `skip` skipped and `uf` unfinished -> skipped.
    dag = make_dag("uf_src >> uf", "skip >> j", "uf >> j")
    d = decide(dag, st(uf_src=S.FAILED, skip=S.SKIPPED), now=T0)
    assert d.changes == {("uf", -1): S.UPSTREAM_FAILED, ("j", -1): S.SKIPPED}


def test_skip_moves_down_a_chain_and_the_run_finishes_success() -> None:
    calls = settle(make_dag("a >> b >> c"), st(a=S.SKIPPED))
    assert [set(c.skipped) for c in calls[:2]] == [{("b", -1)}, {("c", -1)}]
    assert calls[-1].run_state is DagRunState.SUCCESS


def test_changes_are_listed_in_the_order_they_were_decided() -> None:
    d = decide(make_dag("a >> b", "a >> c"), st(a=S.FAILED), now=T0)
    assert list(d.changes) == [("b", -1), ("c", -1)]
    assert d.upstream_failed == {("b", -1), ("c", -1)}


def test_instances_of_tasks_no_longer_in_the_dag_are_set_removed_and_ignored() -> None:
    d = decide(make_dag("a"), {("a", -1): S.SUCCESS, ("gone", -1): S.NONE}, now=T0)
    assert d.changes == {("gone", -1): S.REMOVED}
    assert d.run_state is DagRunState.SUCCESS


# ---- mapped instances --------------------------------------------------------------------


def test_mapped_upstream_counts_every_instance_for_all_success() -> None:
    dag = make_dag("m >> b")
    states = {("m", 0): S.SUCCESS, ("m", 1): S.RUNNING, ("b", -1): S.NONE}
    assert decide(dag, states, now=T0).ready == ()
    states[("m", 1)] = S.FAILED
    assert decide(dag, states, now=T0).changes == {("b", -1): S.UPSTREAM_FAILED}


def test_one_success_fires_on_the_first_successful_mapped_instance() -> None:
    dag = make_dag("m >> b", rules={"b": "one_success"})
    states = {("m", 0): S.RUNNING, ("m", 1): S.SUCCESS, ("m", 2): S.RUNNING}
    assert decide(dag, states, now=T0).ready == (("b", -1),)


def test_mapped_task_expanded_over_an_empty_list_is_skipped_and_skips_its_downstream() -> None:
    d = decide(make_dag("src >> m >> b"), st(src=S.SUCCESS, m=S.SKIPPED), now=T0)
    assert d.changes == {("b", -1): S.SKIPPED}


def test_every_ready_mapped_instance_is_returned() -> None:
    dag = make_dag("src >> m")
    states = {("src", -1): S.SUCCESS, ("m", 0): S.NONE, ("m", 1): S.NONE, ("m", 2): S.SUCCESS}
    assert decide(dag, states, now=T0).ready == (("m", 0), ("m", 1))


# ---- retries and reschedules in time -----------------------------------------------------


def test_up_for_retry_waits_until_its_retry_time_and_reports_it_as_wake_at() -> None:
    dag = make_dag("a >> b")
    due = T0 + timedelta(minutes=5)
    early = decide(dag, st(a=S.UP_FOR_RETRY), now=T0, next_retry_at={("a", -1): due})
    assert early.ready == () and early.wake_at == due and early.run_state is None
    assert not early.deadlocked
    on_time = decide(dag, st(a=S.UP_FOR_RETRY), now=due, next_retry_at={("a", -1): due})
    assert on_time.ready == (("a", -1),) and on_time.wake_at is None


def test_up_for_retry_without_a_retry_time_is_ready_at_once() -> None:
    assert decide(make_dag("a"), st(a=S.UP_FOR_RETRY), now=T0).ready == (("a", -1),)


def test_up_for_reschedule_uses_next_retry_at_as_its_reschedule_date() -> None:
    due = T0 + timedelta(seconds=30)
    d = decide(make_dag("s"), st(s=S.UP_FOR_RESCHEDULE), now=T0, next_retry_at={("s", -1): due})
    assert d.ready == () and d.wake_at == due


def test_wake_at_is_the_earliest_of_several_waiting_retries() -> None:
    times = {("a", -1): T0 + timedelta(seconds=90), ("b", -1): T0 + timedelta(seconds=30)}
    d = decide(make_dag("a", "b"), st(a=S.UP_FOR_RETRY, b=S.UP_FOR_RETRY), now=T0, next_retry_at=times)
    assert d.wake_at == T0 + timedelta(seconds=30)


def test_a_retry_time_for_a_none_state_instance_is_ignored() -> None:
    d = decide(make_dag("a"), st(a=S.NONE), now=T0, next_retry_at={("a", -1): T0 + timedelta(hours=1)})
    assert d.ready == (("a", -1),) and d.wake_at is None


# ---- held instances ----------------------------------------------------------------------


def test_held_instances_are_not_ready_and_prevent_a_deadlock_verdict() -> None:
    d = decide(make_dag("a >> b"), {}, now=T0, held={("a", -1)})
    assert d.ready == () and d.run_state is None and not d.deadlocked
    assert d.waiting[("a", -1)] == "held by the caller"


# ---- run state ---------------------------------------------------------------------------


def test_run_succeeds_when_all_leaves_succeeded_or_skipped() -> None:
    d = decide(make_dag("a >> b", "a >> c"), st(a=S.SUCCESS, b=S.SUCCESS, c=S.SKIPPED), now=T0)
    assert d.run_state is DagRunState.SUCCESS and d.finished


def test_run_fails_when_a_leaf_is_upstream_failed() -> None:
    d = decide(make_dag("a >> b", "c"), st(a=S.FAILED, c=S.SUCCESS), now=T0)
    assert d.run_state is DagRunState.FAILED and not d.deadlocked


def test_a_failed_non_leaf_does_not_fail_the_run_when_its_leaf_recovered() -> None:
    dag = make_dag("a >> b", rules={"b": "all_done"})
    assert decide(dag, st(a=S.FAILED, b=S.SUCCESS), now=T0).run_state is DagRunState.SUCCESS


def test_run_continues_while_any_instance_is_unfinished_even_if_leaves_failed() -> None:
    dag = make_dag("a >> b", "c >> d")
    d = decide(dag, st(a=S.FAILED, c=S.RUNNING), now=T0)
    assert d.changes == {("b", -1): S.UPSTREAM_FAILED} and d.run_state is None


def test_removed_leaves_are_ignored_for_the_run_state() -> None:
    dag = make_dag("a >> b", "a >> c")
    assert dag_run_state(dag, st(a=S.SUCCESS, b=S.REMOVED, c=S.SUCCESS)) is DagRunState.SUCCESS


def test_teardown_leaf_is_ignored_for_the_run_state_so_its_upstream_work_counts() -> None:
    dag = make_dag("s >> w >> t", setups=["s"], teardowns=["t"])
    assert dag_run_state(dag, st(s=S.SUCCESS, w=S.FAILED, t=S.SUCCESS)) is DagRunState.FAILED
    assert dag_run_state(dag, st(s=S.SUCCESS, w=S.SUCCESS, t=S.FAILED)) is DagRunState.SUCCESS


def test_teardown_with_on_failure_fail_dagrun_counts_as_a_leaf() -> None:
    dag = make_dag("s >> w >> t", setups=["s"], teardowns=["t"], fail_dagrun=["t"])
    assert dag_run_state(dag, st(s=S.SUCCESS, w=S.SUCCESS, t=S.FAILED)) is DagRunState.FAILED
    assert Topology(dag).effective_leaves == {"t"}


def test_dag_of_only_teardowns_uses_plain_leaves() -> None:
    dag = make_dag("t1 >> t2", teardowns=["t1", "t2"])
    assert Topology(dag).effective_leaves == {"t2"}


def test_dag_run_state_is_none_while_a_task_has_no_instance_or_one_is_unfinished() -> None:
    dag = make_dag("a >> b")
    assert dag_run_state(dag, st(a=S.SUCCESS)) is None
    assert dag_run_state(dag, st(a=S.SUCCESS, b=S.UP_FOR_RETRY)) is None


# ---- deadlock ----------------------------------------------------------------------------


def test_run_with_nothing_able_to_progress_is_failed_as_deadlocked() -> None:
    # all_skipped with a removed upstream can neither pass nor be flagged (Airflow parity).
    dag = make_dag("a >> c", "b >> c", rules={"c": "all_skipped"})
    d = decide(dag, st(a=S.SKIPPED, b=S.REMOVED), now=T0)
    assert d.deadlocked and d.run_state is DagRunState.FAILED and d.ready == ()
    assert ("c", -1) in d.waiting


def test_an_instance_in_flight_prevents_a_deadlock_verdict() -> None:
    dag = make_dag("a >> c", "b >> c", "x", rules={"c": "all_skipped"})
    d = decide(dag, st(a=S.SKIPPED, b=S.REMOVED, x=S.RUNNING), now=T0)
    assert not d.deadlocked and d.run_state is None


# ---- setup / teardown --------------------------------------------------------------------


def test_teardown_waits_for_indirect_in_scope_work_even_when_direct_upstreams_are_done() -> None:
    # The scope is the teardown's indirect upstreams that are downstream of its setups.
    dag = make_dag("s >> w1 >> t", "s >> t", "s >> x >> t", setups=["s"], teardowns=["t"])
    topo = Topology(dag)
    assert topo.teardown_scope["t"] == frozenset()  # every in-scope task is a direct upstream
    dag2 = make_dag("s >> w1 >> w2 >> t", "s >> t", "w1 >> side", setups=["s"], teardowns=["t"])
    assert Topology(dag2).teardown_scope["t"] == {"w1"}  # indirect upstream, downstream of s
    states = st(s=S.SUCCESS, w1=S.RUNNING, w2=S.SUCCESS)  # as if w2 had been marked success
    verdict = evaluate_ti(dag2, states, ("t", -1))
    assert verdict == WAIT and "w1" in verdict.reason


def test_teardown_runs_once_in_scope_work_is_done_even_if_it_failed() -> None:
    dag = make_dag("s >> w >> t", "s >> t", setups=["s"], teardowns=["t"])
    assert evaluate_ti(dag, st(s=S.SUCCESS, w=S.FAILED), ("t", -1)) == RUN


def test_work_task_is_upstream_failed_as_soon_as_its_indirect_setup_fails() -> None:
    # w2's direct upstreams are w1 (still running) and the setup is indirect.
    dag = make_dag("s >> w1 >> w2 >> t", "s >> t", "s >> other >> w2", setups=["s"], teardowns=["t"])
    d = decide(dag, st(s=S.FAILED, w1=S.RUNNING, other=S.RUNNING), now=T0)
    assert d.changes[("w2", -1)] is S.UPSTREAM_FAILED


def test_work_task_is_skipped_when_its_setup_is_skipped() -> None:
    dag = make_dag("s >> w >> t", "s >> t", setups=["s"], teardowns=["t"])
    calls = settle(dag, st(s=S.SKIPPED))
    assert calls[-1].states[("w", -1)] is S.SKIPPED and calls[-1].states[("t", -1)] is S.SKIPPED
    assert calls[-1].run_state is DagRunState.SUCCESS


def test_teardown_is_upstream_failed_when_its_only_setup_failed() -> None:
    dag = make_dag("s >> w >> t", "s >> t", setups=["s"], teardowns=["t"])
    calls = settle(dag, st(s=S.FAILED))
    assert calls[-1].states[("w", -1)] is S.UPSTREAM_FAILED
    assert calls[-1].states[("t", -1)] is S.UPSTREAM_FAILED
    assert calls[-1].run_state is DagRunState.FAILED


def test_setup_whose_teardown_is_not_downstream_of_a_task_is_not_relevant_to_it() -> None:
    # s's teardown t1 is not downstream of w, so w does not depend on s through scoping.
    dag = make_dag("s >> t1", "s >> a >> w", setups=["s"], teardowns=["t1"])
    assert Topology(dag).relevant_indirect_setups["w"] == frozenset()
    dag2 = make_dag("s >> a >> w", setups=["s"])  # a setup without teardown is always relevant
    assert Topology(dag2).relevant_indirect_setups["w"] == {"s"}


def test_always_rule_ignores_indirect_setups() -> None:
    dag = make_dag("s >> a >> w", setups=["s"], rules={"w": "always"})
    assert evaluate_ti(dag, st(s=S.FAILED, a=S.RUNNING), ("w", -1)) == RUN


# ---- evaluate_ti / topology validation ---------------------------------------------------


def test_evaluate_ti_explains_why_a_task_waits() -> None:
    verdict = evaluate_ti(make_dag("a >> b"), st(a=S.RUNNING), ("b", -1))
    assert verdict.kind is VerdictKind.WAIT and "all_success" in verdict.reason
    with pytest.raises(KeyError):
        evaluate_ti(make_dag("a"), {}, ("zzz", -1))


def test_topology_rejects_cycles_unknown_ids_and_one_sided_edges() -> None:
    with pytest.raises(ValueError, match="cycle"):
        Topology(make_dag("a >> b >> a"))
    dag = make_dag("a >> b")
    dag.task_dict["b"].upstream_task_ids.add("ghost")
    with pytest.raises(ValueError, match="unknown upstream"):
        Topology(dag)
    dag = make_dag("a >> b")
    dag.task_dict["a"].downstream_task_ids.discard("b")
    with pytest.raises(ValueError, match="not downstream"):
        Topology(dag)


def test_decide_accepts_a_prebuilt_topology() -> None:
    topo = Topology(make_dag("a >> b"))
    assert decide(topo, {}, now=T0).ready == (("a", -1),)


# ---- fail_fast ---------------------------------------------------------------------------


def test_fail_fast_fails_running_tasks_and_skips_every_other_unfinished_non_teardown() -> None:
    dag = make_dag("a >> b", "c", "d", "e", "s >> t", setups=["s"], teardowns=["t"], fail_fast=True)
    states = st(a=S.FAILED, b=S.NONE, c=S.RUNNING, d=S.SUCCESS, e=S.QUEUED, s=S.SUCCESS, t=S.NONE)
    assert fail_fast_changes(dag, ("a", -1), states) == {
        ("b", -1): S.SKIPPED,
        ("c", -1): S.FAILED,
        ("e", -1): S.SKIPPED,
    }


def test_fail_fast_mirrors_airflow_in_resetting_upstream_failed_to_skipped() -> None:
    dag = make_dag("a >> b", "x >> y", fail_fast=True)
    states = st(a=S.FAILED, b=S.UPSTREAM_FAILED, x=S.FAILED, y=S.SKIPPED)
    assert fail_fast_changes(dag, ("a", -1), states) == {("b", -1): S.SKIPPED}


def test_fail_fast_leaves_other_map_indexes_of_the_failed_task_alone() -> None:
    dag = make_dag("m", "other", fail_fast=True)
    states = {("m", 0): S.FAILED, ("m", 1): S.RUNNING, ("other", -1): S.RUNNING}
    assert fail_fast_changes(dag, ("m", 0), states) == {("other", -1): S.FAILED}


def test_fail_fast_changes_nothing_when_the_dag_is_not_fail_fast() -> None:
    assert fail_fast_changes(make_dag("a", "b"), ("a", -1), st(a=S.FAILED, b=S.RUNNING)) == {}
