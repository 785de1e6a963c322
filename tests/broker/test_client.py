"""`BrokerStore` as a client: idempotent retries, batches, reconnects, forks, timeouts, errors."""

from __future__ import annotations

import multiprocessing
import os
import socket
import threading
import time

import pytest

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.records import DagRunAlreadyExists, DagRunRecord, TaskInstanceRecord, VariableRecord
from riir_airflow.wire.errors import BrokerUnavailable
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0, Broker
from .support import free_port, http


def _run(run_id: str = "r1") -> DagRunRecord:
    return DagRunRecord("dag_a", run_id, "manual", DagRunState.QUEUED, run_after=T0)


def _append(broker: Broker, request_id: str | None, text: str = "line\n") -> tuple[int, object]:
    body = {"v": 1, "request_id": request_id,
            "args": {"dag_id": "dag_a", "run_id": "r1", "task_id": "t", "map_index": -1, "try_number": 1, "text": text}}  # fmt: skip
    return http("POST", f"{broker.url}/internal/v1/store/append_log", body, token=broker.jwt())


def test_a_retried_write_with_the_same_request_id_is_applied_once(sqlite_broker: Broker) -> None:
    sqlite_broker.client().create_dag_run(_run())
    first = _append(sqlite_broker, "req-1")
    again = _append(sqlite_broker, "req-1")
    _append(sqlite_broker, "req-2")
    assert first == again == (200, {"v": 1, "result": None})
    assert sqlite_broker.client().read_log("dag_a", "r1", "t", -1, 1) == "line\nline\n"


def test_a_retried_create_gets_the_first_answer_not_already_exists(sqlite_broker: Broker) -> None:
    from riir_airflow.wire import encode

    body = {"v": 1, "request_id": "c-1", "args": {"run": encode(_run(), DagRunRecord)}}
    url = f"{sqlite_broker.url}/internal/v1/store/create_dag_run"
    first = http("POST", url, body, token=sqlite_broker.jwt())
    again = http("POST", url, body, token=sqlite_broker.jwt())
    assert first == again and first[0] == 200
    assert http("POST", url, {**body, "request_id": "c-2"}, token=sqlite_broker.jwt())[0] == 409


def test_concurrent_duplicates_of_a_write_are_applied_once(sqlite_broker: Broker) -> None:
    sqlite_broker.client().create_dag_run(_run())
    answers: list[tuple[int, object]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(_append(sqlite_broker, "dup"))) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [200] * 6
    assert sqlite_broker.client().read_log("dag_a", "r1", "t", -1, 1) == "line\n"


def test_writes_without_a_request_id_are_each_applied(sqlite_broker: Broker) -> None:
    sqlite_broker.client().create_dag_run(_run())
    _append(sqlite_broker, None)
    _append(sqlite_broker, None)
    assert sqlite_broker.client().read_log("dag_a", "r1", "t", -1, 1) == "line\nline\n"


def test_batch_applies_calls_in_order_and_reports_each_outcome(sqlite_broker: Broker) -> None:
    client = sqlite_broker.client()
    results = client.batch(
        [
            ("create_dag_run", {"run": _run()}),
            ("create_dag_run", {"run": _run()}),
            ("update_dag_run", {"dag_id": "dag_a", "run_id": "missing", "state": DagRunState.FAILED}),
            ("put_task_instances", {"records": [TaskInstanceRecord("dag_a", "r1", "t", state=TaskInstanceState.RUNNING)]}),
            ("get_task_instance", {"dag_id": "dag_a", "run_id": "r1", "task_id": "t"}),
        ]
    )  # fmt: skip
    assert results[0] == _run()
    assert isinstance(results[1], DagRunAlreadyExists)
    assert isinstance(results[2], KeyError)
    assert results[3] is None
    assert results[4].state is TaskInstanceState.RUNNING


