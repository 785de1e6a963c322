"""BaseOperator: constructor defaults, default_args applied by parameter name, argument checks,
relationships and setup/teardown marks (spec section 3.1)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, BaseOperator, TriggerRule, XComArg
from riir_airflow.sdk.exceptions import AirflowException


class EchoOperator(BaseOperator):
    """A user operator with its own parameters, as DAG authors write them."""

    template_fields = ("message",)

    def __init__(self, *, message: str = "default message", shout: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message
        self.shout = shout

    def execute(self, context: Any) -> str:
        return self.message.upper() if self.shout else self.message


# -- defaults ---------------------------------------------------------------------------------
def test_constructor_defaults_follow_airflow3(airflow_home: Path) -> None:
    with DAG("defaults"):
        op = EmptyOperator(task_id="t")
    assert op.owner == "airflow"
    assert op.retries == 0
    assert op.retry_delay == datetime.timedelta(seconds=300)
    assert op.trigger_rule is TriggerRule.ALL_SUCCESS
    assert op.execution_timeout is None
    assert op.depends_on_past is False
    assert op.do_xcom_push is True
    assert op.multiple_outputs is False
    assert op.pool == "default_pool"
    assert op.queue == "default"
    assert op.priority_weight == 1
    assert op.weight_rule == "downstream"


def test_retry_delay_and_execution_timeout_accept_float_seconds() -> None:
    with DAG("floats"):
        op = EmptyOperator(task_id="t", retry_delay=1.5, execution_timeout=2, max_retry_delay=60)
    assert op.retry_delay == datetime.timedelta(seconds=1.5)
    assert op.execution_timeout == datetime.timedelta(seconds=2)
    assert op.max_retry_delay == datetime.timedelta(seconds=60)


# -- default_args ------------------------------------------------------------------------------
def test_dag_default_args_fill_base_operator_parameters() -> None:
    with DAG("da", default_args={"retries": 3, "owner": "data", "retry_delay": datetime.timedelta(seconds=5)}):
        op = EmptyOperator(task_id="t")
    assert (op.retries, op.owner, op.retry_delay) == (3, "data", datetime.timedelta(seconds=5))


def test_dag_default_args_fill_a_subclass_own_parameters_by_name() -> None:
    with DAG("da_sub", default_args={"message": "from defaults", "bash_command": "echo from defaults"}):
        echo = EchoOperator(task_id="echo")
        bash = BashOperator(task_id="bash")
    assert echo.message == "from defaults"
    assert bash.bash_command == "echo from defaults"


def test_default_args_keys_matching_no_parameter_are_ignored() -> None:
    with DAG("ignored", default_args={"no_such_argument": 1, "another_unknown": "x", "retries": 2}):
        op = EmptyOperator(task_id="t")
    assert op.retries == 2
    assert not hasattr(op, "no_such_argument")


def test_unknown_explicit_keyword_argument_is_a_type_error() -> None:
    with DAG("unknown_kw"), pytest.raises(TypeError, match="no_such_argument"):
        EmptyOperator(task_id="t", no_such_argument=1)


def test_unknown_explicit_keyword_argument_of_a_subclass_is_a_type_error() -> None:
    with DAG("unknown_kw_sub"), pytest.raises(TypeError):
        EchoOperator(task_id="t", mesage="typo")


def test_positional_arguments_are_refused() -> None:
    with DAG("positional"), pytest.raises(TypeError):
        EmptyOperator("t")  # type: ignore[misc]


def test_explicit_argument_beats_default_args() -> None:
    with DAG("explicit", default_args={"retries": 3, "message": "default"}):
        op = EchoOperator(task_id="t", retries=1, message="explicit")
    assert op.retries == 1
    assert op.message == "explicit"


def test_operator_default_args_beat_dag_default_args() -> None:
    with DAG("op_da", default_args={"retries": 3, "owner": "dag"}):
        op = EmptyOperator(task_id="t", default_args={"retries": 9})
    assert op.retries == 9
    assert op.owner == "dag"


def test_default_args_given_to_a_dag_variable_apply_with_dag_kwarg() -> None:
    the_dag = DAG("var_da", default_args={"retries": 4})
    op = EmptyOperator(task_id="t", dag=the_dag)
    assert op.retries == 4


def test_default_args_dict_is_copied_by_the_dag() -> None:
    args = {"retries": 1}
    the_dag = DAG("copy_da", default_args=args)
    args["retries"] = 5
    assert EmptyOperator(task_id="t", dag=the_dag).retries == 1


# -- argument checks -----------------------------------------------------------------------------
def test_invalid_trigger_rule_raises_value_error_at_definition() -> None:
    with DAG("bad_rule"), pytest.raises(ValueError, match="trigger_rule"):
        EmptyOperator(task_id="t", trigger_rule="sometimes")


def test_trigger_rule_from_default_args_is_validated_too() -> None:
    with DAG("bad_rule_da", default_args={"trigger_rule": "nope"}), pytest.raises(ValueError):
        EmptyOperator(task_id="t")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("all_done", TriggerRule.ALL_DONE),
        (TriggerRule.ONE_FAILED, TriggerRule.ONE_FAILED),
        ("dummy", TriggerRule.ALWAYS),
        ("none_failed_or_skipped", TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS),
    ],
)
def test_trigger_rule_strings_and_2x_aliases_are_canonicalised(given: str, expected: TriggerRule) -> None:
    with DAG(f"rule_{expected.value}"):
        assert EmptyOperator(task_id="t", trigger_rule=given).trigger_rule is expected


@pytest.mark.parametrize("bad_id", ["has space", "a/b", "", "x" * 251])
def test_invalid_task_id_is_rejected(bad_id: str) -> None:
    with DAG("bad_task_id"), pytest.raises(ValueError):
        EmptyOperator(task_id=bad_id)


def test_task_id_must_be_a_string() -> None:
    with DAG("int_task_id"), pytest.raises(TypeError):
        EmptyOperator(task_id=5)  # type: ignore[arg-type]


def test_airflow2_task_concurrency_is_an_alias_of_max_active_tis_per_dag() -> None:
    with DAG("legacy_kw"):
        op = EmptyOperator(task_id="t", task_concurrency=3)
    assert op.max_active_tis_per_dag == 3


def test_a_task_cannot_move_to_another_dag() -> None:
    first, second = DAG("first"), DAG("second")
    op = EmptyOperator(task_id="t", dag=first)
    with pytest.raises(ValueError):
        op.dag = second


def test_linking_tasks_of_two_dags_is_refused() -> None:
    a = EmptyOperator(task_id="a", dag=DAG("one"))
    b = EmptyOperator(task_id="b", dag=DAG("two"))
    with pytest.raises(ValueError, match="more than one DAG"):
        a >> b


def test_linking_two_tasks_without_any_dag_is_refused() -> None:
    a = EmptyOperator(task_id="a")
    b = EmptyOperator(task_id="b")
    with pytest.raises(ValueError):
        a >> b


def test_accessing_dag_of_an_unattached_task_raises() -> None:
    op = EmptyOperator(task_id="alone")
    with pytest.raises(AirflowException):
        _ = op.dag
    assert op.dag_id == "adhoc_airflow"


# -- relationships ------------------------------------------------------------------------------
def test_set_upstream_and_set_downstream_update_both_sides() -> None:
    with DAG("rel"):
        a, b, c = (EmptyOperator(task_id=x) for x in "abc")
        b.set_upstream(a)
        b.set_downstream([c])
    assert a.downstream_task_ids == {"b"}
    assert b.upstream_task_ids == {"a"}
    assert b.downstream_task_ids == {"c"}
    assert [t.task_id for t in c.upstream_list] == ["b"]
    assert [t.task_id for t in a.downstream_list] == ["b"]


def test_get_flat_relative_ids_walks_the_whole_graph() -> None:
    with DAG("flat"):
        a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
        a >> b >> c
        d >> c
    assert a.get_flat_relative_ids() == {"b", "c"}
    assert c.get_flat_relative_ids(upstream=True) == {"a", "b", "d"}


def test_priority_weight_total_sums_downstream_weights_by_default() -> None:
    with DAG("weights"):
        a = EmptyOperator(task_id="a", priority_weight=1)
        b = EmptyOperator(task_id="b", priority_weight=10)
        c = EmptyOperator(task_id="c", priority_weight=100, weight_rule="absolute")
        u = EmptyOperator(task_id="u", priority_weight=1000, weight_rule="upstream")
        a >> b >> c >> u
    assert a.priority_weight_total == 1 + 10 + 100 + 1000
    assert b.priority_weight_total == 10 + 100 + 1000
    assert c.priority_weight_total == 100
    assert u.priority_weight_total == 1000 + 1 + 10 + 100


def test_output_is_the_return_value_xcomarg_of_the_task() -> None:
    with DAG("output"):
        op = EmptyOperator(task_id="t")
    out = op.output
    assert isinstance(out, XComArg)
    assert out == XComArg(op)
    assert out.key == "return_value"


def test_xcomarg_in_a_templated_field_makes_its_producer_upstream() -> None:
    with DAG("xcom_dep"):
        producer = EmptyOperator(task_id="producer")
        consumer = EchoOperator(task_id="consumer", message=producer.output)
    assert consumer.upstream_task_ids == {"producer"}


def test_as_setup_and_as_teardown_mark_the_tasks() -> None:
    with DAG("st"):
        s = EmptyOperator(task_id="s").as_setup()
        w = EmptyOperator(task_id="w")
        t = EmptyOperator(task_id="t").as_teardown(setups=s, on_failure_fail_dagrun=True)
        s >> w >> t
    assert s.is_setup and not s.is_teardown
    assert t.is_teardown and t.on_failure_fail_dagrun
    assert t.trigger_rule is TriggerRule.ALL_DONE_SETUP_SUCCESS
    assert "s" in t.upstream_task_ids


def test_pre_and_post_execute_hooks_are_called(run_dag) -> None:
    calls: list[str] = []
    with DAG("hooks") as the_dag:
        EchoOperator(
            task_id="t",
            pre_execute=lambda ctx: calls.append("pre"),
            post_execute=lambda ctx, result: calls.append(f"post:{result}"),
        )
    result = run_dag(the_dag)
    assert result.state == "success"
    assert calls == ["pre", "post:default message"]


def test_a_user_operator_execute_return_value_is_pushed(run_dag) -> None:
    with DAG("user_op") as the_dag:
        EchoOperator(task_id="t", message="hi {{ ds }}", shout=True)
    result = run_dag(the_dag)
    assert result.xcom("t") == "HI 2024-01-01"


def test_do_xcom_push_false_pushes_nothing(run_dag) -> None:
    with DAG("no_push") as the_dag:
        EchoOperator(task_id="t", do_xcom_push=False)
    assert run_dag(the_dag).xcoms("t") == {}


def test_base_operator_without_execute_fails_the_task(run_dag) -> None:
    with DAG("abstract") as the_dag:
        BaseOperator(task_id="t")
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "NotImplementedError" in result.log("t")


# -- argument checks Airflow 3 makes -------------------------------------------
def test_pool_slots_below_one_is_refused() -> None:
    with DAG("pool_slots"), pytest.raises(ValueError, match="pool slots"):
        EmptyOperator(task_id="t", pool_slots=0)


def test_unknown_weight_rule_is_refused() -> None:
    with DAG("weight_rule"), pytest.raises((ValueError, TypeError, AirflowException)):
        EmptyOperator(task_id="t", weight_rule="heaviest_first")


def test_non_integer_priority_weight_is_refused() -> None:
    with DAG("priority_type"), pytest.raises(TypeError):
        EmptyOperator(task_id="t", priority_weight="high")  # type: ignore[arg-type]


def test_a_task_cannot_be_both_setup_and_teardown() -> None:
    with DAG("both"):
        teardown = EmptyOperator(task_id="t").as_teardown()
        with pytest.raises(ValueError, match="already a teardown"):
            teardown.as_setup()
