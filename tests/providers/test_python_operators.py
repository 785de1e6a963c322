"""PythonOperator, BranchPythonOperator / `@task.branch`, BaseBranchOperator,
ShortCircuitOperator / `@task.short_circuit`, EmptyOperator (spec sections 4.3, 4.4, 14)."""

from __future__ import annotations

from typing import Any

import pytest

from riir_airflow.operators.python import PythonOperator as PythonOperator2x
from riir_airflow.providers.standard.operators.branch import BaseBranchOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import (
    BranchPythonOperator,
    PythonOperator,
    ShortCircuitOperator,
)
from riir_airflow.sdk import DAG, TaskGroup, task


# -- PythonOperator ------------------------------------------------------------------------------------
def test_op_args_and_op_kwargs_are_passed(run_dag) -> None:
    with DAG("py_args") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda a, b, c=0: [a, b, c], op_args=[1, 2], op_kwargs={"c": 3})
    assert run_dag(the_dag).xcom("t") == [1, 2, 3]


def test_context_is_passed_by_parameter_name_and_to_var_kwargs(run_dag) -> None:
    def f(x: int, ds: str, **kwargs: Any) -> list:
        return [x, ds, kwargs["ti"].task_id, "dag_run" in kwargs and "x" not in kwargs]

    with DAG("py_ctx") as the_dag:
        PythonOperator(task_id="t", python_callable=f, op_kwargs={"x": 1})
    assert run_dag(the_dag).xcom("t") == [1, "2024-01-01", "t", True]


def test_op_arg_filling_a_context_named_parameter_is_an_error(run_dag) -> None:
    with DAG("py_conflict") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda ds: ds, op_args=["mine"])
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "reserved" in result.log("t")


def test_templates_dict_reaches_the_callable_rendered(run_dag) -> None:
    with DAG("py_tdict") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=lambda templates_dict: templates_dict["when"],
            templates_dict={"when": "{{ ds_nodash }}"},
        )
    assert run_dag(the_dag).xcom("t") == "20240101"


def test_show_return_value_in_logs(run_dag) -> None:
    with DAG("py_logs") as the_dag:
        PythonOperator(task_id="shown", python_callable=lambda: "secret-ish")
        PythonOperator(task_id="hidden", python_callable=lambda: "secret-ish", show_return_value_in_logs=False)
    result = run_dag(the_dag)
    assert "Returned value was: secret-ish" in result.log("shown")
    assert "secret-ish" not in result.log("hidden")


def test_python_operator_2x_path_is_the_same_class() -> None:
    assert PythonOperator2x is PythonOperator


# -- branching ---------------------------------------------------------------------------------------------
def _branch_dag(dag_id: str, choice: Any) -> DAG:
    with DAG(dag_id) as the_dag:
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: choice)
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        c = EmptyOperator(task_id="c")
        after_b = EmptyOperator(task_id="after_b")
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        branch >> [a, b, c]
        b >> after_b
        [a, after_b, c] >> join
    return the_dag


def test_branch_follows_one_task_and_skips_the_others(run_dag) -> None:
    result = run_dag(_branch_dag("branch_one", "a"))
    assert result.states == {
        "branch": "success", "a": "success", "b": "skipped", "c": "skipped", "after_b": "skipped", "join": "success"
    }
    assert result.xcoms("branch") == {"skipmixin_key": {"followed": ["a"]}}


def test_branch_follows_a_list(run_dag) -> None:
    result = run_dag(_branch_dag("branch_list", ["a", "b"]))
    assert result.ti_state("c") == "skipped"
    assert result.ti_state("after_b") == "success"


def test_branch_returning_none_skips_every_direct_downstream(run_dag) -> None:
    result = run_dag(_branch_dag("branch_none", None))
    assert {k: v for k, v in result.states.items() if k in "abc"} == {"a": "skipped", "b": "skipped", "c": "skipped"}
    assert result.ti_state("join") == "skipped"


@pytest.mark.parametrize("bad", ["not_a_task", ["a", 3]])
def test_branch_to_an_unknown_task_or_a_non_string_fails(run_dag, bad: Any) -> None:
    result = run_dag(_branch_dag(f"branch_bad_{abs(hash(str(bad)))}", bad))
    assert result.ti_state("branch") == "failed"


def test_branch_to_an_indirect_task_succeeds_and_skips_the_direct_ones(run_dag) -> None:
    # Airflow 3.3 (golden branch_edge_returns): following a task that is not a direct
    # downstream is allowed; direct downstream tasks not leading to it are skipped.
    result = run_dag(_branch_dag("branch_indirect", "join"))
    assert result.ti_state("branch") == "success"
    assert {result.ti_state(t) for t in "abc"} == {"skipped"}


