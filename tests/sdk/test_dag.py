"""The DAG object: the three authoring styles, constructor arguments, validation at definition
and at load (cycles), `@dag` params, doc_md files, tags (spec section 2)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pendulum
import pytest

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk import DAG, Param, dag, task
from riir_airflow.sdk.exceptions import (
    AirflowDagCycleException,
    AirflowException,
    DuplicateTaskIdFound,
    ParamValidationError,
)


# -- the three styles --------------------------------------------------------------------------
def test_with_block_registers_tasks_created_inside_it() -> None:
    with DAG("with_style") as the_dag:
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        a >> b
    assert the_dag.task_ids == ["a", "b"]
    assert a.dag is the_dag and b.dag is the_dag
    assert the_dag.get_task("b").upstream_task_ids == {"a"}


def test_dag_variable_style_attaches_tasks_given_dag_kwarg() -> None:
    the_dag = DAG("var_style")
    a = EmptyOperator(task_id="a", dag=the_dag)
    b = EmptyOperator(task_id="b", dag=the_dag)
    a.set_downstream(b)
    assert the_dag.task_dict == {"a": a, "b": b}
    assert [t.task_id for t in the_dag.roots] == ["a"]
    assert [t.task_id for t in the_dag.leaves] == ["b"]


def test_task_without_dag_joins_the_dag_of_the_task_it_is_linked_to() -> None:
    the_dag = DAG("late_join")
    a = EmptyOperator(task_id="a", dag=the_dag)
    b = EmptyOperator(task_id="b")
    assert not b.has_dag
    a >> b
    assert b.dag is the_dag
    assert "b" in the_dag.task_dict


def test_dag_decorator_uses_function_name_as_dag_id_and_returns_a_dag() -> None:
    @dag(schedule=None)
    def my_pipeline() -> None:
        EmptyOperator(task_id="only")

    the_dag = my_pipeline()
    assert isinstance(the_dag, DAG)
    assert the_dag.dag_id == "my_pipeline"
    assert the_dag.task_ids == ["only"]


def test_dag_decorator_without_parentheses_works() -> None:
    @dag
    def bare() -> None:
        EmptyOperator(task_id="x")

    assert bare().dag_id == "bare"


def test_dag_decorator_explicit_dag_id_wins_over_function_name() -> None:
    @dag(dag_id="explicit_id")
    def some_function() -> None:
        EmptyOperator(task_id="x")

    assert some_function().dag_id == "explicit_id"


def test_dag_decorator_function_parameters_become_dag_params() -> None:
    @dag(params={"declared": 1})
    def with_params(count: int = 3, label=Param("x", type="string")) -> None:
        EmptyOperator(task_id="t")

    the_dag = with_params()
    assert the_dag.params["declared"] == 1
    assert the_dag.params["count"] == 3
    assert the_dag.params["label"] == "x"
    assert the_dag.params.get_param("label").schema["type"] == "string"


def test_dag_decorator_param_default_is_used_when_the_run_has_no_conf(run_dag) -> None:
    @dag
    def uses_param(count: int = 3) -> None:
        @task
        def echo(value: int) -> int:
            return value

        echo(count)

    result = run_dag(uses_param())
    assert result.xcom("echo") == 3


def test_dag_decorator_param_is_overridden_by_run_conf(run_dag) -> None:
    @dag
    def uses_param(count: int = 3) -> None:
        @task
        def echo(value: int, params=None) -> list:
            return [value, params["count"]]

        echo(count)

    result = run_dag(uses_param(), conf={"count": 7})
    assert result.xcom("echo") == [7, 7]


def test_dag_decorator_docstring_becomes_doc_md_not_description() -> None:
    @dag
    def documented() -> None:
        """Some **markdown** docs."""
        EmptyOperator(task_id="t")

    the_dag = documented()
    assert the_dag.doc_md == "Some **markdown** docs."
    assert the_dag.description is None


# -- constructor arguments ---------------------------------------------------------------------
def test_airflow3_defaults_schedule_none_and_no_catchup(airflow_home: Path) -> None:
    the_dag = DAG("defaults")
    assert the_dag.schedule is None
    assert the_dag.catchup is False
    assert the_dag.max_active_runs == 16
    assert the_dag.max_active_tasks == 16
    assert the_dag.params == {}
    assert the_dag.tags == set()


def test_tags_are_stored_as_a_set() -> None:
    the_dag = DAG("tagged", tags=["b", "a", "b"])
    assert the_dag.tags == {"a", "b"}


def test_doc_md_ending_in_md_is_read_from_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README.md").write_text("# Title\nbody\n")
    monkeypatch.chdir(tmp_path)
    the_dag = DAG("doc_file", doc_md="README.md")
    assert the_dag.doc_md == "# Title\nbody\n"


def test_doc_md_ending_in_md_that_is_no_file_is_kept_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert DAG("doc_text", doc_md="see missing.md").doc_md == "see missing.md"


def test_start_date_is_taken_from_default_args() -> None:
    the_dag = DAG("sd", default_args={"start_date": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)})
    assert the_dag.start_date == pendulum.datetime(2024, 1, 1)


def test_naive_start_date_gets_the_default_timezone(airflow_home: Path) -> None:
    the_dag = DAG("naive", start_date=datetime.datetime(2024, 1, 1))
    assert the_dag.start_date.tzinfo is not None
    assert the_dag.start_date.utcoffset() == datetime.timedelta(0)


def test_params_from_default_args_are_merged_into_dag_params() -> None:
    the_dag = DAG("p", default_args={"params": {"a": 1, "b": 2}}, params={"b": 3})
    assert dict(the_dag.params) == {"a": 1, "b": 3}


def test_invalid_param_default_is_rejected_at_definition() -> None:
    with pytest.raises(ParamValidationError):
        DAG("bad_param", params={"n": Param("x", type="integer")})


@pytest.mark.parametrize("bad_id", ["has space", "slash/no", "", "x" * 251])
def test_invalid_dag_id_is_rejected(bad_id: str) -> None:
    with pytest.raises(ValueError):
        DAG(bad_id)


def test_dag_id_may_use_dots_dashes_and_underscores() -> None:
    assert DAG("a.b-c_d").dag_id == "a.b-c_d"


def test_airflow2_schedule_interval_spelling_is_accepted() -> None:
    the_dag = DAG("legacy", schedule_interval="@daily", start_date=pendulum.datetime(2024, 1, 1))
    assert the_dag.schedule == "@daily"
    assert the_dag.timetable is not None


def test_get_task_of_an_unknown_id_raises() -> None:
    the_dag = DAG("lookup")
    with pytest.raises(AirflowException):
        the_dag.get_task("nope")
    assert not the_dag.has_task("nope")


# -- validation ---------------------------------------------------------------------------------
def test_duplicate_task_id_raises_at_definition() -> None:
    with DAG("dup"):
        EmptyOperator(task_id="same")
        with pytest.raises(DuplicateTaskIdFound):
            EmptyOperator(task_id="same")


def test_duplicate_task_id_in_dag_variable_style_raises() -> None:
    the_dag = DAG("dup2")
    EmptyOperator(task_id="same", dag=the_dag)
    with pytest.raises(DuplicateTaskIdFound):
        EmptyOperator(task_id="same", dag=the_dag)


def test_cycle_is_not_rejected_by_shift_operators_but_by_check_cycle() -> None:
    with DAG("cyclic") as the_dag:
        a = EmptyOperator(task_id="a")
        b = EmptyOperator(task_id="b")
        c = EmptyOperator(task_id="c")
        a >> b >> c >> a  # no error here, as in Airflow
    with pytest.raises(AirflowDagCycleException):
        the_dag.check_cycle()
    with pytest.raises(AirflowDagCycleException):
        the_dag.validate()


def test_self_loop_is_a_cycle() -> None:
    with DAG("self_loop") as the_dag:
        a = EmptyOperator(task_id="a")
        a >> a
    with pytest.raises(AirflowDagCycleException):
        the_dag.check_cycle()


def test_diamond_is_not_a_cycle() -> None:
    with DAG("diamond") as the_dag:
        a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
        a >> [b, c] >> d
    the_dag.check_cycle()
    assert [t.task_id for t in the_dag.topological_order()] == ["a", "b", "c", "d"]


def test_topological_order_puts_upstreams_first_even_when_defined_later() -> None:
    with DAG("order") as the_dag:
        late = EmptyOperator(task_id="late")
        early = EmptyOperator(task_id="early")
        early >> late
    assert [t.task_id for t in the_dag.topological_order()] == ["early", "late"]


def test_dag_owner_lists_the_owners_of_its_tasks() -> None:
    with DAG("owners") as the_dag:
        EmptyOperator(task_id="a", owner="zed")
        EmptyOperator(task_id="b", owner="amy")
    assert the_dag.owner == "amy, zed"


def test_python_operator_needs_a_callable() -> None:
    with DAG("pycall"), pytest.raises(TypeError):
        PythonOperator(task_id="x", python_callable="not callable")  # type: ignore[arg-type]


# -- checks Airflow 3 makes when a DAG is defined or loaded ---------------
def test_scheduled_dag_with_a_required_param_without_default_is_refused() -> None:
    with pytest.raises(ValueError, match="not allowed to define a Schedule"):
        DAG("needs_conf", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1), params={"n": Param(type="integer")}).validate()


def test_unscheduled_dag_may_have_a_required_param_without_default() -> None:
    DAG("manual_only", params={"n": Param(type="integer")}).validate()


def test_catchup_with_a_schedule_needs_a_start_date() -> None:
    with pytest.raises(ValueError, match="start_date is required"):
        DAG("catchup_no_start", schedule="@daily", catchup=True).validate()


def test_tags_longer_than_100_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="tag cannot be longer"):
        DAG("long_tag", tags=["x" * 101]).validate()


def test_setup_followed_by_a_task_with_another_trigger_rule_is_refused_at_load() -> None:
    with DAG("setup_rule") as the_dag:
        s = EmptyOperator(task_id="s").as_setup()
        s >> EmptyOperator(task_id="w", trigger_rule="all_done")
    with pytest.raises(ValueError, match="Setup tasks must be followed with trigger rule ALL_SUCCESS"):
        the_dag.validate()
