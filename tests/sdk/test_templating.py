"""Templating: which fields render, template files, literal, native rendering, macros and
filters, nested objects, undefined variables (spec section 5.5)."""

from __future__ import annotations

import collections
import datetime
from pathlib import Path
from typing import Any

import jinja2
import pendulum
import pytest

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk import DAG, BaseOperator, literal
from riir_airflow.sdk.templating import FILTERS, render_value, template_env_for


class Holder:
    """An object with its own template_fields, nested inside an operator argument."""

    template_fields = ("text", "items")

    def __init__(self, text: str, items: list[str] | None = None, untouched: str = "{{ ds }}") -> None:
        self.text = text
        self.items = items or []
        self.untouched = untouched


class FieldsOperator(BaseOperator):
    template_fields = ("rendered", "also")
    template_ext = (".tpl",)

    def __init__(self, *, rendered: Any = None, also: Any = None, plain: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rendered = rendered
        self.also = also
        self.plain = plain

    def execute(self, context: Any) -> Any:
        return {"rendered": self.rendered, "also": self.also, "plain": self.plain}


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _dag_in(folder: Path, dag_id: str, **kwargs: Any) -> DAG:
    return DAG(dag_id, full_filepath=str(folder / f"{dag_id}.py"), **kwargs)


# -- pure rendering -----------------------------------------------------------------------------
def test_render_value_recurses_into_containers_and_keeps_their_types() -> None:
    env = template_env_for(None)
    point = collections.namedtuple("point", "x y")
    context = {"a": "A", "n": 2}
    value = {
        "list": ["{{ a }}", 1],
        "tuple": ("{{ a }}",),
        "named": point("{{ a }}", "{{ n }}"),
        "set": {"{{ a }}"},
        "nested": {"k": ["{{ n }}"]},
        "keep": None,
    }
    out = render_value(value, context, env)
    assert out == {
        "list": ["A", 1],
        "tuple": ("A",),
        "named": point("A", "2"),
        "set": {"A"},
        "nested": {"k": ["2"]},
        "keep": None,
    }
    assert type(out["named"]) is point


def test_render_value_leaves_dict_keys_alone() -> None:
    assert render_value({"{{ a }}": "{{ a }}"}, {"a": "A"}, template_env_for(None)) == {"{{ a }}": "A"}


def test_literal_is_returned_unrendered() -> None:
    assert render_value(literal("{{ not rendered }}"), {}, template_env_for(None)) == "{{ not rendered }}"
    assert render_value([literal("{{ x }}")], {"x": 1}, template_env_for(None)) == ["{{ x }}"]


def test_strict_undefined_raises_on_unknown_names() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render_value("{{ nope }}", {}, template_env_for(None))


def test_objects_with_resolve_are_resolved() -> None:
    class Ref:
        def resolve(self, context: Any) -> Any:
            return context["v"] * 2

    assert render_value(Ref(), {"v": 21}, template_env_for(None)) == 42


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ds", "2024-03-05"),
        ("ds_nodash", "20240305"),
        ("ts", "2024-03-05T06:07:08+00:00"),
        ("ts_nodash", "20240305T060708"),
        ("ts_nodash_with_tz", "20240305T060708+0000"),
    ],
)
def test_date_filters_format_a_datetime(name: str, expected: str) -> None:
    moment = pendulum.datetime(2024, 3, 5, 6, 7, 8)
    assert FILTERS[name](moment) == expected
    assert render_value("{{ d | %s }}" % name, {"d": moment}, template_env_for(None)) == expected
    assert FILTERS[name](None) is None


def test_do_extension_is_enabled() -> None:
    assert render_value("{% set x = [] %}{% do x.append(1) %}{{ x }}", {}, template_env_for(None)) == "[1]"


# -- in a run ------------------------------------------------------------------------------------
def test_only_template_fields_are_rendered(run_dag) -> None:
    with DAG("fields") as the_dag:
        FieldsOperator(task_id="t", rendered="{{ ds }}", also=["{{ ds_nodash }}"], plain="{{ ds }}")
    result = run_dag(the_dag)
    assert result.xcom("t") == {"rendered": "2024-01-01", "also": ["20240101"], "plain": "{{ ds }}"}
    assert result.rendered("t") == {"rendered": "2024-01-01", "also": '["20240101"]'}


