"""Auth and isolation: 401 for missing/wrong/revoked/expired credentials, 403 outside a token's
DAGs (every read and write of another DAG's rows), login as Airflow 3's `/auth/token`, bootstrap."""

from __future__ import annotations

import datetime
import urllib.parse

import pendulum
import pytest

from riir_airflow.broker.scopes import SCOPE_RULES
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import (
    AssetEventRecord,
    ConnectionRecord,
    DagRunRecord,
    DeferralRecord,
    TaskInstanceRecord,
    VariableRecord,
    XComRecord,
)
from riir_airflow.wire.errors import Forbidden, StaleFencingToken, Unauthorized
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0, Broker
from .support import http

B = "dag_b"


def _run(dag_id: str, run_id: str = "r1") -> DagRunRecord:
    return DagRunRecord(dag_id, run_id, "manual", DagRunState.RUNNING, run_after=T0)


def _ti(dag_id: str, state: TaskInstanceState = TaskInstanceState.RUNNING) -> TaskInstanceRecord:
    return TaskInstanceRecord(dag_id, "r1", "t1", state=state, try_number=1)


FOREIGN_CALLS: dict[str, dict] = {
    "create_dag_run": {"run": _run(B, "new")},
    "get_dag_run": {"dag_id": B, "run_id": "r1"},
    "update_dag_run": {"dag_id": B, "run_id": "r1", "state": DagRunState.FAILED},
    "list_dag_runs": {"dag_id": B},
    "delete_dag_run": {"dag_id": B, "run_id": "r1"},
    "requeue_dag_run": {"dag_id": B, "run_id": "r1"},
    "put_task_instances": {"records": [_ti("dag_a"), _ti(B, TaskInstanceState.FAILED)]},
    "get_task_instances": {"dag_id": B, "run_id": "r1"},
    "get_task_instance": {"dag_id": B, "run_id": "r1", "task_id": "t1"},
    "get_task_instance_tries": {"dag_id": B, "run_id": "r1", "task_id": "t1"},
    "delete_task_instance": {"dag_id": B, "run_id": "r1", "task_id": "t1"},
    "clear_task_instances": {"dag_id": B, "run_id": "r1", "task_ids": ["t1"]},
    "set_xcom": {"xcom": XComRecord(B, "r1", "t1", "k", '"stolen"')},
    "get_xcoms": {"dag_id": B, "run_id": "r1"},
    "delete_xcoms": {"dag_id": B, "run_id": "r1", "task_id": "t1"},
    "set_rendered_fields": {"dag_id": B, "run_id": "r1", "task_id": "t1", "map_index": -1, "fields": {}},
    "get_rendered_fields": {"dag_id": B, "run_id": "r1", "task_id": "t1"},
    "append_log": {
        "dag_id": B,
        "run_id": "r1",
        "task_id": "t1",
        "map_index": -1,
        "try_number": 1,
        "text": "x",
    },
    "read_log": {"dag_id": B, "run_id": "r1", "task_id": "t1", "map_index": -1, "try_number": 1},
    "register_dag_schedule": {"dag_id": B, "condition_json": None},
    "get_dag_schedule": {"dag_id": B},
    "consume_asset_dag_run_queue": {"dag_id": B},
    "get_dag_run_asset_events": {"dag_id": B, "run_id": "r1"},
    "record_asset_event": {"event": AssetEventRecord("a", "s3://a", source_dag_id=B, timestamp=T0)},
    "set_deferral": {"record": DeferralRecord(B, "r1", "t1", "x.Trigger", "{}", "stolen")},
    "get_deferrals": {"dag_id": B, "run_id": "r1"},
    "delete_deferral": {"dag_id": B, "run_id": "r1", "task_id": "t1"},
}


def _snapshot(admin) -> tuple:
    return (
        admin.get_dag_run(B, "r1"),
        admin.list_dag_runs(B),
        admin.get_task_instances(B, "r1"),
        admin.get_task_instance_tries(B, "r1", "t1"),
        admin.get_xcoms(B, run_id="r1"),
        admin.get_rendered_fields(B, "r1", "t1"),
        admin.read_log(B, "r1", "t1", -1, 1),
        admin.get_asset_events(),
        admin.get_deferrals(B, "r1"),
        admin.get_task_instances("dag_a", "r1"),
    )


def test_every_dag_scoped_store_operation_is_in_the_isolation_table() -> None:
    scoped = {name for name, rule in SCOPE_RULES.items() if rule.dags is not None}
    assert scoped == set(FOREIGN_CALLS)


