"""Which tasks and task instances `tasks clear` resets (pure)."""

from __future__ import annotations

from riir_airflow.engine import instances_to_clear, tasks_to_clear
from riir_airflow.sdk.state import TaskInstanceState as S

from .dagkit import make_dag


def test_no_pattern_clears_every_task_in_dag_order() -> None:
    assert tasks_to_clear(make_dag("b >> a", "c")) == ["b", "a", "c"]


def test_pattern_is_a_regex_searched_in_the_task_id() -> None:
    dag = make_dag("extract_a >> transform >> load", "extract_b")
    assert tasks_to_clear(dag, "^extract") == ["extract_a", "extract_b"]
    assert tasks_to_clear(dag, "form") == ["transform"]
    assert tasks_to_clear(dag, "nothing") == []


def test_downstream_and_upstream_add_transitive_relatives() -> None:
    dag = make_dag("a >> b >> c >> d", "x >> c")
    assert tasks_to_clear(dag, "^b$", downstream=True) == ["b", "c", "d"]
    assert tasks_to_clear(dag, "^c$", upstream=True) == ["a", "b", "c", "x"]
    assert tasks_to_clear(dag, "^b$", upstream=True, downstream=True) == ["a", "b", "c", "d"]


def test_a_task_in_a_setup_teardown_scope_brings_its_setup_and_teardown() -> None:
    dag = make_dag("s >> work >> td", "s >> td", "other", setups=["s"], teardowns=["td"])
    assert tasks_to_clear(dag, "^work$") == ["s", "work", "td"]


def test_a_matched_setup_brings_its_teardown() -> None:
    dag = make_dag("s >> work >> td", "s >> td", setups=["s"], teardowns=["td"])
    assert tasks_to_clear(dag, "^s$") == ["s", "td"]


def test_upstream_follows_setups_to_their_teardowns() -> None:
    dag = make_dag("s >> a >> td", "s >> td", "a >> b", setups=["s"], teardowns=["td"])
    assert tasks_to_clear(dag, "^b$", upstream=True) == ["s", "a", "td", "b"]


def test_only_failed_keeps_failed_and_upstream_failed_instances_of_the_chosen_tasks() -> None:
    states = {
        ("a", -1): S.FAILED,
        ("b", -1): S.UPSTREAM_FAILED,
        ("c", -1): S.SUCCESS,
        ("m", 0): S.FAILED,
        ("m", 1): S.SUCCESS,
        ("z", -1): S.FAILED,
    }
    assert instances_to_clear(states, ["a", "b", "c", "m"], only_failed=True) == [
        ("a", -1),
        ("b", -1),
        ("m", 0),
    ]
    assert instances_to_clear(states, ["c", "m"]) == [("c", -1), ("m", 0), ("m", 1)]
    assert instances_to_clear({("a", -1): S.RUNNING, ("b", -1): None}, ["a", "b"], only_running=True) == [
        ("a", -1)
    ]
