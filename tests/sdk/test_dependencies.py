"""`>>`, `<<`, chain, chain_linear, cross_downstream and edge labels (spec section 3.2)."""

from __future__ import annotations

import pytest

from riir_airflow.models.baseoperator import chain as chain_2x
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, EdgeModifier, Label, TaskGroup, chain, chain_linear, cross_downstream, task
from riir_airflow.sdk.exceptions import AirflowDagCycleException


def _ops(*ids: str) -> list[EmptyOperator]:
    return [EmptyOperator(task_id=i) for i in ids]


def _edges(the_dag: DAG) -> set[tuple[str, str]]:
    return {(t.task_id, d) for t in the_dag.tasks for d in t.downstream_task_ids}


# -- >> and << ---------------------------------------------------------------------------------
def test_rshift_returns_the_right_side_so_chains_read_left_to_right() -> None:
    with DAG("rshift") as the_dag:
        a, b, c = _ops("a", "b", "c")
        result = a >> b >> c
    assert result is c
    assert _edges(the_dag) == {("a", "b"), ("b", "c")}


def test_lshift_sets_the_right_side_upstream() -> None:
    with DAG("lshift") as the_dag:
        a, b, c = _ops("a", "b", "c")
        c << b << a
    assert _edges(the_dag) == {("a", "b"), ("b", "c")}


def test_task_shift_list_fans_out_and_list_shift_task_fans_in() -> None:
    with DAG("fan") as the_dag:
        a, b, c, d = _ops("a", "b", "c", "d")
        a >> [b, c]
        [b, c] >> d
    assert _edges(the_dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}


def test_list_on_the_left_of_lshift() -> None:
    with DAG("rlshift") as the_dag:
        a, b, c = _ops("a", "b", "c")
        [a, b] << c
    assert _edges(the_dag) == {("c", "a"), ("c", "b")}


def test_task_lshift_list_makes_the_list_upstream() -> None:
    with DAG("lshift_list") as the_dag:
        a, b, c = _ops("a", "b", "c")
        c << [a, b]
    assert _edges(the_dag) == {("a", "c"), ("b", "c")}


def test_list_shift_list_is_a_type_error() -> None:
    with DAG("list_list"):
        a, b, c, d = _ops("a", "b", "c", "d")
        with pytest.raises(TypeError):
            [a, b] >> [c, d]  # type: ignore[operator]


def test_shifting_a_non_task_is_a_type_error() -> None:
    with DAG("bad_shift"):
        (a,) = _ops("a")
        with pytest.raises(TypeError):
            a >> "b"  # type: ignore[operator]


def test_xcomargs_take_part_in_shift() -> None:
    with DAG("xcom_shift") as the_dag:

        @task
        def make() -> int:
            return 1

        @task
        def use() -> None:
            return None

        e = EmptyOperator(task_id="e")
        make() >> e >> use()
    assert _edges(the_dag) == {("make", "e"), ("e", "use")}


def test_repeating_an_edge_keeps_one_edge() -> None:
    with DAG("repeat") as the_dag:
        a, b = _ops("a", "b")
        a >> b
        a >> b
        b << a
    assert _edges(the_dag) == {("a", "b")}


def test_cycle_through_shift_is_found_at_validation_not_at_shift() -> None:
    with DAG("cycle") as the_dag:
        a, b = _ops("a", "b")
        a >> b
        b >> a
    with pytest.raises(AirflowDagCycleException):
        the_dag.topological_order()


# -- chain --------------------------------------------------------------------------------------
def test_chain_links_tasks_in_sequence() -> None:
    with DAG("chain_seq") as the_dag:
        chain(*_ops("a", "b", "c"))
    assert _edges(the_dag) == {("a", "b"), ("b", "c")}


def test_chain_fans_out_to_a_list_and_in_from_it() -> None:
    with DAG("chain_fan") as the_dag:
        a, b, c, d = _ops("a", "b", "c", "d")
        chain(a, [b, c], d)
    assert _edges(the_dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}


def test_chain_links_two_adjacent_lists_pairwise() -> None:
    with DAG("chain_pairs") as the_dag:
        a, b, c, d = _ops("a", "b", "c", "d")
        chain([a, b], [c, d])
    assert _edges(the_dag) == {("a", "c"), ("b", "d")}


