"""Who may do what on `/api/v2`, and how bad input is refused (Airflow's 4xx with `detail`,
nothing written)."""

from __future__ import annotations

import datetime

import airflow_client.client as af
import pytest
from airflow_client.client.exceptions import ApiException

from ..support import http
from .conftest import add_run, client_for, pending, register_dag


def test_viewer_reads_but_may_not_trigger(sqlite_broker):
    register_dag(sqlite_broker, "d1")
    assert af.DAGApi(client_for(sqlite_broker, "viewer")).get_dag("d1").dag_id == "d1"
    with pytest.raises(ApiException) as err:
        af.DagRunApi(client_for(sqlite_broker, "viewer")).trigger_dag_run(
            "d1", af.TriggerDAGRunPostBody(logical_date=None)
        )
    assert err.value.status == 403 and "user role" in err.value.body
    assert sqlite_broker.store.list_dag_runs("d1") == [] and pending(sqlite_broker, "d1") == []


def test_user_may_not_delete_a_dag_but_op_may(sqlite_broker):
    register_dag(sqlite_broker, "d1")
    with pytest.raises(ApiException) as err:
        af.DAGApi(client_for(sqlite_broker, "user")).delete_dag("d1")
    assert err.value.status == 403
    af.DAGApi(client_for(sqlite_broker, "op")).delete_dag("d1")


@pytest.mark.parametrize("token", ["", "garbage", "riir_app_unknown"])
def test_missing_or_wrong_token_is_401(sqlite_broker, token):
    status, body = http("GET", f"{sqlite_broker.url}/api/v2/dags", token=token or None)
    assert status == 401 and isinstance(body["detail"], str)


def test_expired_token_is_401_through_the_client(sqlite_broker):
    client = client_for(sqlite_broker, "admin")
    sqlite_broker.clock.advance(datetime.timedelta(hours=2))
    with pytest.raises(ApiException) as err:
        af.DAGApi(client).get_dags()
    assert err.value.status == 401 and "expired" in err.value.body


def test_app_tokens_are_refused_on_the_public_api(sqlite_broker):
    register_dag(sqlite_broker, "d1")
    status, body = http("GET", f"{sqlite_broker.url}/api/v2/dags/d1", token=sqlite_broker.app_token("d1"))
    assert status == 403 and "detail" in body


def test_malformed_json_unknown_fields_and_wrong_types_are_422_and_write_nothing(sqlite_broker):
    register_dag(sqlite_broker, "d1")
    url, token = f"{sqlite_broker.url}/api/v2/dags/d1/dagRuns", sqlite_broker.jwt("user")
    for raw in (b"{not json", b'{"logical_date": null, "surprise": 1}', b'{"logical_date": null, "conf": [1]}',
                b'{"logical_date": "yesterday"}', b"{}", b"[]"):  # fmt: skip
        status, body = http("POST", url, raw=raw, token=token)
        assert status == 422, (raw, status, body)
        assert isinstance(body["detail"], list) and body["detail"][0]["msg"]
    status, body = http("PATCH", f"{sqlite_broker.url}/api/v2/dags/d1", {"is_paused": "maybe"}, token=token)
    assert status == 422
    assert sqlite_broker.store.list_dag_runs("d1") == [] and pending(sqlite_broker, "d1") == []
    assert sqlite_broker.registry.get_dag("d1").is_paused is False


def test_conflicting_trigger_writes_no_command_and_no_event(sqlite_broker):
    register_dag(sqlite_broker, "d1")
    add_run(sqlite_broker, "d1", "taken")
    with pytest.raises(ApiException) as err:
        af.DagRunApi(client_for(sqlite_broker)).trigger_dag_run(
            "d1", af.TriggerDAGRunPostBody(logical_date=None, dag_run_id="taken")
        )
    assert err.value.status == 409
    assert pending(sqlite_broker, "d1") == [] and sqlite_broker.registry.audit_log(dag_id="d1") == []


def test_invalid_ids_pages_and_orders(sqlite_broker):
    register_dag(sqlite_broker, "d1")
    add_run(sqlite_broker, "d1", "r1", ti_states={"a": "success"})
    base, token = f"{sqlite_broker.url}/api/v2/dags", sqlite_broker.jwt("viewer")
    assert http("GET", f"{base}/d1/dagRuns/r1/taskInstances/a/notanumber/tries", token=token)[0] == 422
    assert http("GET", f"{base}?limit=-1", token=token)[0] == 422
    assert http("GET", f"{base}?offset=x", token=token)[0] == 422
    status, body = http("GET", f"{base}?order_by=nonsense", token=token)
    assert status == 400 and "nonsense" in body["detail"]
    assert http("GET", f"{sqlite_broker.url}/api/v2/eventLogs/abc", token=token)[0] == 422
    assert http("GET", f"{base}/d1/dagRuns/nope", token=token)[0] == 404


def test_page_size_is_capped_at_the_maximum(sqlite_broker):
    for i in range(105):
        register_dag(sqlite_broker, f"d{i:03}")
    status, body = http(
        "GET", f"{sqlite_broker.url}/api/v2/dags?limit=1000", token=sqlite_broker.jwt("viewer")
    )
    assert status == 200 and len(body["dags"]) == 100 and body["total_entries"] == 105
    status, body = http("GET", f"{sqlite_broker.url}/api/v2/dags", token=sqlite_broker.jwt("viewer"))
    assert len(body["dags"]) == 50


def test_oversized_body_is_413(make_broker):
    small = make_broker(max_request_bytes=2000)
    register_dag(small, "d1")
    body = {"logical_date": None, "conf": {"x": "y" * 5000}}
    status, _ = http("POST", f"{small.url}/api/v2/dags/d1/dagRuns", body, token=small.jwt("user"))
    assert status == 413 and small.store.list_dag_runs("d1") == []


def test_routes_are_in_the_served_openapi_spec(sqlite_broker):
    status, spec = http("GET", f"{sqlite_broker.url}/openapi.json")
    assert status == 200
    assert "post" in spec["paths"]["/api/v2/dags/{dag_id}/dagRuns"]
    assert "DAGRunResponse" in spec["components"]["schemas"]
