"""Param / ParamsDict / DagParam / merge_params: values, JSON-schema validation, merge order."""

from __future__ import annotations

import copy
import pickle
from types import SimpleNamespace
from typing import Any

import pytest

from riir_airflow.sdk.exceptions import AirflowException, ParamValidationError
from riir_airflow.sdk.params import DagParam, Param, ParamsDict, merge_params
from riir_airflow.sdk.types import NOTSET, ArgNotSet, is_arg_set

# -- the NOTSET sentinel -----------------------------------------------------------------------


def test_notset_is_a_singleton_through_copy_and_pickle() -> None:
    assert ArgNotSet() is NOTSET
    assert copy.copy(NOTSET) is NOTSET
    assert copy.deepcopy({"a": NOTSET})["a"] is NOTSET
    assert pickle.loads(pickle.dumps(NOTSET)) is NOTSET
    assert repr(NOTSET) == "NOTSET"


def test_is_arg_set_treats_none_as_set() -> None:
    assert is_arg_set(None)
    assert is_arg_set(0)
    assert not is_arg_set(NOTSET)


# -- Param -------------------------------------------------------------------------------------


def test_param_keywords_form_the_schema() -> None:
    p = Param(5, type="integer", minimum=3, description="an int")
    assert p.value == 5
    assert p.description == "an int"
    assert p.schema == {"type": "integer", "minimum": 3}


def test_param_schema_keyword_replaces_keywords() -> None:
    assert Param(1, schema={"type": "integer"}).schema == {"type": "integer"}


def test_param_resolve_returns_valid_value() -> None:
    assert Param(5, type="integer", minimum=3).resolve() == 5
    assert Param(5, type="integer", minimum=3).resolve(7) == 7


def test_param_below_minimum_fails() -> None:
    with pytest.raises(ParamValidationError, match="bigger than or equal to 3"):
        Param(5, type="integer", minimum=3).resolve(2)


def test_param_without_default_and_value_fails() -> None:
    with pytest.raises(ParamValidationError, match="No value passed and Param has no default value"):
        Param(type="string").resolve()


def test_param_suppressed_failure_returns_none_and_keeps_value() -> None:
    p = Param(5, type="integer")
    assert p.resolve("x", suppress_exception=True) is None
    assert p.value == 5


def test_param_type_integer_accepts_integral_float_and_rejects_bool() -> None:
    Param(type="integer").resolve(5.0)
    with pytest.raises(ParamValidationError):
        Param(type="integer").resolve(True)


@pytest.mark.parametrize(
    ("schema", "good", "bad"),
    [
        ({"enum": ["a", "b", 42]}, 42, "c"),
        ({"type": ["null", "string"]}, None, 5),
        ({"type": ["null", "string"]}, "s", [1]),
        ({"const": 3}, 3, 4),
        ({"type": "string", "format": "date"}, "2024-02-29", "2023-02-29"),
        ({"type": "string", "format": "date"}, "2024-01-01", "2024-1-1"),
        ({"type": "string", "format": "date-time"}, "2024-01-01T10:00:00+01:00", "2024-01-01 10:00"),
        ({"type": "string", "format": "date-time"}, "2024-01-01t10:00:00z", "2024-01-01T10:00:00"),
        ({"type": "string", "format": "time"}, "10:00:00Z", "25:00:00Z"),
        ({"type": "string", "minLength": 2, "maxLength": 4}, "abc", "abcde"),
        ({"type": "array", "items": {"type": "integer"}}, [1, 2], [1, "x"]),
        ({"type": "object", "required": ["k"]}, {"k": 1}, {"j": 1}),
        ({"type": "number", "multipleOf": 7}, 14, 15),
        ({"type": "string", "format": "ipv4"}, "10.0.0.1", "10.0.0.300"),
        ({"type": "string", "format": "ipv6"}, "::1", "10.0.0.1"),
        ({"type": "string", "format": "uuid"}, "12345678-1234-1234-1234-123456789abc", "1234" * 8),
        ({"type": "string", "format": "regex"}, "a+", "("),
        ({"type": "string", "format": "email"}, "a@b", "ab"),
    ],
)
def test_json_schema_keywords_accept_and_reject(schema: dict[str, Any], good: Any, bad: Any) -> None:
    p = Param(schema=schema)
    assert p.resolve(good) == good
    with pytest.raises(ParamValidationError):
        p.resolve(bad)


def test_formats_airflow_does_not_enforce_are_accepted() -> None:
    assert Param(type="string", format="hostname").resolve("not a host!") == "not a host!"
    assert Param(type="string", format="made-up").resolve("x") == "x"


def test_invalid_schema_is_reported_as_param_error() -> None:
    with pytest.raises(ParamValidationError, match="invalid schema"):
        Param(1, type="integr").resolve()


def test_non_json_default_warns_but_is_kept() -> None:
    value = {1, 2}
    with pytest.warns(UserWarning, match="JSON-serializable"):
        p = Param(value)
    assert p.resolve() == value


def test_param_dump_and_serialize_roundtrip() -> None:
    p = Param(3, description="d", type="integer")
    assert p.dump()["value"] == 3
    assert Param(type="string").dump()["value"] is None
    again = Param.deserialize(p.serialize())
    assert (again.value, again.description, again.schema) == (3, "d", {"type": "integer"})


# -- ParamsDict --------------------------------------------------------------------------------


def test_plain_values_are_wrapped_in_schemaless_params() -> None:
    params = ParamsDict({"plain": "raw", "num": 1.5, "p": Param(5)})
    assert isinstance(params.get_param("plain"), Param)
    assert params.get_param("plain").schema == {}
    assert params["plain"] == "raw"
    assert params["num"] == 1.5


