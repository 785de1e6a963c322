"""Secrets backends and the lookup chain: configured backend -> environment -> metastore."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from riir_airflow.sdk import secrets
from riir_airflow.sdk.connection import Connection
from riir_airflow.sdk.exceptions import AirflowException, AirflowNotFoundException
from riir_airflow.sdk.secrets import (
    BaseSecretsBackend,
    EnvironmentVariablesBackend,
    LocalFilesystemBackend,
    added_backends,
    get_connection,
    get_variable,
    secrets_backends,
    set_metastore_backend,
)
from riir_airflow.sdk.variable import Variable


class DictBackend(BaseSecretsBackend):
    """A `[secrets] backend` for tests: values come from `backend_kwargs`."""

    def __init__(self, variables: dict[str, str] | None = None, connections: dict[str, str] | None = None):
        super().__init__()
        self.variables = variables or {}
        self.connections = connections or {}

    def get_variable(self, key: str) -> str | None:
        return self.variables.get(key)

    def get_conn_value(self, conn_id: str) -> str | None:
        return self.connections.get(conn_id)


class BrokenBackend(BaseSecretsBackend):
    def get_variable(self, key: str) -> str | None:
        raise RuntimeError("vault down")

    def get_conn_value(self, conn_id: str) -> str | None:
        raise RuntimeError("vault down")


class Store:
    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.connections: dict[str, Connection] = {}

    def get_variable(self, key: str) -> str | None:
        return self.variables.get(key)

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.variables[key] = value

    def delete_variable(self, key: str) -> int:
        return int(self.variables.pop(key, None) is not None)

    def get_connection(self, conn_id: str) -> Connection | None:
        return self.connections.get(conn_id)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    for name in ("AIRFLOW_CONFIG", "AIRFLOW__SECRETS__BACKEND", "AIRFLOW__SECRETS__BACKEND_KWARGS"):
        monkeypatch.delenv(name, raising=False)
    yield
    set_metastore_backend(None)


def configure_backend(monkeypatch: pytest.MonkeyPatch, cls: type, **kwargs: object) -> None:
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", f"{__name__}.{cls.__name__}")
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND_KWARGS", json.dumps(kwargs))


# -- the chain ---------------------------------------------------------------------------------


def test_chain_without_configuration_is_env_only() -> None:
    chain = secrets_backends()
    assert len(chain) == 1
    assert isinstance(chain[0], EnvironmentVariablesBackend)


def test_chain_order_is_configured_env_metastore(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_backend(monkeypatch, DictBackend)
    store = Store()
    set_metastore_backend(store)
    chain = secrets_backends()
    assert [type(b).__name__ for b in chain] == ["DictBackend", "EnvironmentVariablesBackend", "Store"]


def test_configured_backend_gets_its_kwargs_and_wins_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_backend(monkeypatch, DictBackend, variables={"k": "vault"}, connections={"c": "http://vault"})
    monkeypatch.setenv("AIRFLOW_VAR_K", "env")
    monkeypatch.setenv("AIRFLOW_CONN_C", "http://env")
    assert get_variable("k") == "vault"
    assert get_connection("c").host == "vault"


def test_env_wins_over_metastore(monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store()
    store.variables["k"] = "store"
    store.connections["c"] = Connection(conn_id="c", host="store")
    set_metastore_backend(store)
    assert get_variable("k") == "store"
    assert get_connection("c").host == "store"
    monkeypatch.setenv("AIRFLOW_VAR_K", "env")
    assert get_variable("k") == "env"


def test_failing_custom_backend_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    configure_backend(monkeypatch, BrokenBackend)
    monkeypatch.setenv("AIRFLOW_VAR_K", "env")
    monkeypatch.setenv("AIRFLOW_CONN_C", "http://env")
    assert get_variable("k") == "env"
    assert get_connection("c").host == "env"


def test_unimportable_configured_backend_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__SECRETS__BACKEND", "no.such.Backend")
    with pytest.raises(AirflowException, match="Cannot build the \\[secrets\\] backend"):
        get_variable("k")


def test_missing_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    set_metastore_backend(Store())
    assert get_variable("nope") is None
    with pytest.raises(AirflowNotFoundException, match="`nope`"):
        get_connection("nope")


def test_added_backends_come_first_only_inside_the_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_K", "env")
    with added_backends(DictBackend(variables={"k": "added"})):
        assert get_variable("k") == "added"
    assert get_variable("k") == "env"


# -- backends ----------------------------------------------------------------------------------


def test_env_backend_upper_cases_ids() -> None:
    env = EnvironmentVariablesBackend(
        environ={"AIRFLOW_VAR_MY_KEY": "v", "AIRFLOW_CONN_MY_PG": "postgres://h"}
    )
    assert env.get_variable("my_key") == "v"
    assert env.get_connection("my_pg").host == "h"
    assert env.get_connection("other") is None


def test_deserialize_connection_reads_json_or_uri() -> None:
    backend = BaseSecretsBackend()
    assert backend.deserialize_connection("a", ' {"conn_type": "http", "host": "h"}').host == "h"
    assert backend.deserialize_connection("a", "http://h2").host == "h2"


def test_base_backend_config_is_none_and_path_joins() -> None:
    assert BaseSecretsBackend().get_config("x") is None
    assert BaseSecretsBackend.build_path("airflow/connections", "pg") == "airflow/connections/pg"


def test_local_json_files(tmp_path: Path) -> None:
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"plain": "v", "obj": {"a": 1}, "num": 3}))
    connections = tmp_path / "conns.json"
    connections.write_text(
        json.dumps(
            {
                "uri_conn": "postgresql://u:p@h:5432/db",
                "json_str": '{"conn_type": "http", "host": "js"}',
                "fields": {"conn_type": "http", "host": "f", "port": "8080", "extra": {"k": [1]}},
            }
        )
    )
    backend = LocalFilesystemBackend(variables, connections)
    assert backend.get_variable("plain") == "v"
    assert json.loads(backend.get_variable("obj")) == {"a": 1}
    assert backend.get_variable("num") == "3"
    assert backend.get_variable("absent") is None
    assert backend.get_connection("uri_conn").conn_type == "postgres"
    assert backend.get_connection("json_str").host == "js"
    fields = backend.get_connection("fields")
    assert (fields.host, fields.port, fields.extra_dejson) == ("f", 8080, {"k": [1]})
    assert backend.get_connection("URI_CONN") is None


def test_local_env_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("# comment\n\nKEY_A=value with = sign\nCONN=mysql://h/db\nDUP=1\nDUP=2\n")
    backend = LocalFilesystemBackend(variables_file_path=path, connections_file_path=path)
    assert backend.get_variable("KEY_A") == "value with = sign"
    assert backend.get_connection("CONN").host == "h"
    with pytest.raises(AirflowException, match="multiple values"):
        backend.get_variable("DUP")


def test_local_env_file_bad_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.env"
    path.write_text("OK=1\nno equal sign\n")
    with pytest.raises(AirflowException, match=r"bad.env:2"):
        LocalFilesystemBackend(variables_file_path=path).get_variable("OK")


def test_local_yaml_file(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "vars.yaml"
    path.write_text("a: text\nb:\n  nested: [1, 2]\n")
    backend = LocalFilesystemBackend(variables_file_path=path)
    assert backend.get_variable("a") == "text"
    assert json.loads(backend.get_variable("b")) == {"nested": [1, 2]}


def test_local_yaml_without_pyyaml_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    path = tmp_path / "vars.yml"
    path.write_text("a: 1\n")
    with pytest.raises(AirflowException, match="needs PyYAML"):
        LocalFilesystemBackend(variables_file_path=path).get_variable("a")


def test_local_file_missing_or_unsupported(tmp_path: Path) -> None:
    with pytest.raises(AirflowException, match="was not found"):
        LocalFilesystemBackend(variables_file_path=tmp_path / "none.json").get_variable("a")
    odd = tmp_path / "vars.txt"
    odd.write_text("a=1")
    with pytest.raises(AirflowException, match="unsupported file format"):
        LocalFilesystemBackend(variables_file_path=odd).get_variable("a")


def test_local_file_is_reread_after_change(tmp_path: Path) -> None:
    import os

    path = tmp_path / "vars.json"
    path.write_text('{"a": "1"}')
    backend = LocalFilesystemBackend(variables_file_path=path)
    assert backend.get_variable("a") == "1"
    path.write_text('{"a": "2"}')
    os.utime(path, (1, 1))
    assert backend.get_variable("a") == "2"


def test_local_connection_with_unknown_field_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "conns.json"
    path.write_text('{"c": {"conn_type": "http", "hostname": "x"}}')
    with pytest.raises(AirflowException, match="unknown fields: hostname"):
        LocalFilesystemBackend(connections_file_path=path).get_connection("c")


def test_variable_and_connection_read_through_added_file_backend(tmp_path: Path) -> None:
    path = tmp_path / "vars.json"
    path.write_text('{"from_file": "yes"}')
    with added_backends(LocalFilesystemBackend(variables_file_path=path)):
        assert Variable.get("from_file") == "yes"
    assert Variable.get("from_file", None) is None


def test_shim_paths_export_the_same_classes() -> None:
    from riir_airflow.hooks.base import BaseHook
    from riir_airflow.models.connection import Connection as ModelsConnection
    from riir_airflow.models.variable import Variable as ModelsVariable
    from riir_airflow.sdk.hooks import BaseHook as SdkBaseHook
    from riir_airflow.secrets import BaseSecretsBackend as PublicBase
    from riir_airflow.secrets.environment_variables import EnvironmentVariablesBackend as PublicEnv
    from riir_airflow.secrets.local_filesystem import LocalFilesystemBackend as PublicLocal

    assert BaseHook is SdkBaseHook
    assert ModelsConnection is Connection
    assert ModelsVariable is Variable
    assert (PublicBase, PublicEnv, PublicLocal) == (
        BaseSecretsBackend,
        EnvironmentVariablesBackend,
        LocalFilesystemBackend,
    )
    assert secrets.get_metastore_backend() is None
