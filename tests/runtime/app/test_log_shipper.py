"""The log shipper under volume: requests stay under the broker's size limit, a batch the broker
finds too large is split instead of taken for an outage, output waits on disk while the broker
is away. The broker is a fake that records what would go over the wire."""

from __future__ import annotations

from typing import Any

from riir_airflow.runtime.app import log_shipper
from riir_airflow.runtime.app.log_shipper import LOG_BYTES_PER_BATCH, LogShipper
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.records import TaskInstanceRecord
from riir_airflow.wire.errors import BrokerUnavailable, RequestTooLarge
from riir_airflow.wire.messages import BatchCall


def _ti(task_id: str = "t") -> TaskInstanceRecord:
    return TaskInstanceRecord("d", "r", task_id, try_number=1)


class _Broker:
    """Applies batches to a log per try; refuses (413) a batch over `max_commits` tries' ends or
    holding a call marked too large, as the real broker refuses a body over its limit."""

    encode_calls = staticmethod(BrokerStore.encode_calls)

    def __init__(self, *, max_commits: int = 1000) -> None:
        self.max_commits = max_commits
        self.down = False
        self.requests: list[list[BatchCall]] = []
        self.logs: dict[str, str] = {}

    def send_batch(self, calls: list[BatchCall]) -> list[Any]:
        if self.down:
            raise BrokerUnavailable("connection refused")
        ends = [c for c in calls if c.op == "put_task_instances"]
        n_ends = sum(len(c.args["records"]) for c in ends)
        too_big = any(c.op == "set_rendered_fields" and c.args["fields"].get("huge") for c in calls)
        if n_ends > self.max_commits or too_big:
            raise RequestTooLarge("request body over the 8388608 byte limit")
        self.requests.append(calls)
        for call in calls:
            if call.op == "append_log":
                self.logs[call.args["task_id"]] = self.logs.get(call.args["task_id"], "") + call.args["text"]
        return [None] * len(calls)


def _writes(task_id: str, *, huge: bool = False) -> list[BatchCall]:
    fields = {"huge": "x"} if huge else {"x": "1"}
    return BrokerStore.encode_calls(
        [("set_rendered_fields", {"dag_id": "d", "run_id": "r", "task_id": task_id, "map_index": -1, "fields": fields}),
         ("put_task_instances", {"records": [_ti(task_id)]})]
    )  # fmt: skip


def _by_hand(broker: _Broker, **kwargs: Any) -> LogShipper:
    shipper = LogShipper(broker, interval=60, **kwargs)
    shipper._stop.set()  # no background sends: the test calls flush()
    return shipper


def test_a_burst_of_output_goes_out_in_requests_within_the_budget_complete_and_in_order() -> None:
    broker = _Broker()
    shipper = _by_hand(broker)
    lines = [f"{i:07d} " + "x" * 1016 + "\n" for i in range(3 * 1024)]  # 3 MiB
    for line in lines:
        shipper.add(_ti(), line)
    assert shipper.flush()
    assert len(broker.requests) >= 3
    for request in broker.requests:
        assert sum(len(c.args["text"]) for c in request if c.op == "append_log") <= LOG_BYTES_PER_BATCH
    assert broker.logs["t"] == "".join(lines)


def test_a_batch_the_broker_finds_too_large_is_split_and_every_try_is_stored() -> None:
    broker = _Broker(max_commits=3)
    shipper = _by_hand(broker)
    done: dict[str, Any] = {}
    for i in range(10):
        shipper.commit(_writes(f"t{i}"), lambda error, i=i: done.setdefault(f"t{i}", error))
    assert shipper.flush()
    assert done == {f"t{i}": None for i in range(10)}
    assert not shipper._outage


def test_writes_too_large_on_their_own_fail_that_try_alone() -> None:
    broker = _Broker()
    shipper = _by_hand(broker)
    done: dict[str, Any] = {}
    shipper.commit(_writes("a"), lambda error: done.setdefault("a", error))
    shipper.commit(_writes("big", huge=True), lambda error: done.setdefault("big", error))
    shipper.commit(_writes("c"), lambda error: done.setdefault("c", error))
    assert shipper.flush()
    assert done["a"] is None and done["c"] is None
    assert isinstance(done["big"], RequestTooLarge)
    assert not shipper._outage


def test_output_of_an_outage_waits_on_disk_and_arrives_complete_when_the_broker_is_back(monkeypatch) -> None:
    monkeypatch.setattr(log_shipper, "LOG_BYTES_PER_BATCH", 64 * 1024)
    broker = _Broker()
    shipper = _by_hand(broker, memory_bytes=16 * 1024)
    broker.down = True
    lines = [f"{i:05d} " + "y" * 200 + "\n" for i in range(2000)]  # ~400 KiB: mostly on disk
    for line in lines:
        shipper.add(_ti(), line)
    assert not shipper.flush()
    assert shipper._queue.on_disk > 0
    broker.down = False
    assert shipper.flush()
    assert broker.logs["t"] == "".join(lines)
    assert shipper._queue.on_disk == 0