def test_template_ext_value_is_read_from_the_dag_folder(run_dag, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    _write(folder / "query.tpl", "SELECT '{{ ds }}'")
    _write(folder / "sub" / "deeper.tpl", "deeper {{ ds_nodash }}")
    with _dag_in(folder, "tpl_folder") as the_dag:
        FieldsOperator(task_id="t", rendered="query.tpl", also="sub/deeper.tpl")
    result = run_dag(the_dag)
    assert result.xcom("t")["rendered"] == "SELECT '2024-01-01'"
    assert result.xcom("t")["also"] == "deeper 20240101"


def test_template_searchpath_is_searched_after_the_dag_folder(run_dag, tmp_path: Path) -> None:
    folder, extra = tmp_path / "dags", tmp_path / "templates"
    _write(folder / "both.tpl", "from dag folder")
    _write(extra / "both.tpl", "from searchpath")
    _write(extra / "only_here.tpl", "searchpath {{ params.x }}")
    with _dag_in(folder, "searchpath", template_searchpath=str(extra), params={"x": 3}) as the_dag:
        FieldsOperator(task_id="t", rendered="both.tpl", also="only_here.tpl")
    result = run_dag(the_dag)
    assert result.xcom("t")["rendered"] == "from dag folder"
    assert result.xcom("t")["also"] == "searchpath 3"


def test_bash_command_ending_in_sh_is_a_template_file(run_dag, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    _write(folder / "script.sh", "echo script for {{ ds }}")
    with _dag_in(folder, "sh_file") as the_dag:
        BashOperator(task_id="t", bash_command="script.sh")
    result = run_dag(the_dag)
    assert result.xcom("t") == "script for 2024-01-01"
    assert result.rendered("t")["bash_command"] == "echo script for 2024-01-01"


def test_bash_command_ending_in_sh_that_is_no_file_fails_with_template_not_found(run_dag, tmp_path: Path) -> None:
    with _dag_in(tmp_path / "dags", "sh_trap") as the_dag:
        BashOperator(task_id="t", bash_command="echo run.sh")
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "TemplateNotFound" in result.log("t")


def test_bash_command_ending_in_sh_space_is_not_a_file(run_dag, tmp_path: Path) -> None:
    with _dag_in(tmp_path / "dags", "sh_space") as the_dag:
        BashOperator(task_id="t", bash_command="echo run.sh ")
    assert run_dag(the_dag).xcom("t") == "run.sh"


def test_literal_suppresses_rendering_in_a_task(run_dag) -> None:
    with DAG("literal_run") as the_dag:
        BashOperator(task_id="t", bash_command=literal("echo '{{ ds }}'"))
    assert run_dag(the_dag).xcom("t") == "{{ ds }}"


def test_native_rendering_turns_template_results_into_python_objects(run_dag) -> None:
    with DAG("native", render_template_as_native_obj=True, params={"n": 3}) as the_dag:
        FieldsOperator(task_id="t", rendered="{{ [1, 2] }}", also="{{ params.n + 1 }}")
    assert run_dag(the_dag).xcom("t") == {"rendered": [1, 2], "also": 4, "plain": None}


def test_sandboxed_rendering_keeps_template_results_as_strings(run_dag) -> None:
    with DAG("sandboxed", params={"n": 3}) as the_dag:
        FieldsOperator(task_id="t", rendered="{{ [1, 2] }}", also="{{ params.n + 1 }}")
    assert run_dag(the_dag).xcom("t") == {"rendered": "[1, 2]", "also": "4", "plain": None}


def test_task_can_opt_into_native_rendering_alone(run_dag) -> None:
    with DAG("task_native") as the_dag:
        FieldsOperator(task_id="t", rendered="{{ [1] }}", render_template_as_native_obj=True)
    assert run_dag(the_dag).xcom("t")["rendered"] == [1]


def test_user_defined_macros_and_filters_are_available(run_dag) -> None:
    with DAG(
        "user_defined",
        user_defined_macros={"project": "acme", "double": lambda x: x * 2},
        user_defined_filters={"shout": lambda s: s.upper() + "!"},
    ) as the_dag:
        FieldsOperator(task_id="t", rendered="{{ project | shout }} {{ double(21) }}")
    assert run_dag(the_dag).xcom("t")["rendered"] == "ACME! 42"


def test_builtin_date_filters_work_in_a_run(run_dag) -> None:
    with DAG("filters") as the_dag:
        FieldsOperator(task_id="t", rendered="{{ data_interval_end | ds }} {{ logical_date | ts_nodash }}")
    assert run_dag(the_dag).xcom("t")["rendered"] == "2024-01-01 20240101T000000"


def test_jinja_environment_kwargs_are_passed_to_jinja(run_dag) -> None:
    with DAG("jinja_kwargs", jinja_environment_kwargs={"keep_trailing_newline": True}) as the_dag:
        FieldsOperator(task_id="t", rendered="line\n")
    assert run_dag(the_dag).xcom("t")["rendered"] == "line\n"


def test_nested_object_with_template_fields_is_rendered(run_dag) -> None:
    with DAG("nested") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=lambda h: [h.text, h.items, h.untouched],
            op_args=[Holder("day {{ ds }}", ["{{ ds_nodash }}"])],
        )
    assert run_dag(the_dag).xcom("t") == ["day 2024-01-01", ["20240101"], "{{ ds }}"]


def test_rendering_never_changes_the_dag_definition(run_dag) -> None:
    holder = Holder("day {{ ds }}")
    with DAG("pristine") as the_dag:
        op = PythonOperator(task_id="t", python_callable=lambda h, x: [h.text, x], op_args=[holder, "{{ ds }}"])
    run_dag(the_dag)
    assert op.op_args[1] == "{{ ds }}"
    assert holder.text == "day {{ ds }}"


def test_nested_objects_are_rendered_afresh_on_every_try(run_dag) -> None:
    seen: list[str] = []

    def flaky(holder: Holder, ti: Any) -> str:
        seen.append(holder.text)
        if ti.try_number == 1:
            raise ValueError("first try fails")
        return holder.text

    with DAG("afresh") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=flaky,
            op_args=[Holder("try {{ ti.try_number }}")],
            retries=1,
            retry_delay=datetime.timedelta(seconds=1),
        )
    result = run_dag(the_dag)
    assert seen == ["try 1", "try 2"]
    assert result.xcom("t") == "try 2"