def test_branch_to_a_task_group_follows_its_roots(run_dag) -> None:
    with DAG("branch_group") as the_dag:
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "g")
        with TaskGroup("g") as g:
            first = EmptyOperator(task_id="first")
            first >> EmptyOperator(task_id="second")
        other = EmptyOperator(task_id="other")
        branch >> [g, other]
    result = run_dag(the_dag)
    assert result.states == {"branch": "success", "g.first": "success", "g.second": "success", "other": "skipped"}


def test_task_downstream_of_both_branches_is_kept(run_dag) -> None:
    with DAG("branch_keep") as the_dag:
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "b1")
        b1 = EmptyOperator(task_id="b1")
        join = EmptyOperator(task_id="join")
        branch >> b1 >> join
        branch >> join
    result = run_dag(the_dag)
    assert result.states == {"branch": "success", "b1": "success", "join": "success"}


def test_task_branch_decorator(run_dag) -> None:
    with DAG("branch_deco") as the_dag:

        @task.branch
        def choose(ds: str) -> str:
            return "yes" if ds == "2024-01-01" else "no"

        choose() >> [EmptyOperator(task_id="yes"), EmptyOperator(task_id="no")]
    result = run_dag(the_dag)
    assert result.ti_state("yes") == "success"
    assert result.ti_state("no") == "skipped"


def test_base_branch_operator_subclass(run_dag) -> None:
    class Pick(BaseBranchOperator):
        def choose_branch(self, context: Any) -> str:
            return "right" if context["params"]["go_right"] else "left"

    with DAG("base_branch", params={"go_right": True}) as the_dag:
        Pick(task_id="pick") >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]
    result = run_dag(the_dag)
    assert (result.ti_state("left"), result.ti_state("right")) == ("skipped", "success")


# -- short circuit -------------------------------------------------------------------------------------------
def _short_circuit_dag(dag_id: str, value: Any, ignore_downstream_trigger_rules: bool = True) -> DAG:
    with DAG(dag_id) as the_dag:
        check = ShortCircuitOperator(
            task_id="check",
            python_callable=lambda: value,
            ignore_downstream_trigger_rules=ignore_downstream_trigger_rules,
        )
        direct = EmptyOperator(task_id="direct")
        grandchild = EmptyOperator(task_id="grandchild", trigger_rule="all_done")
        check >> direct >> grandchild
    return the_dag


def test_short_circuit_truthy_continues_and_pushes_the_value(run_dag) -> None:
    result = run_dag(_short_circuit_dag("sc_true", {"ok": 1}))
    assert result.states == {"check": "success", "direct": "success", "grandchild": "success"}
    assert result.xcom("check") == {"ok": 1}


@pytest.mark.parametrize("falsy", [False, 0, "", [], None])
def test_short_circuit_falsy_skips_everything_downstream(run_dag, falsy: Any) -> None:
    result = run_dag(_short_circuit_dag(f"sc_false_{type(falsy).__name__}", falsy))
    assert result.states == {"check": "success", "direct": "skipped", "grandchild": "skipped"}
    assert result.xcoms("check") == {"skipmixin_key": {"skipped": ["direct", "grandchild"]}}


def test_short_circuit_respecting_trigger_rules_skips_only_direct_downstream(run_dag) -> None:
    result = run_dag(_short_circuit_dag("sc_rules", False, ignore_downstream_trigger_rules=False))
    assert result.states == {"check": "success", "direct": "skipped", "grandchild": "success"}


def test_task_short_circuit_decorator(run_dag) -> None:
    with DAG("sc_deco") as the_dag:

        @task.short_circuit
        def gate() -> bool:
            return False

        gate() >> EmptyOperator(task_id="after")
    assert run_dag(the_dag).ti_state("after") == "skipped"


# -- empty ---------------------------------------------------------------------------------------------------
def test_empty_operator_succeeds_and_pushes_nothing(run_dag) -> None:
    with DAG("empty") as the_dag:
        EmptyOperator(task_id="e")
    result = run_dag(the_dag)
    assert result.ti_state("e") == "success"
    assert result.xcoms("e") == {}
    assert result.ti("e").try_number == 1


def test_empty_operator_as_join_follows_trigger_rules(run_dag) -> None:
    with DAG("empty_join") as the_dag:
        bad = PythonOperator(task_id="bad", python_callable=lambda: 1 / 0)
        good = EmptyOperator(task_id="good")
        [bad, good] >> EmptyOperator(task_id="all_success")
        [bad, good] >> EmptyOperator(task_id="one_success", trigger_rule="one_success")
    result = run_dag(the_dag)
    assert result.ti_state("all_success") == "upstream_failed"
    assert result.ti_state("one_success") == "success"