def test_app_token_gets_403_on_every_read_and_write_of_another_dags_rows_and_nothing_changes(
    broker: Broker,
) -> None:
    admin = broker.client()
    for dag_id in ("dag_a", B):
        admin.create_dag_run(_run(dag_id))
    admin.put_task_instances([_ti(B)])
    admin.set_xcom(XComRecord(B, "r1", "t1", "k", '"v"'))
    admin.set_rendered_fields(B, "r1", "t1", -1, {"f": "v"})
    admin.append_log(B, "r1", "t1", -1, 1, "log\n")
    admin.set_deferral(DeferralRecord(B, "r1", "t1", "x.Trigger", "{}", "execute_complete"))
    before = _snapshot(admin)

    app = broker.client(broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/dags/a.py")], code_hash="h")
    assert app.acquire_lease("dag_a").held  # so no write is refused for want of a lease
    for name, kwargs in FOREIGN_CALLS.items():
        with pytest.raises(Forbidden):
            getattr(app, name)(**kwargs)
    assert _snapshot(admin) == before


def test_app_token_reads_and_writes_its_own_dag(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/dags/a.py")], code_hash="h")
    app.acquire_lease("dag_a")
    app.create_dag_run(_run("dag_a"))
    app.put_task_instances([_ti("dag_a", TaskInstanceState.SUCCESS)])
    assert app.get_task_instance("dag_a", "r1", "t1").state is TaskInstanceState.SUCCESS


def test_app_token_keeps_its_own_dags_deferrals_and_writes_them_only_under_its_lease(
    broker: Broker,
) -> None:
    app = broker.client(broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/dags/a.py")], code_hash="h")
    deferral = DeferralRecord("dag_a", "r1", "t1", "x.Trigger", "{}", "execute_complete", timeout_at=T0)
    broker.client().create_dag_run(_run("dag_a"))
    with pytest.raises(StaleFencingToken):  # no lease yet: not this DAG's scheduler
        app.set_deferral(deferral)
    app.acquire_lease("dag_a")
    app.set_deferral(deferral)
    assert app.get_deferrals("dag_a", "r1") == [deferral]
    app.delete_deferral("dag_a", "r1", "t1")
    assert app.get_deferrals("dag_a", "r1") == []


def test_app_token_reads_but_never_writes_connections_and_uses_variables(broker: Broker) -> None:
    broker.client().set_connection(ConnectionRecord("db", "postgres", password="pw"))
    app = broker.client(broker.app_token("dag_a"))
    assert app.get_connection("db").password == "pw"
    with pytest.raises(Forbidden):
        app.set_connection(ConnectionRecord("db", "postgres", password="mine"))
    with pytest.raises(Forbidden):
        app.delete_connection("db")
    app.set_variable(VariableRecord("k", "v"))
    assert app.get_variable("k").value == "v"


def test_dags_triggered_by_answers_an_app_only_about_its_own_dags(broker: Broker) -> None:
    from riir_airflow.sdk.assets import Asset, condition_to_json

    admin, asset = broker.client(), Asset("s3://bucket/x")
    for dag_id in ("dag_a", B):
        admin.register_dag_schedule(dag_id, condition_to_json(asset))
    admin.record_asset_event(AssetEventRecord(asset.name, asset.uri, timestamp=T0))
    assert admin.dags_triggered_by() == ["dag_a", B]
    assert broker.client(broker.app_token("dag_a")).dags_triggered_by() == ["dag_a"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer riir_app_0000_nope", "Bearer not.a.jwt"],
)
def test_missing_or_wrong_credentials_get_401(broker: Broker, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    status, body = http("POST", f"{broker.url}/internal/v1/store/list_dag_runs",
                        {"v": 1, "args": {"dag_id": "dag_a"}}, headers=headers)  # fmt: skip
    assert status == 401
    assert body["error"]["type"] == "Unauthorized"


def test_revoked_app_token_gets_401(broker: Broker) -> None:
    token_id, token = broker.registry.create_app_token(["dag_a"], broker.clock.now())
    app = broker.client(token)
    assert app.list_dag_runs("dag_a") == []
    broker.registry.revoke_app_token(token_id, broker.clock.now())
    with pytest.raises(Unauthorized):
        app.list_dag_runs("dag_a")


def test_jwt_is_401_once_expired_by_the_brokers_clock(broker: Broker) -> None:
    client = broker.client(broker.jwt())  # valid for an hour from the fake now
    assert client.list_dag_runs("dag_a") == []
    broker.clock.advance(datetime.timedelta(minutes=59))
    assert client.list_dag_runs("dag_a") == []
    broker.clock.advance(datetime.timedelta(minutes=2))
    with pytest.raises(Unauthorized, match="expired"):
        client.list_dag_runs("dag_a")


def test_jwt_signed_with_another_secret_gets_401(broker: Broker) -> None:
    from riir_airflow.broker.auth import issue_jwt
    from riir_airflow.broker.registry import UserInfo

    forged = issue_jwt(UserInfo("admin", "admin"), "another-secret-" + "y" * 64, 3600, broker.clock.now())
    with pytest.raises(Unauthorized):
        broker.client(forged).list_dag_runs("dag_a")


@pytest.mark.parametrize("role", ["user", "viewer"])
def test_users_below_op_get_403_on_the_internal_api(broker: Broker, role: str) -> None:
    with pytest.raises(Forbidden):
        broker.client(broker.jwt(role)).list_dag_runs("dag_a")


def test_op_user_may_act_on_every_dag_without_a_lease(broker: Broker) -> None:
    client = broker.client(broker.jwt("op"))
    client.create_dag_run(_run(B))
    assert client.get_dag_run(B, "r1") is not None


# -- login ----------------------------------------------------------------------------------------
def test_login_returns_201_and_an_access_token_that_works(broker: Broker) -> None:
    broker.registry.create_user("ada", "s3cret", "admin", broker.clock.now())
    status, body = http("POST", f"{broker.url}/auth/token", {"username": "ada", "password": "s3cret"})
    assert status == 201
    assert list(body) == ["access_token"]
    assert broker.client(body["access_token"]).list_dag_runs("dag_a") == []


def test_login_accepts_a_form_encoded_body(broker: Broker) -> None:
    broker.registry.create_user("ada", "s3cret", "viewer", broker.clock.now())
    form = urllib.parse.urlencode({"username": "ada", "password": "s3cret"}).encode()
    status, body = http("POST", f"{broker.url}/auth/token", raw=form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert status == 201 and body["access_token"]


def test_login_with_a_wrong_password_is_401_and_without_fields_400(broker: Broker) -> None:
    broker.registry.create_user("ada", "s3cret", "admin", broker.clock.now())
    assert http("POST", f"{broker.url}/auth/token", {"username": "ada", "password": "nope"})[0] == 401
    assert http("POST", f"{broker.url}/auth/token", {"username": "nobody", "password": "x"})[0] == 401
    assert http("POST", f"{broker.url}/auth/token", {"username": "ada"})[0] == 400


def test_login_token_carries_airflow_claims_and_the_configured_lifetime(make_broker) -> None:
    import jwt

    from .conftest import JWT_SECRET

    broker = make_broker(jwt_expiration_time=600)
    broker.registry.create_user("ada", "s3cret", "op", broker.clock.now())
    token = http("POST", f"{broker.url}/auth/token", {"username": "ada", "password": "s3cret"})[1][
        "access_token"
    ]
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS512"], options={"verify_exp": False})
    assert {"jti", "sub", "role", "iat", "nbf", "exp"} <= set(claims)
    assert (claims["sub"], claims["role"], claims["exp"] - claims["iat"]) == ("ada", "OP", 600)
    assert claims["iat"] == int(T0.timestamp())


# -- registration ---------------------------------------------------------------------------------
def test_app_cannot_register_a_dag_its_token_does_not_cover(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a"))
    with pytest.raises(Forbidden):
        app.register([SerializedDag("dag_a", "/a.py"), SerializedDag(B, "/a.py")], code_hash="h")


def test_bootstrap_registration_mints_a_token_scoped_to_the_registered_dags(make_broker) -> None:
    broker = make_broker(app_bootstrap_secret="let-me-in")
    app = broker.client("let-me-in")
    answer = app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    assert answer.token and answer.token.startswith("riir_app_")
    assert app.list_dag_runs("dag_a") == []  # now using the minted token
    with pytest.raises(Forbidden):
        app.list_dag_runs(B)
    with pytest.raises(Forbidden):  # the bootstrap secret itself opens nothing but registration
        broker.client("let-me-in").list_dag_runs("dag_a")


def test_bootstrap_secret_is_refused_when_not_configured(broker: Broker) -> None:
    with pytest.raises(Unauthorized):
        broker.client("let-me-in").register([SerializedDag("dag_a", "/a.py")], code_hash="h")


def test_registration_records_the_app_in_the_registry(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a"))
    answer = app.register([SerializedDag("dag_a", "/a.py")], code_hash="abc", fileloc="/a.py")
    (info,) = broker.client().list_apps()
    assert (info.app_id, info.dag_ids, info.code_hash, info.fileloc) == (
        answer.app_id,
        ["dag_a"],
        "abc",
        "/a.py",
    )
    assert info.registered_at == pendulum.instance(T0)


# -- import errors --------------------------------------------------------------------------------
def test_an_app_reports_an_import_error_and_registering_the_file_later_clears_it(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a"))
    app.report_import_error("/dags/a.py", "Traceback...\nSyntaxError: invalid syntax")
    (error,) = broker.registry.import_errors()
    assert (error.fileloc, error.stacktrace) == ("/dags/a.py", "Traceback...\nSyntaxError: invalid syntax")
    assert error.timestamp == T0
    app.register([SerializedDag("dag_a", "/dags/a.py")], code_hash="fixed", fileloc="/dags/a.py")
    assert broker.registry.import_errors() == []


def test_a_broken_file_may_report_with_the_bootstrap_secret_but_not_a_viewer(make_broker) -> None:
    broker = make_broker(app_bootstrap_secret="let-me-in")
    broker.client("let-me-in").report_import_error("/dags/b.py", "boom")
    assert [e.fileloc for e in broker.registry.import_errors()] == ["/dags/b.py"]
    with pytest.raises(Forbidden):
        broker.client(broker.jwt("viewer")).report_import_error("/dags/c.py", "boom")