def test_undefined_variable_fails_the_task(run_dag) -> None:
    with DAG("undefined") as the_dag:
        BashOperator(task_id="t", bash_command="echo {{ no_such_variable }}")
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "UndefinedError" in result.log("t")


def test_python_operator_templates_dict_and_templates_exts(run_dag, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    _write(folder / "body.sql", "SELECT {{ ds_nodash }}")
    with _dag_in(folder, "templates_dict") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=lambda templates_dict: dict(templates_dict),
            templates_dict={"inline": "{{ ds }}", "file": "body.sql"},
            templates_exts=[".sql"],
        )
    assert run_dag(the_dag).xcom("t") == {"inline": "2024-01-01", "file": "SELECT 20240101"}


def test_op_kwargs_and_op_args_are_rendered(run_dag) -> None:
    with DAG("op_args") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=lambda a, b: [a, b],
            op_args=["{{ ds }}"],
            op_kwargs={"b": "{{ run_id }}"},
        )
    result = run_dag(the_dag)
    assert result.xcom("t") == ["2024-01-01", result.run_id]


def test_macros_are_available_in_templates(run_dag) -> None:
    with DAG("macros") as the_dag:
        FieldsOperator(task_id="t", rendered="{{ macros.ds_add(ds, 5) }} {{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m') }}")
    assert run_dag(the_dag).xcom("t")["rendered"] == "2024-01-06 01/01"
