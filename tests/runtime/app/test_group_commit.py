"""Group commit of tries' writes: the worker holds them back, the app's log shipper sends them.

No broker here: the stores are fakes that record what would go over the wire, so these pin
the order and grouping of calls and when they are sent. (The end-to-end tests run the same
code against real broker processes.)
"""

from __future__ import annotations

import threading
from typing import Any

from riir_airflow.runtime.app.log_shipper import LogShipper
from riir_airflow.runtime.app.worker import WorkerStore
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.records import TaskInstanceRecord
from riir_airflow.wire.errors import BrokerUnavailable, StaleFencingToken
from riir_airflow.wire.messages import BatchCall


def _ti(task_id: str = "t") -> TaskInstanceRecord:
    return TaskInstanceRecord("d", "r", task_id, try_number=1)


class _RecordingWorkerStore(WorkerStore):
    """A WorkerStore whose batches are recorded instead of sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("http://127.0.0.1:9", None, **kwargs)
        self.sent: list[list[str]] = []
        self.sent_event = threading.Event()

    def batch(self, calls: Any) -> list[Any]:
        self.sent.append([name for name, _ in calls])
        self.sent_event.set()
        return [None] * len(calls)


def test_a_worker_holds_its_writes_back_and_hands_them_over_encoded_in_order() -> None:
    store = _RecordingWorkerStore(hold_back=60)
    store.put_task_instances([_ti()])
    store.delete_xcoms("d", "r", "t", -1)
    store.set_rendered_fields("d", "r", "t", -1, {"x": "1"})
    held = store.take_held()
    assert [call.op for call in held] == ["put_task_instances", "delete_xcoms", "set_rendered_fields"]
    assert store.sent == [] and store.take_held() == []


def test_a_held_start_the_tries_end_replaces_is_not_handed_over() -> None:
    store = _RecordingWorkerStore(hold_back=60)
    store.put_task_instances([_ti()])
    store.delete_xcoms("d", "r", "t", -1)
    store.put_task_instances([_ti()])
    held = store.take_held()
    assert [call.op for call in held] == ["delete_xcoms", "put_task_instances"]


def test_held_writes_of_a_try_that_runs_on_reach_the_broker_after_the_hold_back() -> None:
    store = _RecordingWorkerStore(hold_back=0.01)
    store.put_task_instances([_ti()])
    assert store.sent_event.wait(5), "the timer never flushed the held start"
    assert store.sent == [["put_task_instances"]]
    assert store.take_held() == []


def test_a_read_sends_the_held_writes_first() -> None:
    store = _RecordingWorkerStore(hold_back=60)
    store.put_task_instances([_ti()])
    store.flush()
    assert store.sent == [["put_task_instances"]]


class _FakeBroker:
    """What the log shipper needs of a BrokerStore: encode and send batches (recorded)."""

    encode_calls = staticmethod(BrokerStore.encode_calls)

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.refuse: set[int] = set()  # positions (in the next batch) answered with a refusal
        self.down = False

    def send_batch(self, calls: list[BatchCall]) -> list[Any]:
        if self.down:
            raise BrokerUnavailable("connection refused")
        self.batches.append([call.op for call in calls])
        return [StaleFencingToken("stale") if i in self.refuse else None for i in range(len(calls))]


def _writes(task_id: str) -> list[BatchCall]:
    """A try's writes as its worker hands them over: its XComs cleared, then its end."""
    return BrokerStore.encode_calls(
        [("delete_xcoms", {"dag_id": "d", "run_id": "r", "task_id": task_id, "map_index": -1}),
         ("put_task_instances", {"records": [_ti(task_id)]})]
    )  # fmt: skip


def test_the_writes_of_tries_that_end_together_go_in_one_round_trip_after_their_output() -> None:
    broker = _FakeBroker()
    shipper = LogShipper(broker, interval=60)
    shipper._stop.set()  # drive it by hand: no background sends
    done: dict[str, Any] = {}
    shipper.add(_ti("a"), "a's last line\n")
    shipper.commit(_writes("a"), lambda error: done.setdefault("a", error))
    shipper.commit(_writes("b"), lambda error: done.setdefault("b", error))
    assert shipper.flush()
    # Each try's end stays after its other writes; all the ends go in one upsert.
    assert broker.batches == [["append_log", "delete_xcoms", "delete_xcoms", "put_task_instances"]]
    assert done == {"a": None, "b": None}


def test_a_refused_write_fails_only_its_own_try() -> None:
    broker = _FakeBroker()
    shipper = LogShipper(broker, interval=60)
    shipper._stop.set()
    broker.refuse = {1}  # b's delete_xcoms
    done: dict[str, Any] = {}
    shipper.commit(_writes("a"), lambda error: done.setdefault("a", error))
    shipper.commit(_writes("b"), lambda error: done.setdefault("b", error))
    shipper.flush()
    assert done["a"] is None and isinstance(done["b"], StaleFencingToken)


def test_writes_wait_in_order_while_the_broker_is_away() -> None:
    broker = _FakeBroker()
    shipper = LogShipper(broker, interval=60)
    shipper._stop.set()
    done: list[str] = []
    broker.down = True
    shipper.commit(_writes("a"), lambda error: done.append("a"))
    assert not shipper.flush() and done == []
    shipper.commit(_writes("b"), lambda error: done.append("b"))
    broker.down = False
    assert shipper.flush()
    assert done == ["a", "b"] and broker.batches == [["delete_xcoms", "delete_xcoms", "put_task_instances"]]


def test_a_commit_wakes_the_shipper_at_once_not_after_its_interval() -> None:
    broker = _FakeBroker()
    shipper = LogShipper(broker, interval=60)
    stored = threading.Event()
    try:
        shipper.commit(_writes("a"), lambda error: stored.set())
        assert stored.wait(5), "the commit waited for the shipper's interval"
    finally:
        shipper.close()
