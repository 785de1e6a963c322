"""TaskGroup: id prefixes, nesting, default_args precedence, `>>` on groups, `@task_group`
(spec section 3.2)."""

from __future__ import annotations

import pytest

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, TaskGroup, task, task_group
from riir_airflow.sdk.exceptions import DuplicateTaskIdFound


def test_task_ids_inside_a_group_are_prefixed_with_the_group_id() -> None:
    with DAG("prefix") as the_dag, TaskGroup("grp") as grp:
        t = EmptyOperator(task_id="t")
    assert t.task_id == "grp.t"
    assert t.task_group is grp
    assert "grp.t" in the_dag.task_dict
    assert the_dag.task_group_dict == {"grp": grp}


def test_task_label_is_its_id_without_the_group_prefix() -> None:
    with DAG("label_prop"):
        with TaskGroup("grp"):
            t = EmptyOperator(task_id="t")
        plain = EmptyOperator(task_id="plain")
    assert t.label == "t"
    assert plain.label == "plain"


def test_prefix_group_id_false_keeps_the_plain_task_id() -> None:
    with DAG("no_prefix") as the_dag, TaskGroup("grp", prefix_group_id=False):
        t = EmptyOperator(task_id="t")
    assert t.task_id == "t"
    assert "t" in the_dag.task_dict


def test_nested_groups_prefix_every_level() -> None:
    with DAG("nested") as the_dag, TaskGroup("outer") as outer:
        with TaskGroup("inner") as inner:
            t = EmptyOperator(task_id="t")
        u = EmptyOperator(task_id="u")
    assert inner.group_id == "outer.inner"
    assert t.task_id == "outer.inner.t"
    assert u.task_id == "outer.u"
    assert set(the_dag.task_group_dict) == {"outer", "outer.inner"}
    assert [x.task_id for x in outer.iter_tasks()] == ["outer.inner.t", "outer.u"]


def test_group_inside_an_unprefixed_group_is_not_prefixed_by_it() -> None:
    with DAG("mixed_prefix"), TaskGroup("outer", prefix_group_id=False), TaskGroup("inner") as inner:
        t = EmptyOperator(task_id="t")
    assert inner.group_id == "inner"
    assert t.task_id == "inner.t"


def test_group_can_be_given_its_dag_and_parent_explicitly() -> None:
    the_dag = DAG("explicit_group")
    outer = TaskGroup("outer", dag=the_dag)
    inner = TaskGroup("inner", parent_group=outer)
    t = EmptyOperator(task_id="t", task_group=inner, dag=the_dag)
    assert t.task_id == "outer.inner.t"
    assert inner.dag is the_dag


def test_group_outside_any_dag_is_refused() -> None:
    with pytest.raises(RuntimeError):
        TaskGroup("orphan")


@pytest.mark.parametrize("bad", ["has.dot", "has space", ""])
def test_invalid_group_id_is_rejected(bad: str) -> None:
    with DAG("bad_group"), pytest.raises(ValueError):
        TaskGroup(bad)


def test_duplicate_group_id_is_refused() -> None:
    with DAG("dup_group"):
        TaskGroup("g")
        with pytest.raises(DuplicateTaskIdFound):
            TaskGroup("g")


def test_add_suffix_on_collision_renames_the_second_group() -> None:
    with DAG("suffix_group") as the_dag:
        TaskGroup("g")
        second = TaskGroup("g", add_suffix_on_collision=True)
        third = TaskGroup("g", add_suffix_on_collision=True)
    assert second.group_id == "g__1"
    assert third.group_id == "g__2"
    assert set(the_dag.task_group_dict) == {"g", "g__1", "g__2"}


# -- default_args -----------------------------------------------------------------------------
def test_group_default_args_beat_dag_default_args() -> None:
    with DAG("da", default_args={"retries": 1, "owner": "dag_owner"}):
        with TaskGroup("g", default_args={"retries": 2}):
            t = EmptyOperator(task_id="t")
        outside = EmptyOperator(task_id="outside")
    assert t.retries == 2
    assert t.owner == "dag_owner"
    assert outside.retries == 1


def test_inner_group_default_args_beat_outer_group_ones() -> None:
    with DAG("da_nested", default_args={"retries": 1}):
        with TaskGroup("outer", default_args={"retries": 2, "owner": "outer_owner"}):
            with TaskGroup("inner", default_args={"retries": 3}):
                t = EmptyOperator(task_id="t")
            u = EmptyOperator(task_id="u")
    assert (t.retries, t.owner) == (3, "outer_owner")
    assert (u.retries, u.owner) == (2, "outer_owner")


