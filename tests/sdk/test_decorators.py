"""TaskFlow: `@task` and friends, task ids, multiple_outputs, `.override()`, context injection,
`get_current_context` (spec section 3.3)."""

from __future__ import annotations

from typing import Any

import pytest

from riir_airflow.decorators import task as task_2x
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, XComArg, get_current_context, setup, task, teardown


# -- definition ---------------------------------------------------------------------------------
def test_calling_a_task_function_adds_a_task_named_after_it_and_returns_an_xcomarg() -> None:
    with DAG("tf") as the_dag:

        @task
        def extract() -> int:
            return 1

        out = extract()
    assert isinstance(out, XComArg)
    assert out.operator is the_dag.task_dict["extract"]
    assert the_dag.task_dict["extract"].operator_name == "@task"


def test_reusing_a_task_function_suffixes_the_task_id() -> None:
    with DAG("suffix") as the_dag:

        @task
        def f() -> None:
            return None

        f()
        f()
        f()
    assert the_dag.task_ids == ["f", "f__1", "f__2"]


def test_explicit_task_id_and_its_reuse() -> None:
    with DAG("explicit_id") as the_dag:

        @task(task_id="named")
        def f() -> None:
            return None

        f()
        f()
    assert the_dag.task_ids == ["named", "named__1"]


def test_task_decorator_forms_are_equivalent() -> None:
    with DAG("forms") as the_dag:

        @task
        def a() -> None: ...

        @task()
        def b() -> None: ...

        @task.python
        def c() -> None: ...

        @task_2x
        def d() -> None: ...

        a(), b(), c(), d()
    assert the_dag.task_ids == ["a", "b", "c", "d"]


def test_operator_arguments_given_to_the_decorator_apply_to_the_task() -> None:
    with DAG("deco_args"):

        @task(retries=3, owner="me", trigger_rule="all_done")
        def f() -> None: ...

        op = f().operator
    assert (op.retries, op.owner, op.trigger_rule.value) == (3, "me", "all_done")


def test_override_changes_operator_arguments_for_one_call() -> None:
    with DAG("override") as the_dag:

        @task(retries=1)
        def f() -> None: ...

        plain = f().operator
        changed = f.override(task_id="custom", retries=5)().operator
    assert (plain.task_id, plain.retries) == ("f", 1)
    assert (changed.task_id, changed.retries) == ("custom", 5)
    assert set(the_dag.task_ids) == {"f", "custom"}


def test_xcomarg_arguments_create_dependencies() -> None:
    with DAG("deps") as the_dag:

        @task
        def a() -> int:
            return 1

        @task
        def b() -> int:
            return 2

        @task
        def total(x: int, y: int) -> int:
            return x + y

        total(a(), y=b())
    assert the_dag.task_dict["total"].upstream_task_ids == {"a", "b"}


def test_missing_required_argument_is_a_type_error_at_definition() -> None:
    with DAG("missing_arg"):

        @task
        def needs(x: int) -> int:
            return x

        with pytest.raises(TypeError):
            needs()


def test_context_parameter_names_do_not_need_to_be_passed() -> None:
    with DAG("ctx_params") as the_dag:

        @task
        def uses_context(ds: str, ti: Any, params: Any) -> None: ...

        uses_context()
    assert "uses_context" in the_dag.task_dict


def test_multiple_outputs_is_inferred_from_a_mapping_return_annotation() -> None:
    with DAG("infer"):

        @task
        def typed() -> dict[str, int]:
            return {}

        @task
        def untyped():
            return {}

        @task
        def listy() -> list[int]:
            return []

        assert typed().operator.multiple_outputs is True
        assert untyped().operator.multiple_outputs is False
        assert listy().operator.multiple_outputs is False


def test_setup_and_teardown_decorators_mark_tasks() -> None:
    with DAG("st"):

        @setup
        def create() -> None: ...

        @teardown
        def delete() -> None: ...

        c = create()
        d = delete()
        c >> EmptyOperator(task_id="work") >> d
    assert c.operator.is_setup
    assert d.operator.is_teardown


# -- running ------------------------------------------------------------------------------------
def test_explicit_multiple_outputs_pushes_each_key_and_the_whole_dict(run_dag) -> None:
    with DAG("mo_explicit") as the_dag:

        @task(multiple_outputs=True)
        def parts() -> dict:
            return {"a": 1, "b": [2]}

        parts()
    assert run_dag(the_dag).xcoms("parts") == {"a": 1, "b": [2], "return_value": {"a": 1, "b": [2]}}


def test_inferred_multiple_outputs_pushes_each_key(run_dag) -> None:
    with DAG("mo_inferred") as the_dag:

        @task
        def parts() -> dict[str, int]:
            return {"x": 1}

        parts()
    assert run_dag(the_dag).xcoms("parts") == {"x": 1, "return_value": {"x": 1}}