def test_chain_with_lists_of_different_lengths_raises() -> None:
    with DAG("chain_unequal"):
        a, b, c = _ops("a", "b", "c")
        with pytest.raises(ValueError, match="different length"):
            chain([a, b], [c])


def test_chain_accepts_groups_and_xcomargs() -> None:
    with DAG("chain_mixed") as the_dag:

        @task
        def produce() -> int:
            return 1

        with TaskGroup("g") as g:
            EmptyOperator(task_id="inside")
        end = EmptyOperator(task_id="end")
        chain(produce(), g, end)
    assert _edges(the_dag) == {("produce", "g.inside"), ("g.inside", "end")}


def test_chain_is_also_importable_from_the_2x_path() -> None:
    with DAG("chain_2x") as the_dag:
        chain_2x(*_ops("a", "b"))
    assert _edges(the_dag) == {("a", "b")}


def test_chain_linear_links_every_task_of_an_element_to_every_task_of_the_next() -> None:
    with DAG("chain_linear") as the_dag:
        a, b, c, d, e = _ops("a", "b", "c", "d", "e")
        chain_linear(a, [b, c], [d, e])
    assert _edges(the_dag) == {("a", "b"), ("a", "c"), ("b", "d"), ("b", "e"), ("c", "d"), ("c", "e")}


def test_chain_linear_with_lists_of_different_lengths_is_fine() -> None:
    with DAG("chain_linear_unequal") as the_dag:
        a, b, c = _ops("a", "b", "c")
        chain_linear([a, b], [c])
    assert _edges(the_dag) == {("a", "c"), ("b", "c")}


def test_chain_linear_needs_two_elements() -> None:
    with DAG("chain_linear_one"):
        a, b = _ops("a", "b")
        with pytest.raises(ValueError):
            chain_linear([a, b])


def test_cross_downstream_links_all_pairs() -> None:
    with DAG("cross") as the_dag:
        a, b, c, d = _ops("a", "b", "c", "d")
        cross_downstream([a, b], [c, d])
    assert _edges(the_dag) == {("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")}


# -- labels -------------------------------------------------------------------------------------
def test_label_between_two_tasks_records_edge_info_without_adding_a_node() -> None:
    with DAG("label") as the_dag:
        a, b = _ops("a", "b")
        a >> Label("yes") >> b
    assert _edges(the_dag) == {("a", "b")}
    assert the_dag.get_edge_info("a", "b") == {"label": "yes"}
    assert the_dag.task_ids == ["a", "b"]


def test_label_with_lists_labels_every_edge() -> None:
    with DAG("label_lists") as the_dag:
        a, b, c, d = _ops("a", "b", "c", "d")
        [a, b] >> Label("in") >> c
        c >> Label("out") >> [d]
    assert the_dag.get_edge_info("a", "c") == {"label": "in"}
    assert the_dag.get_edge_info("b", "c") == {"label": "in"}
    assert the_dag.get_edge_info("c", "d") == {"label": "out"}


def test_label_with_lshift() -> None:
    with DAG("label_lshift") as the_dag:
        a, b = _ops("a", "b")
        b << Label("back") << a
    assert _edges(the_dag) == {("a", "b")}
    assert the_dag.get_edge_info("a", "b") == {"label": "back"}


def test_label_into_a_group_labels_edges_to_its_roots() -> None:
    with DAG("label_group") as the_dag:
        (a,) = _ops("a")
        with TaskGroup("g") as g:
            EmptyOperator(task_id="x")
        a >> Label("into group") >> g
    assert the_dag.get_edge_info("a", "g.x") == {"label": "into group"}


def test_unlabelled_edge_has_empty_edge_info() -> None:
    with DAG("no_label") as the_dag:
        a, b = _ops("a", "b")
        a >> b
    assert the_dag.get_edge_info("a", "b") == {}


def test_label_is_an_edge_modifier() -> None:
    assert isinstance(Label("x"), EdgeModifier)


def test_chain_linear_refuses_labels() -> None:
    with DAG("chain_linear_label"):
        a, b = _ops("a", "b")
        with pytest.raises(ValueError, match="Labels are not supported"):
            chain_linear(a, Label("x"), b)


def test_chain_with_a_label_between_tasks_labels_the_edge() -> None:
    with DAG("chain_label") as the_dag:
        a, b = _ops("a", "b")
        chain(a, Label("via chain"), b)
    assert _edges(the_dag) == {("a", "b")}
    assert the_dag.get_edge_info("a", "b") == {"label": "via chain"}