def test_task_default_args_and_explicit_args_beat_group_default_args() -> None:
    with DAG("da_task"), TaskGroup("g", default_args={"retries": 2, "owner": "g"}):
        by_default_args = EmptyOperator(task_id="a", default_args={"retries": 5})
        explicit = EmptyOperator(task_id="b", retries=7, default_args={"retries": 5})
    assert (by_default_args.retries, by_default_args.owner) == (5, "g")
    assert explicit.retries == 7


# -- dependencies on groups ----------------------------------------------------------------------
def test_shift_into_a_group_links_its_roots_and_out_of_it_its_leaves() -> None:
    with DAG("group_edges"):
        start = EmptyOperator(task_id="start")
        with TaskGroup("g") as g:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            lone = EmptyOperator(task_id="lone")
            a >> b
        end = EmptyOperator(task_id="end")
        start >> g >> end
    assert start.downstream_task_ids == {"g.a", "g.lone"}
    assert end.upstream_task_ids == {"g.b", "g.lone"}
    assert [t.task_id for t in g.roots] == ["g.a", "g.lone"]
    assert [t.task_id for t in g.leaves] == ["g.b", "g.lone"]
    assert lone.upstream_task_ids == {"start"}


def test_group_to_group_links_leaves_to_roots() -> None:
    with DAG("g2g"):
        with TaskGroup("g1") as g1:
            x = EmptyOperator(task_id="x")
        with TaskGroup("g2") as g2:
            y = EmptyOperator(task_id="y")
        g1 >> g2
    assert x.downstream_task_ids == {"g2.y"}
    assert y.upstream_task_ids == {"g1.x"}


def test_list_of_groups_and_tasks_on_the_left_of_shift() -> None:
    with DAG("group_list"):
        with TaskGroup("g") as g:
            a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        end = EmptyOperator(task_id="end")
        [g, b] >> end
    assert end.upstream_task_ids == {"g.a", "b"}
    assert a.downstream_task_ids == {"end"}


# -- @task_group --------------------------------------------------------------------------------
def test_task_group_decorator_uses_the_function_name_as_group_id() -> None:
    with DAG("tg_dec") as the_dag:

        @task_group
        def section() -> None:
            EmptyOperator(task_id="t")

        section()
    assert "section" in the_dag.task_group_dict
    assert "section.t" in the_dag.task_dict


def test_task_group_decorator_called_twice_suffixes_the_group_id() -> None:
    with DAG("tg_twice") as the_dag:

        @task_group
        def g() -> None:
            EmptyOperator(task_id="t")

        g()
        g()
        g()
    assert set(the_dag.task_group_dict) == {"g", "g__1", "g__2"}
    assert {"g.t", "g__1.t", "g__2.t"} <= set(the_dag.task_dict)


def test_task_group_decorator_with_explicit_group_id_and_override() -> None:
    with DAG("tg_args") as the_dag:

        @task_group(group_id="named", tooltip="tip")
        def g() -> None:
            EmptyOperator(task_id="t")

        g()
        g.override(group_id="other")()
    assert set(the_dag.task_group_dict) == {"named", "other"}
    assert the_dag.task_group_dict["named"].tooltip == "tip"


def test_task_group_decorator_returning_none_gives_the_group_for_shift() -> None:
    with DAG("tg_node"):

        @task_group
        def g() -> None:
            EmptyOperator(task_id="a")
            EmptyOperator(task_id="b")

        start = EmptyOperator(task_id="start")
        start >> g()
    assert start.downstream_task_ids == {"g.a", "g.b"}


def test_task_group_decorator_returning_an_xcomarg_forwards_it() -> None:
    with DAG("tg_forward") as the_dag:

        @task
        def first() -> int:
            return 1

        @task
        def second(x: int) -> int:
            return x + 1

        @task_group
        def g() -> object:
            second(first())
            return second(first())

        @task
        def after(x: int) -> int:
            return x

        after(g())
    # `after` depends on the returned task only, not on every leaf of the group
    assert the_dag.task_dict["after"].upstream_task_ids == {"g.second__1"}


def test_task_group_decorator_docstring_becomes_the_tooltip() -> None:
    with DAG("tg_doc") as the_dag:

        @task_group
        def g() -> None:
            """Helpful tooltip."""
            EmptyOperator(task_id="t")

        g()
    assert the_dag.task_group_dict["g"].tooltip == "Helpful tooltip."


def test_taskflow_tasks_in_a_decorated_group_get_suffixes_inside_the_group() -> None:
    with DAG("tg_suffix") as the_dag:

        @task
        def f() -> None:
            return None

        @task_group
        def g() -> None:
            f()
            f()

        g()
        f()
    assert {"g.f", "g.f__1", "f"} == set(the_dag.task_dict)
