"""Variables, connections, pools (CRUD, lists, bulk), config, plugins, providers and DAG
warnings through the official client, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from riir_airflow.metastore.pools import PoolRecord
from riir_airflow.store.records import ConnectionRecord, VariableRecord

from .conftest import register_dag


def _status(call, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiException) as err:
        call(*args, **kwargs)
    return err.value.status


def _send(client: af.ApiClient, method: str, path: str, body: object) -> int:
    """The status of a raw request (bodies the client's own models would refuse)."""
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {client.configuration.access_token}",
    }
    return client.call_api(
        method, f"{client.configuration.host}/api/v2{path}", headers, json.dumps(body)
    ).status


def _events(api, event: str) -> list:  # type: ignore[no-untyped-def]
    return af.EventLogApi(api()).get_event_logs(event=event).event_logs


# -- variables ------------------------------------------------------------------------------
def test_variable_crud_masks_sensitive_values_and_apps_read_what_the_api_wrote(broker, api):
    variables = af.VariableApi(api("user"))
    created = variables.post_variable(af.VariableBody(key="color", value="blue", description="d"))
    assert (created.key, created.value, created.description) == ("color", "blue", "d")
    assert broker.store.get_variable("color").value == "blue"
    variables.post_variable(af.VariableBody(key="cfg", value={"a": [1, 2], "password": "p"}))
    assert json.loads(broker.store.get_variable("cfg").value) == {"a": [1, 2], "password": "p"}
    assert json.loads(variables.get_variable("cfg").value) == {"a": [1, 2], "password": "***"}
    variables.post_variable(af.VariableBody(key="db_password", value="hunter2"))
    assert variables.get_variable("db_password").value == "***"
    assert _status(variables.post_variable, af.VariableBody(key="color", value="x")) == 409
    patched = variables.patch_variable(
        "color", af.VariableBody(key="color", value="green"), update_mask=["value"]
    )
    assert (patched.value, patched.description) == ("green", "d")
    assert _status(variables.patch_variable, "color", af.VariableBody(key="other", value="x")) == 400
    assert _status(variables.patch_variable, "nope", af.VariableBody(key="nope", value="x")) == 404
    listed = variables.get_variables(variable_key_pattern="o", order_by=["-key"])
    assert [v.key for v in listed.variables] == ["db_password", "color"] and listed.total_entries == 2
    assert variables.get_variables(limit=1, offset=1).total_entries == 3
    assert [v.key for v in variables.get_variables(variable_key_prefix_pattern="c").variables] == [
        "cfg",
        "color",
    ]
    variables.delete_variable("color")
    assert broker.store.get_variable("color") is None
    assert _status(variables.get_variable, "color") == 404
    assert _status(variables.delete_variable, "color") == 404
    assert _status(af.VariableApi(api("viewer")).post_variable, af.VariableBody(key="v", value="1")) == 403
    assert [e.extra for e in _events(api, "post_variable")] and _events(api, "delete_variable")


def test_variable_keys_with_slashes_and_bad_bodies(broker, api):
    variables = af.VariableApi(api("user"))
    variables.post_variable(af.VariableBody(key="a/b", value="1"))
    assert variables.get_variable("a/b").value == "1"
    client = api("user")
    for body in ({"key": "k"}, {"key": "k", "value": "v", "bogus": 1}, {"key": 5, "value": "v"},
                 {"key": "k", "value": "v", "team_name": "t"}):  # fmt: skip
        assert _send(client, "POST", "/variables", body) == 422, body
    assert broker.store.get_variable("k") is None


