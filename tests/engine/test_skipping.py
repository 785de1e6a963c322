"""Which tasks a branch and a short circuit skip directly (spec 4.3, 4.4)."""

from __future__ import annotations

import pytest

from riir_airflow.engine import branch_followed, branch_skips, short_circuit_skips

from .dagkit import make_dag


def test_branch_skips_direct_downstream_tasks_not_followed() -> None:
    dag = make_dag("branch >> [b1, b2, b3]", "b2 >> deep")
    assert branch_skips(dag, "branch", "b1") == {"b2", "b3"}
    assert branch_skips(dag, "branch", ["b1", "b3"]) == {"b2"}


def test_branch_does_not_skip_beyond_its_direct_downstream_tasks() -> None:
    dag = make_dag("branch >> [b1, b2]", "b2 >> deep >> deeper")
    assert branch_skips(dag, "branch", "b1") == {"b2"}


def test_branch_keeps_a_direct_downstream_join_reachable_from_the_followed_task() -> None:
    dag = make_dag("branch >> [b1, b2, join]", "b1 >> join", "b2 >> other")
    assert branch_skips(dag, "branch", "b1") == {"b2"}
    assert branch_followed(dag, "branch", "b1") == ["b1", "join"]


def test_branch_keeps_a_join_reachable_transitively_from_the_followed_task() -> None:
    dag = make_dag("branch >> [b1, join]", "b1 >> mid >> join")
    assert branch_skips(dag, "branch", ["b1"]) == set()


def test_branch_following_none_or_nothing_skips_every_direct_downstream_task() -> None:
    dag = make_dag("branch >> [b1, b2]")
    assert branch_skips(dag, "branch", None) == {"b1", "b2"}
    assert branch_skips(dag, "branch", []) == {"b1", "b2"}


def test_branch_to_an_unknown_task_id_is_a_clear_value_error() -> None:
    dag = make_dag("branch >> [b1, b2]")
    with pytest.raises(ValueError, match=r"not in DAG 'test_dag': \['nope'\].*\['b1', 'b2'\]"):
        branch_skips(dag, "branch", ["b1", "nope"])


def test_branch_returning_non_str_items_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="non-str"):
        branch_skips(make_dag("branch >> b1"), "branch", ["b1", 3])  # type: ignore[list-item]


def test_branch_may_follow_a_task_that_is_not_a_direct_downstream_as_airflow_allows() -> None:
    dag = make_dag("branch >> [b1, b2]", "b1 >> deep", "start >> branch")
    assert branch_skips(dag, "branch", "deep") == {"b1", "b2"}
    # Everything downstream of a followed task is kept, even the branch's own downstream.
    assert branch_skips(dag, "branch", "start") == set()


def test_branch_task_itself_must_exist() -> None:
    with pytest.raises(ValueError, match="not in DAG"):
        branch_skips(make_dag("a"), "ghost", None)


def test_short_circuit_by_default_skips_every_transitive_downstream_task() -> None:
    dag = make_dag("sc >> a >> b >> c", "sc >> d", "other >> b")
    assert short_circuit_skips(dag, "sc", True) == {"a", "b", "c", "d"}


def test_short_circuit_respecting_trigger_rules_skips_only_direct_downstream_tasks() -> None:
    dag = make_dag("sc >> a >> b", "sc >> d")
    assert short_circuit_skips(dag, "sc", False) == {"a", "d"}


def test_short_circuit_never_skips_teardowns() -> None:
    dag = make_dag("s >> sc >> w >> t", "s >> t", setups=["s"], teardowns=["t"])
    assert short_circuit_skips(dag, "sc", True) == {"w"}


def test_short_circuit_without_downstream_skips_nothing() -> None:
    assert short_circuit_skips(make_dag("a >> sc"), "sc", True) == set()