def test_batch_writes_of_an_app_are_fenced_per_call(sqlite_broker: Broker) -> None:
    from riir_airflow.wire.errors import Forbidden, StaleFencingToken

    app = sqlite_broker.client(sqlite_broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    results = app.batch([("create_dag_run", {"run": _run()}), ("list_dag_runs", {"dag_id": "dag_b"})])
    assert isinstance(results[0], StaleFencingToken) and isinstance(results[1], Forbidden)
    app.acquire_lease("dag_a")
    assert app.batch([("create_dag_run", {"run": _run()})]) == [_run()]


def test_a_failing_call_in_an_app_batch_undoes_only_its_own_changes(broker: Broker) -> None:
    """A batch is one transaction with a savepoint per call (PostgreSQL would otherwise abort
    the whole transaction at the first failing statement)."""
    app = broker.client(broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    app.acquire_lease("dag_a")
    ti = TaskInstanceRecord("dag_a", "r1", "t", state=TaskInstanceState.SUCCESS, try_number=1)
    results = app.batch(
        [
            ("create_dag_run", {"run": _run()}),
            ("create_dag_run", {"run": _run()}),
            ("put_task_instances", {"records": [ti]}),
            ("update_dag_run", {"dag_id": "dag_a", "run_id": "missing", "state": DagRunState.FAILED}),
            ("set_rendered_fields", {"dag_id": "dag_a", "run_id": "r1", "task_id": "t", "map_index": -1,
                                     "fields": {"x": "1"}}),
        ]
    )  # fmt: skip
    assert isinstance(results[1], DagRunAlreadyExists) and isinstance(results[3], KeyError)
    assert broker.client().get_dag_run("dag_a", "r1") is not None
    assert broker.client().get_task_instance("dag_a", "r1", "t").state is TaskInstanceState.SUCCESS
    assert broker.client().get_rendered_fields("dag_a", "r1", "t", -1) == {"x": "1"}


def test_an_app_batch_with_a_stale_token_writes_nothing(broker: Broker) -> None:
    from riir_airflow.wire.errors import StaleFencingToken

    app = broker.client(broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    app.acquire_lease("dag_a")
    app.create_dag_run(_run())
    app.fencing = {"dag_a": app.fencing["dag_a"] + 1}
    ti = TaskInstanceRecord("dag_a", "r1", "t", state=TaskInstanceState.SUCCESS, try_number=1)
    results = app.batch([("put_task_instances", {"records": [ti]}), ("create_dag_run", {"run": _run("r2")})])
    assert all(isinstance(result, StaleFencingToken) for result in results)
    assert broker.client().get_task_instance("dag_a", "r1", "t") is None
    assert broker.client().get_dag_run("dag_a", "r2") is None


def test_a_connection_the_broker_dropped_is_replaced_transparently(sqlite_broker: Broker) -> None:
    client = sqlite_broker.client()
    client.set_variable(VariableRecord("k", "v"))
    conn = client._http._local.conn
    conn.sock.shutdown(socket.SHUT_RDWR)  # as if the broker closed the idle keep-alive socket
    assert client.get_variable("k").value == "v"


def test_an_unreachable_broker_raises_broker_unavailable_after_retries() -> None:
    client = BrokerStore(f"http://127.0.0.1:{free_port()}", "token", timeout=1, retries=1)
    start = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="ConnectionRefused"):
        client.get_variable("k")
    assert time.monotonic() - start < 5


def test_a_long_poll_outlives_the_clients_request_timeout(sqlite_broker: Broker) -> None:
    app = sqlite_broker.client(sqlite_broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    app.acquire_lease("dag_a")
    app._http.timeout = 0.5  # only now: on a loaded machine registering alone can take longer
    assert app.poll_commands(wait=1.0) == []


_shared: list[BrokerStore] = []


def _child_reads(queue: multiprocessing.Queue) -> None:
    client = _shared[0]
    parent_conn = client._http._local.conn
    value = client.get_variable("k").value
    queue.put((value, client._http._local.pid == os.getpid(), client._http._local.conn is not parent_conn))


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_talks_over_its_own_connection(sqlite_broker: Broker) -> None:
    client = sqlite_broker.client()
    client.set_variable(VariableRecord("k", "v"))
    _shared[:] = [client]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_reads, args=(queue,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == ("v", True, True)
    assert client.get_variable("k").value == "v"  # the parent's socket was not disturbed


def test_threads_share_a_client_safely(sqlite_broker: Broker) -> None:
    client = sqlite_broker.client()
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(10):
                client.set_variable(VariableRecord(f"k{i}", str(j)))
                assert client.get_variable(f"k{i}").value == str(j)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"not json", "WireError"),
        (b'{"v": 2, "args": {}}', "WireError"),
        (b'{"v": 1, "args": {"nope": 1}}', "WireError"),
    ],
)
def test_malformed_or_foreign_version_bodies_get_422(sqlite_broker: Broker, raw: bytes, kind: str) -> None:
    status, body = http(
        "POST", f"{sqlite_broker.url}/internal/v1/store/get_variable", raw=raw, token=sqlite_broker.jwt()
    )
    assert status == 422 and body["error"]["type"] == kind
