"""Variable: both get() spellings, defaults, errors, writes through the installed metastore."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from riir_airflow.sdk import secrets
from riir_airflow.sdk.context_accessors import ConnectionAccessor, VariableAccessor, make_var_accessors
from riir_airflow.sdk.exceptions import AirflowRuntimeError
from riir_airflow.sdk.variable import Variable, VariableNotFound


class MemoryMetastore:
    """The metastore protocol over dicts."""

    def __init__(self) -> None:
        self.variables: dict[str, tuple[str, str | None]] = {}
        self.connections: dict[str, object] = {}

    def get_variable(self, key: str) -> str | None:
        return self.variables[key][0] if key in self.variables else None

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        old_description = self.variables.get(key, ("", None))[1]
        self.variables[key] = (value, description if description is not None else old_description)

    def delete_variable(self, key: str) -> int:
        return 1 if self.variables.pop(key, None) is not None else 0

    def get_connection(self, conn_id: str) -> object | None:
        return self.connections.get(conn_id)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.delenv("AIRFLOW__SECRETS__BACKEND", raising=False)
    yield
    secrets.set_metastore_backend(None)


@pytest.fixture
def store() -> MemoryMetastore:
    store = MemoryMetastore()
    secrets.set_metastore_backend(store)
    return store


# -- reading -----------------------------------------------------------------------------------


def test_env_variable_is_read_raw_and_case_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_FOO", "  padded  ")
    assert Variable.get("foo") == "  padded  "
    assert Variable.get("FOO") == "  padded  "


def test_deserialize_json_parses_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_CFG", '{"sub": {"x": 1}}')
    assert Variable.get("cfg") == '{"sub": {"x": 1}}'
    assert Variable.get("cfg", deserialize_json=True) == {"sub": {"x": 1}}


def test_missing_variable_without_default_is_keyerror_and_runtime_error() -> None:
    with pytest.raises(KeyError) as caught:
        Variable.get("no_such_var")
    assert isinstance(caught.value, AirflowRuntimeError)
    assert isinstance(caught.value, VariableNotFound)
    assert str(caught.value) == "Variable no_such_var does not exist"


def test_default_is_returned_as_given_even_none() -> None:
    assert Variable.get("no_such_var", None) is None
    assert Variable.get("no_such_var", default={"d": 1}, deserialize_json=True) == {"d": 1}


def test_2x_default_var_keyword_is_accepted() -> None:
    assert Variable.get("no_such_var", default_var="fb") == "fb"


def test_both_default_spellings_is_type_error() -> None:
    with pytest.raises(TypeError):
        Variable.get("k", default=1, default_var=2)


def test_env_beats_metastore(monkeypatch: pytest.MonkeyPatch, store: MemoryMetastore) -> None:
    store.set_variable("k", "from-store")
    assert Variable.get("k") == "from-store"
    monkeypatch.setenv("AIRFLOW_VAR_K", "from-env")
    assert Variable.get("k") == "from-env"


# -- writing -----------------------------------------------------------------------------------


def test_set_stores_str_or_json_in_metastore(store: MemoryMetastore) -> None:
    Variable.set("n", 5)
    Variable.set("j", {"a": [1]}, description="d", serialize_json=True)
    assert store.variables["n"] == ("5", None)
    assert json.loads(store.variables["j"][0]) == {"a": [1]}
    assert store.variables["j"][1] == "d"
    assert Variable.get("j", deserialize_json=True) == {"a": [1]}


def test_set_accepts_2x_session_keyword(store: MemoryMetastore) -> None:
    Variable.set("k", "v", session=object())
    assert Variable.get("k") == "v"


def test_set_without_metastore_raises_runtime_error() -> None:
    with pytest.raises(AirflowRuntimeError, match="needs the metastore"):
        Variable.set("k", "v")


def test_set_warns_when_env_shadows_the_key(
    store: MemoryMetastore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_SHADOW", "env")
    Variable.set("shadow", "store")
    assert "read before the metastore" in caplog.text


def test_delete_reports_rows_removed(store: MemoryMetastore) -> None:
    Variable.set("k", "v")
    assert Variable.delete("k") == 1
    assert Variable.delete("k") == 0
    assert Variable.get("k", None) is None


def test_setdefault_stores_only_when_missing(store: MemoryMetastore) -> None:
    assert Variable.setdefault("k", "first") == "first"
    assert Variable.setdefault("k", "second") == "first"
    assert Variable.setdefault("j", {"a": 1}, deserialize_json=True) == {"a": 1}
    assert Variable.get("j", deserialize_json=True) == {"a": 1}


def test_setdefault_with_none_default_raises(store: MemoryMetastore) -> None:
    with pytest.raises(ValueError, match="Default Value must be set"):
        Variable.setdefault("k", None)


def test_update_changes_existing_and_rejects_missing(store: MemoryMetastore) -> None:
    Variable.set("k", "v", description="keep me")
    Variable.update("k", "v2")
    assert store.variables["k"] == ("v2", "keep me")
    with pytest.raises(KeyError):
        Variable.update("missing", "x")


# -- template accessors ------------------------------------------------------------------------


def test_var_accessors_read_raw_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_FOO", "bar")
    monkeypatch.setenv("AIRFLOW_VAR_CFG", '{"sub": {"x": 1}, "list": [1, 2, 3]}')
    var = make_var_accessors()
    assert var["value"].foo == "bar"
    assert var["value"].FOO == "bar"
    assert var["json"].cfg["sub"]["x"] == 1
    assert var["value"].get("no_such_var", "fallback") == "fallback"
    assert var["json"].get("no_such_var", {"d": 1}) == {"d": 1}
    assert var["value"].get("foo", "fallback") == "bar"


def test_var_accessor_missing_without_default_raises() -> None:
    with pytest.raises(KeyError):
        _ = VariableAccessor(deserialize_json=False).nope
    with pytest.raises(KeyError):
        VariableAccessor(deserialize_json=False).get("nope")


def test_accessors_do_not_look_up_dunder_names() -> None:
    assert not hasattr(VariableAccessor(deserialize_json=False), "__html__")
    assert not hasattr(ConnectionAccessor(), "__html__")


def test_accessors_in_jinja_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    monkeypatch.setenv("AIRFLOW_VAR_CFG", '{"sub": {"name": "deep"}, "list": [1, 2, 3]}')
    monkeypatch.setenv("AIRFLOW_CONN_MY_PG", "postgresql://u:p@db:5432/x?sslmode=require")
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    ctx = {"var": make_var_accessors(), "conn": ConnectionAccessor()}
    rendered = env.from_string(
        "{{ var.json.cfg.sub.name }} {{ var.json.cfg.list | sum }} {{ var.value.get('x', 'fb') }} "
        "{{ conn.my_pg.host }} {{ conn.my_pg.conn_type }} {{ conn.my_pg.extra_dejson.sslmode }} "
        "{{ conn.get('none_such') }}"
    ).render(ctx)
    assert rendered == "deep 6 fb db postgres require None"