def test_override_can_turn_multiple_outputs_off(run_dag) -> None:
    with DAG("mo_off") as the_dag:

        @task
        def parts() -> dict[str, int]:
            return {"x": 1}

        parts.override(multiple_outputs=False)()
    assert run_dag(the_dag).xcoms("parts") == {"return_value": {"x": 1}}


def test_multiple_outputs_with_a_non_dict_result_fails_the_task(run_dag) -> None:
    with DAG("mo_bad") as the_dag:

        @task(multiple_outputs=True)
        def not_a_dict() -> list:
            return [1, 2]

        not_a_dict()
    result = run_dag(the_dag)
    assert result.ti_state("not_a_dict") == "failed"
    assert "TypeError" in result.log("not_a_dict")
    assert result.xcoms("not_a_dict") == {}


def test_multiple_outputs_with_non_string_keys_fails_the_task(run_dag) -> None:
    with DAG("mo_keys") as the_dag:

        @task(multiple_outputs=True)
        def int_keys() -> dict:
            return {1: "a"}

        int_keys()
    assert run_dag(the_dag).ti_state("int_keys") == "failed"


def test_returning_none_pushes_no_xcom(run_dag) -> None:
    with DAG("none") as the_dag:

        @task
        def nothing() -> None:
            return None

        @task
        def reader(v: Any) -> str:
            return repr(v)

        reader(nothing())
    result = run_dag(the_dag)
    assert result.ti_state("nothing") == "success"
    assert result.xcoms("nothing") == {}
    assert result.xcom("reader") == "None"


def test_xcomarg_key_pulls_one_output(run_dag) -> None:
    with DAG("key_pull") as the_dag:

        @task(multiple_outputs=True)
        def parts() -> dict:
            return {"a": 1, "b": 2}

        @task
        def add(x: int, y: int) -> int:
            return x + y

        p = parts()
        add(p["a"], p["b"])
    assert run_dag(the_dag).xcom("add") == 3


def test_output_of_a_classic_operator_feeds_a_taskflow_task(run_dag) -> None:
    from riir_airflow.providers.standard.operators.bash import BashOperator

    with DAG("output_feed") as the_dag:
        bash = BashOperator(task_id="bash", bash_command="echo 41")

        @task
        def plus_one(v: str) -> int:
            return int(v) + 1

        plus_one(bash.output)
    assert run_dag(the_dag).xcom("plus_one") == 42


def test_context_values_are_injected_by_parameter_name(run_dag) -> None:
    with DAG("inject") as the_dag:

        @task
        def show(ds: str, run_id: str, ti: Any, params: Any, logical_date: Any) -> list:
            return [ds, run_id == ti.run_id, ti.task_id, dict(params), logical_date.isoformat()]

        show()
    result = run_dag(the_dag)
    assert result.xcom("show") == ["2024-01-01", True, "show", {}, "2024-01-01T00:00:00+00:00"]


def test_var_kwargs_receive_the_whole_context(run_dag) -> None:
    with DAG("kwargs") as the_dag:

        @task
        def show(**context: Any) -> list:
            return sorted(k for k in ("ds", "ti", "dag_run", "params", "task") if k in context)

        show()
    assert run_dag(the_dag).xcom("show") == ["dag_run", "ds", "params", "task", "ti"]


def test_get_current_context_inside_a_task_is_that_tasks_context(run_dag) -> None:
    with DAG("current") as the_dag:

        @task
        def inner() -> list:
            context = get_current_context()
            return [context["ti"].task_id, context["ds"]]

        inner()
    assert run_dag(the_dag).xcom("inner") == ["inner", "2024-01-01"]


def test_get_current_context_outside_a_task_raises() -> None:
    with pytest.raises(RuntimeError, match="no context"):
        get_current_context()


def test_get_current_context_is_gone_after_the_task(run_dag) -> None:
    with DAG("after") as the_dag:

        @task
        def inner() -> None:
            get_current_context()

        inner()
    assert run_dag(the_dag).ti_state("inner") == "success"
    with pytest.raises(RuntimeError):
        get_current_context()


def test_positional_and_keyword_arguments_reach_the_function(run_dag) -> None:
    with DAG("args") as the_dag:

        @task
        def f(a: int, b: int, *, c: int = 0) -> list:
            return [a, b, c]

        f(1, 2, c=3)
    assert run_dag(the_dag).xcom("f") == [1, 2, 3]


def test_an_exception_in_the_function_fails_the_task(run_dag) -> None:
    with DAG("raises") as the_dag:

        @task
        def boom() -> None:
            raise RuntimeError("kaput")

        boom()
    result = run_dag(the_dag)
    assert result.state == "failed"
    assert result.ti_state("boom") == "failed"
    assert "kaput" in result.log("boom")


def test_taskflow_arguments_are_rendered_as_templates(run_dag) -> None:
    with DAG("tf_templated") as the_dag:

        @task
        def echo(day: str, *, stamp: str) -> list:
            return [day, stamp]

        echo("{{ ds }}", stamp="{{ ds_nodash }}")
    assert run_dag(the_dag).xcom("echo") == ["2024-01-01", "20240101"]