def test_bulk_variables_runs_each_action_whole_and_reports_errors(broker, api):
    broker.store.set_variable(VariableRecord("keep", "1"))
    variables = af.VariableApi(api("user"))
    body = af.BulkBodyVariableBody.from_dict({"actions": [
        {"action": "create", "entities": [{"key": "a", "value": "1"}, {"key": "keep", "value": "2"}]},
        {"action": "create", "entities": [{"key": "b", "value": "1"}, {"key": "keep", "value": "2"}],
         "action_on_existence": "skip"},
        {"action": "update", "entities": [{"key": "keep", "value": "3", "description": "x"}],
         "update_mask": ["value"]},
        {"action": "delete", "entities": ["gone", "b"]},
    ]})  # fmt: skip
    answer = variables.bulk_variables(body)
    assert answer.create.success == ["b"]
    assert answer.create.errors == [{"error": "The variables with these keys: {'keep'} already exist.",
                                     "status_code": 409}]  # fmt: skip
    assert broker.store.get_variable("a") is None  # the failed action wrote nothing
    assert answer.update.success == ["keep"]
    kept = broker.store.get_variable("keep")
    assert (kept.value, kept.description) == ("3", None)
    assert answer.delete.errors[0]["status_code"] == 404 and broker.store.get_variable("b") is not None
    again = variables.bulk_variables(af.BulkBodyVariableBody.from_dict(
        {"actions": [{"action": "delete", "entities": ["gone", "b"], "action_on_non_existence": "skip"}]}))  # fmt: skip
    assert again.delete.success == ["b"] and again.create is None
    assert broker.store.get_variable("b") is None


# -- connections ----------------------------------------------------------------------------
def test_connection_crud_never_answers_secrets_and_keeps_them_on_masked_writes(broker, api):
    conns = af.ConnectionApi(api("admin"))
    body = af.ConnectionBody(connection_id="pg", conn_type="postgres", host="db", login="bob", password="s3cret",
                             port=5432, var_schema="sales", extra=json.dumps({"sslmode": "require", "api_key": "k"}))  # fmt: skip
    created = conns.post_connection(body)
    assert created.password == "***" and json.loads(created.extra) == {"sslmode": "require", "api_key": "***"}
    assert (created.host, created.port, created.var_schema) == ("db", 5432, "sales")
    stored = broker.store.get_connection("pg")
    assert stored.password == "s3cret" and json.loads(stored.extra)["api_key"] == "k"
    assert _status(conns.post_connection, body) == 409
    got = conns.get_connection("pg")
    round_trip = af.ConnectionBody(connection_id="pg", conn_type="postgres", host="db2", login=got.login,
                                   password=got.password, port=got.port, var_schema=got.var_schema, extra=got.extra)  # fmt: skip
    assert conns.patch_connection("pg", round_trip).host == "db2"
    stored = broker.store.get_connection("pg")
    assert stored.password == "s3cret" and json.loads(stored.extra)["api_key"] == "k"
    conns.patch_connection("pg", af.ConnectionBody(connection_id="pg", conn_type="x", login="eve"),
                           update_mask=["login"])  # fmt: skip
    stored = broker.store.get_connection("pg")
    assert (stored.login, stored.conn_type, stored.host) == ("eve", "postgres", "db2")
    assert _status(conns.patch_connection, "pg", af.ConnectionBody(connection_id="q", conn_type="x")) == 400
    assert _send(api("admin"), "POST", "/connections", {"connection_id": "bad id", "conn_type": "x"}) == 422
    assert (
        _send(api("admin"), "POST", "/connections", {"connection_id": "e", "conn_type": "x", "extra": "[1]"})
        == 422
    )
    assert broker.store.get_connection("e") is None
    conns.post_connection(af.ConnectionBody(connection_id="http_api", conn_type="http"))
    listed = conns.get_connections(connection_id_pattern="api")
    assert [c.connection_id for c in listed.connections] == ["http_api"] and listed.total_entries == 1
    assert conns.get_connections(order_by=["-connection_id"]).connections[0].connection_id == "pg"
    assert (
        _status(
            af.ConnectionApi(api("op")).post_connection, af.ConnectionBody(connection_id="z", conn_type="x")
        )
        == 403
    )
    assert af.ConnectionApi(api("op")).get_connection("pg").password == "***"
    assert _status(af.ConnectionApi(api("viewer")).get_connections) == 403
    conns.delete_connection("http_api")
    assert broker.store.get_connection("http_api") is None
    assert _status(conns.delete_connection, "http_api") == 404
    assert _status(conns.test_connection, af.ConnectionBody(connection_id="t", conn_type="http")) == 403
    assert _events(api, "post_connection") and _events(api, "patch_connection")


