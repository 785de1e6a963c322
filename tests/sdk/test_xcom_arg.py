"""XComArg: references to a task's future XCom, as arguments, in `>>`, and resolved at run time."""

from __future__ import annotations

from typing import Any

import pytest

from riir_airflow.models.xcom_arg import XComArg as XComArg2x
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk import DAG, XComArg, task
from riir_airflow.sdk.xcom_arg import PlainXComArg, iter_xcom_args


def test_xcomarg_constructor_builds_a_plain_xcomarg_of_return_value() -> None:
    with DAG("ctor"):
        op = EmptyOperator(task_id="t")
    arg = XComArg(op)
    assert isinstance(arg, PlainXComArg)
    assert arg.operator is op
    assert arg.key == "return_value"
    assert XComArg2x is XComArg


def test_xcomargs_are_equal_when_they_name_the_same_task_and_key() -> None:
    with DAG("eq"):
        op = EmptyOperator(task_id="t")
    assert XComArg(op) == op.output
    assert XComArg(op, "k") == op.output["k"]
    assert XComArg(op) != XComArg(op, "k")
    assert len({XComArg(op), op.output}) == 1


def test_indexing_selects_a_key_once() -> None:
    with DAG("index"):
        op = EmptyOperator(task_id="t")
    sub = op.output["part"]
    assert sub.key == "part"
    with pytest.raises(ValueError):
        sub["deeper"]


def test_xcomarg_is_not_iterable() -> None:
    with DAG("iter"):
        op = EmptyOperator(task_id="t")
    with pytest.raises(TypeError):
        list(op.output)


def test_str_of_an_xcomarg_is_the_jinja_pull_expression() -> None:
    with DAG("str_dag"):
        op = EmptyOperator(task_id="t")
    assert str(op.output) == (
        "{{ task_instance.xcom_pull(task_ids='t', dag_id='str_dag', key='return_value') }}"
    )


def test_iter_xcom_args_finds_xcomargs_nested_in_containers() -> None:
    with DAG("nested"):
        a, b, c = (EmptyOperator(task_id=x) for x in "abc")
    found = list(iter_xcom_args({"x": [a.output, (b.output,)], "y": {c.output["k"]}, "z": 3}))
    assert {(arg.operator.task_id, arg.key) for arg in found} == {("a", "return_value"), ("b", "return_value"), ("c", "k")}


def test_passing_an_xcomarg_to_a_classic_operator_makes_the_dependency() -> None:
    with DAG("classic_dep"):

        @task
        def make() -> str:
            return "echo made"

        cmd = make()
        bash = BashOperator(task_id="bash", bash_command=cmd)
        py = PythonOperator(task_id="py", python_callable=lambda x: x, op_kwargs={"x": cmd})
    assert bash.upstream_task_ids == {"make"}
    assert py.upstream_task_ids == {"make"}


def test_xcomarg_resolves_to_the_pushed_value_at_run_time(run_dag) -> None:
    with DAG("resolve") as the_dag:

        @task
        def make() -> str:
            return "echo made-by-upstream"

        BashOperator(task_id="bash", bash_command=make())
        PythonOperator(task_id="py", python_callable=lambda x: x * 2, op_args=[PythonOperator(
            task_id="num", python_callable=lambda: 21).output])
    result = run_dag(the_dag)
    assert result.xcom("bash") == "made-by-upstream"
    assert result.xcom("py") == 42


def test_xcomarg_in_an_f_string_renders_through_jinja(run_dag) -> None:
    with DAG("fstring") as the_dag:
        num = PythonOperator(task_id="num", python_callable=lambda: 7)
        bash = BashOperator(task_id="bash", bash_command=f"echo value={num.output}")
        num >> bash
    result = run_dag(the_dag)
    assert result.xcom("bash") == "value=7"


def test_xcomarg_key_resolves_one_pushed_key(run_dag) -> None:
    def push_extra(ti: Any) -> None:
        ti.xcom_push(key="extra", value={"n": 1})

    with DAG("key_resolve") as the_dag:
        pusher = PythonOperator(task_id="pusher", python_callable=push_extra)
        PythonOperator(task_id="reader", python_callable=lambda v: v, op_args=[pusher.output["extra"]])
    result = run_dag(the_dag)
    assert result.xcom("reader") == {"n": 1}


def test_missing_return_value_resolves_to_none(run_dag) -> None:
    with DAG("missing_return") as the_dag:
        quiet = PythonOperator(task_id="quiet", python_callable=lambda: None)
        PythonOperator(task_id="reader", python_callable=lambda v: repr(v), op_args=[quiet.output])
    assert run_dag(the_dag).xcom("reader") == "None"


def test_missing_custom_key_fails_the_consuming_task(run_dag) -> None:
    with DAG("missing_key") as the_dag:
        quiet = PythonOperator(task_id="quiet", python_callable=lambda: None)
        PythonOperator(task_id="reader", python_callable=lambda v: v, op_args=[quiet.output["nope"]])
    result = run_dag(the_dag)
    assert result.ti_state("reader") == "failed"
    assert "XComNotFound" in result.log("reader")


def test_missing_key_of_a_multiple_outputs_task_resolves_to_none(run_dag) -> None:
    with DAG("missing_mo_key") as the_dag:

        @task(multiple_outputs=True)
        def parts() -> dict:
            return {"a": 1}

        @task
        def reader(v: Any) -> str:
            return repr(v)

        reader(parts()["b"])
    assert run_dag(the_dag).xcom("reader") == "None"
