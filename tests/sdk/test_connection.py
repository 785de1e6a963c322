"""Connection: URI parsing and printing per spec 9.2, JSON form, lookup and hooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riir_airflow.sdk.connection import Connection
from riir_airflow.sdk.exceptions import AirflowException, AirflowNotFoundException
from riir_airflow.sdk.hooks import BaseHook


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.delenv("AIRFLOW__SECRETS__BACKEND", raising=False)


# -- URI parsing -------------------------------------------------------------------------------

PG_URI = "postgresql://us%2Fer:p%40ss%3Aw@db.example.com:5432/mydb?sslmode=require&application_name=golden"


def test_uri_fields_are_percent_decoded() -> None:
    c = Connection(conn_id="my_pg", uri=PG_URI)
    assert (c.host, c.login, c.password, c.port, c.schema) == (
        "db.example.com",
        "us/er",
        "p@ss:w",
        5432,
        "mydb",
    )


def test_postgresql_scheme_becomes_postgres() -> None:
    assert Connection(uri=PG_URI).conn_type == "postgres"


def test_dash_in_scheme_becomes_underscore() -> None:
    assert Connection(uri="google-cloud-platform://").conn_type == "google_cloud_platform"


def test_plain_query_pairs_become_string_extras() -> None:
    c = Connection(uri="mysql://h/db?port_like=5&flag=true&empty=")
    assert c.extra_dejson == {"port_like": "5", "flag": "true", "empty": ""}


def test_extra_json_in_query_keeps_nesting_and_types() -> None:
    c = Connection(uri="my-type://hostonly?__extra__=%7B%22a%22%3A+1%2C+%22b%22%3A+%5B%22x%22%5D%7D")
    assert c.conn_type == "my_type"
    assert c.host == "hostonly"
    assert c.extra_dejson == {"a": 1, "b": ["x"]}
    assert c.login is None
    assert c.port is None


def test_https_uri_path_is_the_schema() -> None:
    c = Connection(uri="https://example.com/path")
    assert (c.conn_type, c.host, c.schema) == ("https", "example.com", "path")


def test_uri_without_path_has_empty_schema() -> None:
    assert Connection(uri="http://example.com").schema == ""


def test_host_with_its_own_protocol_is_kept() -> None:
    c = Connection(uri="http://https%3A%2F%2Fexample.com:443/api")
    assert c.host == "https://example.com"
    c2 = Connection(uri="http://https://example.com:443/api")
    assert (c2.host, c2.port, c2.schema) == ("https://example.com", 443, "api")


def test_three_schemes_is_invalid() -> None:
    with pytest.raises(AirflowException, match="Invalid connection string"):
        Connection(uri="a://b://c://d")


def test_uri_and_fields_cannot_be_mixed() -> None:
    with pytest.raises(AirflowException, match="can't mix"):
        Connection(uri="http://h", host="other")


# -- URI printing ------------------------------------------------------------------------------


def test_get_uri_reencodes_userinfo_and_query() -> None:
    c = Connection(
        conn_type="postgres",
        login="user",
        password="p@ss",
        host="db.example.com",
        port=5432,
        schema="mydb",
        extra={"sslmode": "require", "options": "-c x"},
    )
    assert c.get_uri() == "postgres://user:p%40ss@db.example.com:5432/mydb?sslmode=require&options=-c+x"


def test_get_uri_embeds_non_string_extra_as_json() -> None:
    c = Connection(conn_type="http", host="h", extra={"timeout": 5, "nested": {"a": [1]}})
    uri = c.get_uri()
    assert uri.startswith("http://h/?__extra__=")
    assert Connection(uri=uri).extra_dejson == {"timeout": 5, "nested": {"a": [1]}}


def test_get_uri_writes_underscore_type_with_dash() -> None:
    assert Connection(conn_type="google_cloud_platform").get_uri() == "google-cloud-platform://"


def test_get_uri_port_without_host() -> None:
    assert Connection(conn_type="x", port=80).get_uri() == "x://@:80"


@pytest.mark.parametrize(
    "uri",
    [
        PG_URI.replace("postgresql", "postgres"),
        "http://https://example.com:443/api",
        "my-type://hostonly/?__extra__=%7B%22a%22%3A+1%7D",
        "mysql://u:p@h:3306/db?a=b",
    ],
)
def test_uri_round_trip_keeps_fields(uri: str) -> None:
    first = Connection(conn_id="c", uri=uri)
    again = Connection(conn_id="c", uri=first.get_uri())
    assert again == first


# -- JSON form and dicts -----------------------------------------------------------------------

JSON_CONN = json.dumps(
    {
        "conn_type": "http",
        "host": "api.example.com",
        "login": "bob",
        "password": "pw",
        "port": 8443,
        "schema": "v1",
        "extra": {"timeout": 5, "nested": {"a": [1, 2]}},
    }
)


def test_from_json_accepts_dict_extra_and_int_port() -> None:
    c = Connection.from_json(JSON_CONN, conn_id="my_json")
    assert (c.conn_id, c.conn_type, c.host, c.port, c.schema) == (
        "my_json",
        "http",
        "api.example.com",
        8443,
        "v1",
    )
    assert c.extra_dejson == {"timeout": 5, "nested": {"a": [1, 2]}}


def test_from_json_normalizes_type_and_string_port() -> None:
    c = Connection.from_json('{"conn_type": "postgresql", "port": "5432", "extra": "{\\"a\\": 1}"}')
    assert (c.conn_type, c.port, c.extra_dejson) == ("postgres", 5432, {"a": 1})


def test_from_json_rejects_non_integer_port() -> None:
    with pytest.raises(ValueError, match="Expected integer value for `port`"):
        Connection.from_json('{"conn_type": "x", "port": "abc"}')


def test_as_json_round_trips_and_drops_empty_fields() -> None:
    c = Connection.from_json(JSON_CONN, conn_id="my_json")
    data = json.loads(c.as_json())
    assert "conn_id" not in data
    assert "description" not in data
    assert Connection.from_json(c.as_json(), conn_id="my_json") == c


def test_to_dict_parses_extra() -> None:
    d = Connection(conn_id="a", conn_type="http", extra='{"k": 1}').to_dict()
    assert d["extra"] == {"k": 1}
    assert d["host"] is None


def test_extra_dejson_is_empty_for_missing_or_invalid_extra() -> None:
    assert Connection(conn_type="x").extra_dejson == {}
    assert Connection(conn_type="x", extra="not json").extra_dejson == {}


def test_repr_hides_the_password() -> None:
    assert "secret" not in repr(Connection(conn_id="a", password="secret"))


# -- lookup ------------------------------------------------------------------------------------


def test_get_reads_env_uri_case_insensitively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MY_PG", PG_URI)
    assert Connection.get("my_pg").host == "db.example.com"
    assert Connection.get("MY_PG").conn_id == "MY_PG"
    assert Connection.get_connection_from_secrets("my_pg").login == "us/er"


def test_get_reads_env_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MY_JSON", JSON_CONN)
    assert Connection.get("my_json").extra_dejson["nested"] == {"a": [1, 2]}


def test_missing_connection_names_the_id() -> None:
    with pytest.raises(AirflowNotFoundException, match="The conn_id `nope` isn't defined"):
        Connection.get("nope")


def test_basehook_get_connection_uses_the_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_H", "http://example.com")
    assert BaseHook.get_connection("h").host == "example.com"
    with pytest.raises(AirflowNotFoundException):
        BaseHook.get_connection("missing")


# -- hooks -------------------------------------------------------------------------------------


class RiirTestHook(BaseHook):
    conn_name_attr = "riir_test_conn_id"
    default_conn_name = "riir_test_default"
    conn_type = "riir_test"

    def __init__(self, riir_test_conn_id: str = default_conn_name, flavour: str = "plain") -> None:
        super().__init__()
        self.riir_test_conn_id = riir_test_conn_id
        self.flavour = flavour

    def test_connection(self) -> tuple[bool, str]:
        return True, "ok"


def test_get_hook_builds_the_registered_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_T1", "riir-test://h")
    hook = BaseHook.get_hook("t1", hook_params={"flavour": "x"})
    assert isinstance(hook, RiirTestHook)
    assert (hook.riir_test_conn_id, hook.flavour) == ("t1", "x")
    assert Connection.get("t1").test_connection() == (True, "ok")


def test_get_hook_for_unknown_type_raises() -> None:
    with pytest.raises(AirflowException, match='Unknown hook type "nothing_here"'):
        Connection(conn_id="x", conn_type="nothing_here").get_hook()


def test_hook_log_works_without_super_init() -> None:
    class Bare(BaseHook):
        def __init__(self) -> None:
            pass

    assert Bare().log.name.endswith(".Bare")