def test_bulk_connections(broker, api):
    broker.store.set_connection(ConnectionRecord("old", conn_type="http", password="pw"))
    conns = af.ConnectionApi(api("admin"))
    answer = conns.bulk_connections(af.BulkBodyConnectionBody.from_dict({"actions": [
        {"action": "create", "entities": [{"connection_id": "new", "conn_type": "http"},
                                          {"connection_id": "old", "conn_type": "ftp", "host": "h"}],
         "action_on_existence": "overwrite"},
        {"action": "delete", "entities": ["new"]},
    ]}))  # fmt: skip
    assert answer.create.success == ["new", "old"] and answer.delete.success == ["new"]
    old = broker.store.get_connection("old")
    assert (old.conn_type, old.host, old.password) == ("ftp", "h", "pw")
    assert broker.store.get_connection("new") is None


# -- pools ----------------------------------------------------------------------------------
def test_pool_crud_and_default_pool_rules(broker, api):
    pools = af.PoolApi(api("op"))
    created = pools.post_pool(af.PoolBody(name="etl", slots=4, description="for ETL"))
    assert (created.name, created.slots, created.open_slots, created.occupied_slots) == ("etl", 4, 4, 0)
    assert broker.registry.get_pool("etl") == PoolRecord("etl", 4, "for ETL", False)
    assert _status(pools.post_pool, af.PoolBody(name="etl", slots=1)) == 409
    assert _send(api("op"), "POST", "/pools", {"name": "neg", "slots": -2}) == 422
    patched = pools.patch_pool("etl", af.PoolPatchBody(slots=-1, include_deferred=True))
    assert (patched.slots, patched.open_slots, patched.include_deferred, patched.description) == (
        -1,
        -1,
        True,
        "for ETL",
    )
    assert _status(pools.patch_pool, "etl", af.PoolPatchBody(pool="other")) == 400
    assert _status(pools.patch_pool, "nope", af.PoolPatchBody(slots=1)) == 404
    assert _status(pools.patch_pool, "default_pool", af.PoolPatchBody(description="x")) == 400
    assert (
        _status(pools.patch_pool, "default_pool", af.PoolPatchBody(slots=5), update_mask=["description"])
        == 400
    )
    assert pools.patch_pool("default_pool", af.PoolPatchBody(slots=5), update_mask=["slots"]).slots == 5
    assert _status(pools.delete_pool, "default_pool") == 400
    listed = pools.get_pools(order_by=["-name"])
    assert [p.name for p in listed.pools] == ["etl", "default_pool"] and listed.total_entries == 2
    assert [p.name for p in pools.get_pools(pool_name_pattern="ET").pools] == ["etl"]
    assert pools.get_pool("default_pool").slots == 5
    assert _status(af.PoolApi(api("user")).post_pool, af.PoolBody(name="u", slots=1)) == 403
    pools.delete_pool("etl")
    assert broker.registry.get_pool("etl") is None and _status(pools.get_pool, "etl") == 404
    answer = pools.bulk_pools(af.BulkBodyPoolBody.from_dict({"actions": [
        {"action": "create", "entities": [{"name": "p1", "slots": 2}, {"name": "p2", "slots": 3}]},
        {"action": "delete", "entities": ["default_pool"]},
    ]}))  # fmt: skip
    assert answer.create.success == ["p1", "p2"]
    assert answer.delete.errors == [{"error": "Default Pool can't be deleted", "status_code": 400}]
    assert {e.event for e in af.EventLogApi(api()).get_event_logs(event_pattern="pool").event_logs} >= {
        "post_pool", "patch_pool", "delete_pool", "bulk_pools"}  # fmt: skip


