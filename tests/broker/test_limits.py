"""Request size (413) and per-token rate (429) limits: one misbehaving app cannot starve the broker."""

from __future__ import annotations

import json
import time
from http.client import HTTPConnection

import pytest

from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord, VariableRecord
from riir_airflow.wire.errors import RateLimited, RequestTooLarge
from riir_airflow.wire.messages import SerializedDag, SerializedTask

from .conftest import T0
from .support import http


def test_a_body_over_the_size_limit_is_413_and_not_applied(make_broker) -> None:
    broker = make_broker(max_request_bytes=4096)
    admin = broker.client()
    admin.set_variable(VariableRecord("small", "x" * 100))
    with pytest.raises(RequestTooLarge):
        admin.set_variable(VariableRecord("big", "x" * 5000))
    assert admin.get_variable("big") is None
    assert admin.get_variable("small").value == "x" * 100


def test_a_streamed_chunked_body_over_the_limit_is_413(make_broker) -> None:
    broker = make_broker(max_request_bytes=4096)
    body = json.dumps({"v": 1, "args": {"record": {"key": "big", "value": "x" * 20000}}}).encode()
    conn = HTTPConnection("127.0.0.1", broker.server.port, timeout=10)
    chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
    conn.request("POST", "/internal/v1/store/set_variable", body=chunks, encode_chunked=True,
                 headers={"Authorization": f"Bearer {broker.jwt()}", "Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read())["error"]["type"] == "RequestTooLarge"
    conn.close()
    assert broker.client().get_variable("big") is None


def test_a_chunked_body_under_the_limit_is_served(make_broker) -> None:
    broker = make_broker(max_request_bytes=4096)
    body = json.dumps({"v": 1, "args": {"record": {"key": "k", "value": "v"}}}).encode()
    conn = HTTPConnection("127.0.0.1", broker.server.port, timeout=10)
    conn.request("POST", "/internal/v1/store/set_variable", body=iter([body[:10], body[10:]]), encode_chunked=True,
                 headers={"Authorization": f"Bearer {broker.jwt()}", "Content-Type": "application/json"})  # fmt: skip
    assert conn.getresponse().status == 200
    conn.close()
    assert broker.client().get_variable("k").value == "v"


def test_requests_beyond_a_tokens_rate_get_429_with_retry_after(make_broker) -> None:
    broker = make_broker(app_rate_limit=1.0, app_rate_burst=5)
    token = broker.jwt()
    statuses = []
    for _ in range(7):
        status, body = http("POST", f"{broker.url}/internal/v1/store/list_dag_runs",
                            {"v": 1, "args": {"dag_id": "d"}}, token=token)  # fmt: skip
        statuses.append(status)
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    assert body["error"]["type"] == "RateLimited"


def test_rate_limits_are_per_token(make_broker) -> None:
    broker = make_broker(app_rate_limit=0.5, app_rate_burst=2)
    noisy, quiet = broker.app_token("dag_a"), broker.app_token("dag_b")
    url = f"{broker.url}/internal/v1/store/list_dag_runs"
    for _ in range(3):
        http("POST", url, {"v": 1, "args": {"dag_id": "dag_a"}}, token=noisy)
    assert http("POST", url, {"v": 1, "args": {"dag_id": "dag_a"}}, token=noisy)[0] == 429
    assert http("POST", url, {"v": 1, "args": {"dag_id": "dag_b"}}, token=quiet)[0] == 200


def test_a_refused_request_carries_a_retry_after_header(make_broker) -> None:
    broker = make_broker(app_rate_limit=0.2, app_rate_burst=1)
    conn = HTTPConnection("127.0.0.1", broker.server.port, timeout=10)
    for expected in (200, 429):
        conn.request("GET", "/api/v2/version", headers={"Authorization": "Bearer x"})
        response = conn.getresponse()
        response.read()
        assert response.status == expected
    assert int(response.getheader("Retry-After")) >= 1
    conn.close()


def test_the_client_waits_out_429_and_then_succeeds(make_broker) -> None:
    broker = make_broker(app_rate_limit=2.0, app_rate_burst=1)
    client = broker.client()
    start = time.monotonic()
    client.create_dag_run(DagRunRecord("d", "r1", "manual", DagRunState.QUEUED, run_after=T0))
    assert client.get_dag_run("d", "r1") is not None  # refused once, retried after Retry-After
    assert time.monotonic() - start >= 0.9


def test_the_client_gives_up_with_rate_limited_when_retries_run_out(make_broker) -> None:
    broker = make_broker(app_rate_limit=0.01, app_rate_burst=1)
    client = broker.client(retries=0)
    client.list_dag_runs("d")
    with pytest.raises(RateLimited):
        client.list_dag_runs("d")


def _dag_of(n_tasks: int) -> SerializedDag:
    return SerializedDag("big_dag", "/dags/big.py", tasks=[SerializedTask(f"task_{i:05d}") for i in range(n_tasks)])


def test_a_registration_may_exceed_the_request_limit_up_to_its_own(make_broker) -> None:
    broker = make_broker(max_request_bytes=4096, max_register_bytes=256 * 1024)
    app = broker.client(broker.app_token("big_dag"))
    answer = app.register([_dag_of(500)], code_hash="h")  # ~30 KiB: over 4 KiB, under 256 KiB
    assert answer.dag_ids == ["big_dag"]
    with pytest.raises(RequestTooLarge):  # other calls keep the request limit
        app.put_task_instances([TaskInstanceRecord("big_dag", "r", "t" * 5000)])
    with pytest.raises(RequestTooLarge):
        app.register([_dag_of(10_000)], code_hash="h2")