def test_getitem_returns_the_value_and_items_yield_params() -> None:
    params = ParamsDict({"x": Param(5, type="integer")})
    assert params["x"] == 5
    assert all(isinstance(v, Param) for v in params.values())
    assert [k for k, _ in params.items()] == ["x"]


def test_setting_existing_key_validates_against_its_schema() -> None:
    params = ParamsDict({"x": Param(5, type="integer", minimum=3)})
    params["x"] = 4
    assert params["x"] == 4
    assert params.get_param("x").schema == {"type": "integer", "minimum": 3}
    with pytest.raises(ParamValidationError, match="Invalid input for param x"):
        params["x"] = 1


def test_update_with_paramsdict_copies_param_objects() -> None:
    a = ParamsDict({"x": 1})
    b = ParamsDict({"x": Param(2, type="integer"), "y": 3})
    a.update(b)
    assert a.get_param("x") is b.get_param("x")
    assert dict(a.validate()) == {"x": 2, "y": 3}


def test_validate_names_the_failing_param() -> None:
    params = ParamsDict({"ok": 1, "bad": Param("banana", type="integer")})
    with pytest.raises(ParamValidationError, match="Invalid input for param bad"):
        params.validate()


def test_dump_never_raises() -> None:
    params = ParamsDict({"bad": Param("banana", type="integer"), "req": Param(type="string")})
    assert params.dump() == {"bad": None, "req": None}


def test_validate_defaults_rejects_invalid_default() -> None:
    with pytest.raises(ParamValidationError, match="Invalid default for param x"):
        ParamsDict({"x": Param("banana", type="integer")}).validate_defaults()


def test_validate_defaults_allows_required_param_without_default() -> None:
    ParamsDict({"req": Param(type="string", minLength=2)}).validate_defaults()


def test_paramsdict_equality_copy_and_pickle() -> None:
    params = ParamsDict({"x": Param(5, type="integer"), "y": "s"})
    assert params == {"x": 5, "y": "s"}
    deep = copy.deepcopy(params)
    assert deep == params
    assert deep.get_param("x") is not params.get_param("x")
    assert pickle.loads(pickle.dumps(params)) == params


def test_paramsdict_repr_shows_values() -> None:
    assert repr(ParamsDict({"a": Param(1)})) == "{'a': 1}"


# -- merge_params ------------------------------------------------------------------------------

DAG_PARAMS = {
    "int_p": Param(5, type="integer", minimum=0),
    "str_enum": Param("a", type="string", enum=["a", "b", "c"]),
    "nullable": Param(None, type=["null", "string"]),
    "plain": "raw value",
}


def test_merge_order_is_dag_then_task_then_conf() -> None:
    merged = merge_params(
        {"a": "dag-a", "b": "dag-b", "c": "dag-c"},
        {"b": "task-b", "c": "task-c"},
        {"c": "conf-c"},
    )
    assert merged.validate() == {"a": "dag-a", "b": "task-b", "c": "conf-c"}


def test_merge_conf_overrides_keep_schemas_and_add_undeclared_keys() -> None:
    merged = merge_params(DAG_PARAMS, None, {"int_p": 7, "str_enum": "b", "undeclared": "from-conf"})
    assert merged.validate() == {
        "int_p": 7,
        "str_enum": "b",
        "nullable": None,
        "plain": "raw value",
        "undeclared": "from-conf",
    }


def test_merge_does_not_change_the_dag_params() -> None:
    dag_params = ParamsDict(DAG_PARAMS)
    merge_params(dag_params, None, {"int_p": 9})
    assert dag_params["int_p"] == 5


def test_merge_rejects_conf_value_breaking_schema() -> None:
    with pytest.raises(ParamValidationError, match="Invalid input for param str_enum"):
        merge_params(DAG_PARAMS, None, {"str_enum": "z"})


def test_merge_without_value_for_required_param_fails() -> None:
    with pytest.raises(ParamValidationError, match="param req: No value passed"):
        merge_params({"req": Param(type="string")}, None, {})


def test_merge_required_param_supplied_by_conf_passes() -> None:
    assert merge_params({"req": Param(type="string")}, None, {"req": "v"})["req"] == "v"


def test_merge_ignores_conf_when_overrides_are_off() -> None:
    merged = merge_params(DAG_PARAMS, None, {"int_p": 7, "extra": 1}, conf_overrides=False)
    assert merged["int_p"] == 5
    assert "extra" not in merged


def test_task_param_with_schema_overrides_dag_plain_value() -> None:
    merged = merge_params({"t": "x"}, {"t": Param(3, type="integer")}, None)
    assert merged["t"] == 3
    assert merged.get_param("t").schema == {"type": "integer"}


# -- DagParam ----------------------------------------------------------------------------------


class FakeDag:
    def __init__(self) -> None:
        self.dag_id = "d"
        self.params = ParamsDict()


def context(conf: dict[str, Any] | None, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"dag_run": SimpleNamespace(conf=conf), "params": params or {}}


def test_dag_param_with_default_declares_the_dag_param() -> None:
    dag = FakeDag()
    DagParam(dag, "subject", "Hi")
    assert dag.params["subject"] == "Hi"


def test_dag_param_resolves_conf_then_default_then_params() -> None:
    ref = DagParam(FakeDag(), "x", "default")
    assert ref.resolve(context({"x": "conf"})) == "conf"
    assert ref.resolve(context({})) == "default"
    no_default = DagParam(FakeDag(), "y")
    assert no_default.resolve(context({"other": 1}, {"y": "param"})) == "param"


def test_dag_param_without_any_value_raises() -> None:
    with pytest.raises(AirflowException, match="No value could be resolved for parameter z"):
        DagParam(FakeDag(), "z").resolve(context(None))
