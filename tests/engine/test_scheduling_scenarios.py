"""Whole runs driven through `decide` by the simulated runner in dagkit.

The first group reproduces the trip-ups of spec 3.5 and 4.6 that were verified against real
Airflow 2.10 and 3.3 with `dags test`; the rest pin retries in (simulated) time, setup and
teardown, mapping and deadlock end to end. Nothing sleeps: the runner moves `now` to
`Decision.wake_at`.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from riir_airflow.engine import ErrorKind, retry_delay_for
from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.state import TaskInstanceState as S

from .dagkit import T0, Branch, ShortCircuit, make_dag, simulate

# ---- spec trip-ups (verified on Airflow 2.10 and 3.3) ----------------------------------------


def test_branch_chose_b1_skips_b2_its_downstream_and_all_success_join_but_runs_tolerant_joins() -> None:
    dag = make_dag(
        "branch >> [b1, b2]",
        "[b1, b2] >> join",
        "[b1, b2] >> join_tolerant",
        "b2 >> b2_down",
        "join >> after",
        rules={"join_tolerant": "none_failed_min_one_success", "after": "all_done"},
    )
    result = simulate(dag, {"branch": Branch("b1")})
    assert result.by_task() == {
        "branch": "success",
        "b1": "success",
        "b2": "skipped",
        "join": "skipped",
        "join_tolerant": "success",
        "b2_down": "skipped",
        "after": "success",
    }
    assert result.run_state is DagRunState.SUCCESS


def test_branch_with_a_direct_edge_to_join_keeps_join_when_a_followed_task_leads_to_it() -> None:
    dag = make_dag("branch >> [b1, b2, join]", "b1 >> join", "b2 >> join", rules={"join": "none_failed"})
    result = simulate(dag, {"branch": Branch("b1")})
    assert result.by_task() == {"branch": "success", "b1": "success", "b2": "skipped", "join": "success"}


def test_skip_then_all_success_none_failed_one_success_give_skipped_success_skipped() -> None:
    dag = make_dag(
        "skip >> [all_success, none_failed, one_success]",
        rules={"none_failed": "none_failed", "one_success": "one_success"},
    )
    result = simulate(dag, {"skip": ErrorKind.SKIP})
    assert [result.state(t) for t in ("all_success", "none_failed", "one_success")] == [
        "skipped",
        "success",
        "skipped",
    ]
    assert result.run_state is DagRunState.SUCCESS


def test_fail_then_two_all_success_are_upstream_failed_and_one_failed_runs() -> None:
    dag = make_dag("fail >> first >> second", "fail >> on_fail", rules={"on_fail": "one_failed"})
    result = simulate(dag, {"fail": ErrorKind.ERROR})
    assert result.by_task() == {
        "fail": "failed",
        "first": "upstream_failed",
        "second": "upstream_failed",
        "on_fail": "success",
    }
    assert result.started() == ["fail", "on_fail"]
    assert result.run_state is DagRunState.FAILED


def test_short_circuit_false_skips_all_done_grandchild_by_default() -> None:
    dag = make_dag("sc >> child >> grandchild", rules={"grandchild": "all_done"})
    result = simulate(dag, {"sc": ShortCircuit(False)})
    assert result.by_task() == {"sc": "success", "child": "skipped", "grandchild": "skipped"}


def test_short_circuit_false_respecting_trigger_rules_lets_all_done_grandchild_run() -> None:
    dag = make_dag("sc >> child >> grandchild", rules={"grandchild": "all_done"})
    result = simulate(dag, {"sc": ShortCircuit(False, ignore_downstream_trigger_rules=False)})
    assert result.by_task() == {"sc": "success", "child": "skipped", "grandchild": "success"}


def test_short_circuit_true_skips_nothing() -> None:
    dag = make_dag("sc >> child >> grandchild")
    assert simulate(dag, {"sc": ShortCircuit(True)}).run_state is DagRunState.SUCCESS


def test_teardown_after_failed_work_still_runs_and_the_run_is_failed() -> None:
    dag = make_dag("setup >> work >> teardown", "setup >> teardown", setups=["setup"], teardowns=["teardown"])
    result = simulate(dag, {"work": ErrorKind.ERROR})
    assert result.by_task() == {"setup": "success", "work": "failed", "teardown": "success"}
    assert result.run_state is DagRunState.FAILED


def test_retry_waits_retry_delay_and_second_try_succeeds_with_try_number_2() -> None:
    dag = make_dag("flaky >> after", retries={"flaky": 1}, retry_delay={"flaky": timedelta(seconds=1)})
    result = simulate(dag, {"flaky": [ErrorKind.ERROR, ErrorKind.SUCCESS]})
    assert result.starts == [
        (T0, ("flaky", -1)),
        (T0 + timedelta(seconds=1), ("flaky", -1)),
        (T0 + timedelta(seconds=1), ("after", -1)),
    ]
    assert result.try_numbers[("flaky", -1)] == 2
    assert result.run_state is DagRunState.SUCCESS


# ---- probed on Airflow 3.3.2 with `airflow dags test` while writing the engine ---------------


def test_fail_fast_skips_the_rest_and_the_run_ends_success_when_only_skipped_leaves_remain() -> None:
    # Airflow 3.3.2: boom failed, after skipped (try 0), run state success. Surprising but real:
    # the failed task is not a leaf and fail_fast turns its would-be upstream_failed leaf
    # into skipped.
    dag = make_dag("boom >> after", fail_fast=True)
    result = simulate(dag, {"boom": ErrorKind.ERROR})
    assert result.by_task() == {"boom": "failed", "after": "skipped"}
    assert result.run_state is DagRunState.SUCCESS


def test_fail_fast_failure_of_a_leaf_fails_the_run() -> None:
    dag = make_dag("a >> boom", "other", fail_fast=True)
    result = simulate(dag, {"boom": ErrorKind.ERROR})
    assert result.by_task() == {"a": "success", "boom": "failed", "other": "success"}
    assert result.run_state is DagRunState.FAILED


# ---- retries in time ---------------------------------------------------------------------


def test_retry_is_not_started_before_next_retry_at_and_runner_wakes_exactly_then() -> None:
    dag = make_dag("a", "slow", retries={"a": 1}, retry_delay={"a": timedelta(minutes=5)})
    result = simulate(dag, {"a": [ErrorKind.ERROR, ErrorKind.SUCCESS]})
    retry_decision = result.decisions[1]
    assert retry_decision.ready == () and retry_decision.wake_at == T0 + timedelta(minutes=5)
    assert result.starts[-1] == (T0 + timedelta(minutes=5), ("a", -1))
    assert result.end == T0 + timedelta(minutes=5)


def test_exponential_backoff_retries_start_at_the_computed_delays() -> None:
    dag = make_dag(
        "a",
        retries={"a": 3},
        retry_delay={"a": timedelta(seconds=10)},
        retry_exponential_backoff={"a": 2.0},
        dag_id="backoff",
    )
    result = simulate(dag, {"a": [ErrorKind.ERROR, ErrorKind.ERROR, ErrorKind.ERROR, ErrorKind.SUCCESS]})
    task = dag.task_dict["a"]
    expected, now = [T0], T0
    for try_number in (1, 2, 3):
        now += retry_delay_for(task, try_number, dag_id="backoff", run_id_or_logical_date=T0)
        expected.append(now)
    assert [t for t, _ in result.starts] == expected
    gaps = [b - a for a, b in itertools.pairwise(expected)]
    assert timedelta(seconds=10) <= gaps[0] < timedelta(seconds=20)
    assert timedelta(seconds=40) <= gaps[2] < timedelta(seconds=80)


def test_retries_exhausted_fail_the_task_and_its_downstream() -> None:
    dag = make_dag("a >> b", retries={"a": 2}, retry_delay={"a": timedelta(seconds=3)})
    result = simulate(dag, {"a": ErrorKind.ERROR})
    assert result.try_numbers[("a", -1)] == 3
    assert result.by_task() == {"a": "failed", "b": "upstream_failed"}
    assert result.end == T0 + timedelta(seconds=6)


def test_fail_without_retry_ignores_remaining_retries() -> None:
    dag = make_dag("a", retries={"a": 5})
    result = simulate(dag, {"a": ErrorKind.FAIL_NO_RETRY})
    assert result.try_numbers[("a", -1)] == 1 and result.state("a") == "failed"


def test_other_tasks_run_while_a_retry_waits() -> None:
    dag = make_dag("a", "b >> c", retries={"a": 1}, retry_delay={"a": timedelta(seconds=60)})
    result = simulate(dag, {"a": [ErrorKind.ERROR, ErrorKind.SUCCESS]})
    # b goes first: its downstream c gives it priority weight 2.
    assert result.starts[:3] == [(T0, ("b", -1)), (T0, ("a", -1)), (T0, ("c", -1))]
    assert result.starts[3] == (T0 + timedelta(seconds=60), ("a", -1))
    assert result.run_state is DagRunState.SUCCESS


# ---- setup / teardown --------------------------------------------------------------------


def test_failing_teardown_does_not_fail_the_run_by_default() -> None:
    dag = make_dag("s >> w >> t", "s >> t", setups=["s"], teardowns=["t"])
    assert simulate(dag, {"t": ErrorKind.ERROR}).run_state is DagRunState.SUCCESS


def test_failing_teardown_with_on_failure_fail_dagrun_fails_the_run() -> None:
    dag = make_dag("s >> w >> t", "s >> t", setups=["s"], teardowns=["t"], fail_dagrun=["t"])
    assert simulate(dag, {"t": ErrorKind.ERROR}).run_state is DagRunState.FAILED


def test_failed_setup_makes_work_and_teardown_upstream_failed() -> None:
    dag = make_dag("s >> w >> t", "s >> t", setups=["s"], teardowns=["t"])
    result = simulate(dag, {"s": ErrorKind.ERROR})
    assert result.by_task() == {"s": "failed", "w": "upstream_failed", "t": "upstream_failed"}
    assert result.run_state is DagRunState.FAILED


def test_teardown_runs_when_one_of_two_setups_succeeded() -> None:
    # Probed on Airflow 3.3.2: s1 failed, s2 success, w upstream_failed, t success, run failed.
    dag = make_dag("[s1, s2] >> w >> t", "[s1, s2] >> t", setups=["s1", "s2"], teardowns=["t"])
    result = simulate(dag, {"s1": ErrorKind.ERROR})
    assert result.by_task() == {"s1": "failed", "s2": "success", "w": "upstream_failed", "t": "success"}
    assert result.run_state is DagRunState.FAILED


def test_teardown_waits_for_the_whole_scope_before_running() -> None:
    dag = make_dag("s >> w1 >> w2 >> t", "s >> t", setups=["s"], teardowns=["t"])
    result = simulate(dag)
    assert result.started() == ["s", "w1", "w2", "t"]


def test_skipped_setup_skips_nested_work_and_teardown_without_running_them() -> None:
    # Probed on Airflow 3.3.2: only s ran; w1, w2, t skipped with try 0; run success.
    dag = make_dag("s >> w1 >> w2 >> t", "s >> t", setups=["s"], teardowns=["t"])
    result = simulate(dag, {"s": ErrorKind.SKIP})
    assert result.by_task() == {"s": "skipped", "w1": "skipped", "w2": "skipped", "t": "skipped"}
    assert result.started() == ["s"]


# ---- branching edge cases ----------------------------------------------------------------


def test_branch_following_nothing_skips_every_direct_downstream_and_the_run_succeeds() -> None:
    dag = make_dag("branch >> [a, b]", "a >> c", rules={"c": "all_done"})
    result = simulate(dag, {"branch": Branch(None)})
    assert result.by_task() == {"branch": "success", "a": "skipped", "b": "skipped", "c": "success"}
    assert result.run_state is DagRunState.SUCCESS


def test_one_success_join_after_a_branch_runs_as_soon_as_the_followed_branch_succeeds() -> None:
    dag = make_dag("branch >> [a, b]", "[a, b] >> join", rules={"join": "one_success"})
    assert simulate(dag, {"branch": Branch(["a"])}).state("join") == "success"


# ---- mapping, deadlock -------------------------------------------------------------------


def test_mapped_instances_all_run_and_a_failing_instance_fails_the_downstream() -> None:
    dag = make_dag("src >> m >> after")
    states = {("src", -1): S.NONE, ("m", 0): S.NONE, ("m", 1): S.NONE, ("m", 2): S.NONE}
    result = simulate(dag, {"m": lambda try_number: ErrorKind.SUCCESS}, states=states)
    assert result.run_state is DagRunState.SUCCESS
    assert [k for _, k in result.starts] == [("src", -1), ("m", 0), ("m", 1), ("m", 2), ("after", -1)]


def test_run_that_cannot_progress_ends_failed_as_deadlocked() -> None:
    dag = make_dag("a >> c", "b >> c", rules={"c": "all_skipped"})
    result = simulate(dag, {"a": ErrorKind.SKIP}, states={("b", -1): S.REMOVED})
    assert result.deadlocked and result.run_state is DagRunState.FAILED
    assert result.state("c") == "none"