# -- config, plugins, providers, warnings ---------------------------------------------------
def test_config_is_admin_only_and_respects_expose_config(broker, api, monkeypatch):
    config = af.ConfigApi(api("admin"))
    assert _status(config.get_config) == 403
    monkeypatch.setenv("AIRFLOW__API__EXPOSE_CONFIG", "True")
    monkeypatch.setenv("AIRFLOW__CORE__FERNET_KEY", "not-for-your-eyes")
    sections = {
        s.name: {o.key: o.value.actual_instance for o in s.options} for s in config.get_config().sections
    }
    assert sections["api"]["expose_config"] == "True" and sections["core"]["fernet_key"] == "< hidden >"
    assert "not-for-your-eyes" not in json.dumps(sections)
    [core] = config.get_config(section="core").sections
    assert core.name == "core"
    assert _status(config.get_config, section="no_such_section") == 404
    value = config.get_config_value("api", "expose_config")
    assert value.sections[0].options[0].value.actual_instance == "True"
    assert (
        config.get_config_value("core", "fernet_key").sections[0].options[0].value.actual_instance
        == "< hidden >"
    )
    assert _status(config.get_config_value, "core", "no_such_option") == 404
    text = config.get_config_without_preload_content(section="api", _headers={"Accept": "text/plain"})
    assert text.status == 200 and text.data.decode().startswith("[api]\nbase_url = ")
    assert _status(af.ConfigApi(api("op")).get_config) == 403


def test_plugins_providers_and_dag_warnings(broker, api):
    plugins = af.PluginApi(api("viewer")).get_plugins()
    assert (plugins.plugins, plugins.total_entries) == ([], 0)
    assert af.PluginApi(api("viewer")).import_errors().total_entries == 0
    providers = af.ProviderApi(api("viewer")).get_providers()
    assert [p.package_name for p in providers.providers] == ["apache-airflow-providers-standard"]
    warnings = af.DagWarningApi(api("viewer"))
    register_dag(broker, "d1")
    assert warnings.list_dag_warnings().total_entries == 0
    from riir_airflow.wire.messages import SerializedDag, SerializedTask

    dag = SerializedDag(
        dag_id="d2", fileloc="/dags/d2.py", tasks=[SerializedTask(task_id="t", pool="missing")]
    )
    broker.registry.sync_dags([dag], code_hash="h2", now=broker.clock.now())
    found = warnings.list_dag_warnings()
    assert [(w.dag_id, w.warning_type.value) for w in found.dag_warnings] == [("d2", "non-existent pool")]
    assert "missing" in found.dag_warnings[0].message
    assert warnings.list_dag_warnings(dag_id="d1").total_entries == 0
    broker.registry.set_pool(PoolRecord("missing", 1))
    assert warnings.list_dag_warnings().total_entries == 0


def test_what_schemathesis_found_answers_4xx_not_500(broker, api):
    """Numbers beyond 64 bits, an empty order_by and out-of-range slots (scripts/schemathesis.sh)."""
    register_dag(broker, "d1")
    client = api("admin")
    huge = 2**100
    for path in (f"/dags?offset={huge}", f"/importErrors?offset={huge}", f"/connections?offset={huge}",
                 f"/assets?offset={huge}"):  # fmt: skip
        assert _send(client, "GET", path, None) == 200, path
    assert _send(client, "GET", "/dagTags?order_by=", None) == 200
    assert _send(client, "GET", f"/dags/d1/dagRuns/r/taskInstances/t/logs/1?map_index={huge}", None) == 404
    assert _send(client, "DELETE", f"/dags/d1/assets/{huge}/queuedEvents", None) == 404
    assert _send(client, "POST", "/pools", {"name": "p", "slots": huge}) == 422
