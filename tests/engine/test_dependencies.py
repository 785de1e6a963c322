"""`engine.dependencies`: why a task instance is not running, from plain DAG data."""

from __future__ import annotations

from riir_airflow.engine.dependencies import BlockingDependency, blocking_dependencies, graph_dag

CHAIN = graph_dag("d", [("a", ["b"], "all_success", False, False), ("b", [], "all_success", False, False)])


def names(deps: list[BlockingDependency]) -> list[str]:
    return [dep.name for dep in deps]


def test_a_task_waiting_on_an_unfinished_upstream_is_held_by_its_trigger_rule():
    deps = blocking_dependencies(CHAIN, {("a", -1): "running", ("b", -1): None}, ("b", -1), ti_state=None,
                                 run_state="running", dag_paused=False)  # fmt: skip
    assert names(deps) == ["Trigger Rule"] and "all_success" in deps[0].reason


def test_a_ready_task_of_a_running_run_has_no_blocking_dependency():
    states = {("a", -1): "success", ("b", -1): None}
    assert (
        blocking_dependencies(CHAIN, states, ("b", -1), ti_state=None, run_state="running", dag_paused=False)
        == []
    )


def test_a_queued_run_and_a_paused_dag_are_reported_sorted_by_name():
    deps = blocking_dependencies(CHAIN, {("a", -1): None}, ("a", -1), ti_state="scheduled", run_state="queued",
                                 dag_paused=True)  # fmt: skip
    assert names(deps) == ["Dag Not Paused", "Dagrun Running"]
    assert deps[1].reason.endswith("but in the state 'queued'.")


def test_an_upstream_failure_is_reported_with_the_state_the_rule_will_set():
    states = {("a", -1): "failed", ("b", -1): None}
    [dep] = blocking_dependencies(
        CHAIN, states, ("b", -1), ti_state=None, run_state="running", dag_paused=False
    )
    assert dep.name == "Trigger Rule" and dep.reason.endswith("upstream_failed")


def test_instances_not_waiting_to_be_scheduled_and_unknown_tasks_have_none():
    for state in ("running", "success", "up_for_retry"):
        assert (
            blocking_dependencies(CHAIN, {}, ("b", -1), ti_state=state, run_state="queued", dag_paused=True)
            == []
        )
    assert (
        blocking_dependencies(CHAIN, {}, ("zz", -1), ti_state=None, run_state="running", dag_paused=False)
        == []
    )


def test_an_all_done_rule_waits_for_every_upstream_but_not_for_success():
    dag = graph_dag("d", [("a", ["c"], "all_success", False, False), ("b", ["c"], "all_success", False, False),
                          ("c", [], "all_done", False, False)])  # fmt: skip
    waiting = {("a", -1): "failed", ("b", -1): "running", ("c", -1): None}
    assert names(blocking_dependencies(dag, waiting, ("c", -1), ti_state=None, run_state="running",
                                       dag_paused=False)) == ["Trigger Rule"]  # fmt: skip
    done = {("a", -1): "failed", ("b", -1): "success", ("c", -1): None}
    assert (
        blocking_dependencies(dag, done, ("c", -1), ti_state=None, run_state="running", dag_paused=False)
        == []
    )
