"""The fork server and the executor on their own: forked workers, their output and results,
kills, hard timeouts and slots. Workers here run a small target instead of a DAG's task."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pendulum
import pytest

from riir_airflow.runtime.app.executor import WORKER_LOST, ForkExecutor
from riir_airflow.runtime.app.forkserver import ForkServer
from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import dump, load
from riir_airflow.wire.worker import TaskRequest, TaskResult

# pytest runs threads of its own; the app forks its server before starting any (see forkserver).
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


def _target(data: bytes) -> bytes:
    """Sleeps as long as the task id says ("sleep-0.5"), prints, answers success."""
    request = load(data, TaskRequest)
    task_id = request.ti.task_id
    print(f"hello from {task_id} pid={os.getpid()}", flush=True)
    if task_id.startswith("sleep-"):
        time.sleep(float(task_id.split("-", 1)[1]))
    if task_id == "raise":
        raise RuntimeError("boom in the worker")
    return dump(TaskResult(request.request_id, "success"))


def _request(task_id: str, n: int = 1, dag_id: str = "d") -> TaskRequest:
    run = DagRunRecord(dag_id, "r", "manual", DagRunState.RUNNING, pendulum.now("UTC"))
    return TaskRequest(n, run, TaskInstanceRecord(dag_id, "r", task_id, try_number=1), "http://127.0.0.1:9")


@pytest.fixture
def server() -> Iterator[ForkServer]:
    server = ForkServer(_target).start()
    yield server
    server.stop()


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def test_a_worker_prints_into_its_output_pipe_and_answers_on_its_result_pipe(server: ForkServer) -> None:
    handle = server.spawn(dump(_request("quick")))
    result = load(_read_all(handle.result), TaskResult)
    assert result.state == "success"
    assert f"hello from quick pid={handle.pid}" in _read_all(handle.output).decode()


def test_a_killed_worker_leaves_an_empty_result(server: ForkServer) -> None:
    handle = server.spawn(dump(_request("sleep-30")))
    time.sleep(0.2)
    os.kill(handle.pid, 9)
    assert _read_all(handle.result) == b""
    os.close(handle.output)


def test_a_worker_whose_target_raises_prints_the_traceback_and_answers_nothing(server: ForkServer) -> None:
    handle = server.spawn(dump(_request("raise")))
    assert _read_all(handle.result) == b""
    assert "boom in the worker" in _read_all(handle.output).decode()


class _Collector:
    def __init__(self) -> None:
        self.results: list[TaskResult] = []
        self.logs: list[str] = []
        self.done = threading.Event()
        self.expected = 1

    def on_done(self, result: TaskResult) -> None:
        self.results.append(result)
        if len(self.results) >= self.expected:
            self.done.set()

    def sink(self, ti: TaskInstanceRecord, text: str) -> None:
        self.logs.append(text)


def test_the_executor_reports_results_and_ships_output(server: ForkServer) -> None:
    got = _Collector()
    executor = ForkExecutor(server, got.sink, parallelism=2)
    executor.submit(_request("quick"), got.on_done)
    assert got.done.wait(10)
    assert got.results[0].state == "success"
    assert "hello from quick" in "".join(got.logs)
    executor.close()


def test_kill_and_hard_timeout_end_a_try_as_a_lost_worker(server: ForkServer) -> None:
    got = _Collector()
    got.expected = 2
    executor = ForkExecutor(server, got.sink, parallelism=2, kill_grace=0.5)
    executor.submit(_request("sleep-30", 1), got.on_done)
    executor.submit(_request("sleep-31", 2), got.on_done, hard_timeout=0.3)
    time.sleep(0.2)
    assert executor.kill(("d", "r", "sleep-30", -1), reason="kill command")
    assert got.done.wait(10)
    errors = sorted(r.error or "" for r in got.results)
    assert errors == [f"{WORKER_LOST}: execution_timeout", f"{WORKER_LOST}: kill command"]
    executor.close()


def test_parallelism_and_max_active_tasks_bound_the_tries_running_at_once(server: ForkServer) -> None:
    got = _Collector()
    got.expected = 4
    executor = ForkExecutor(server, got.sink, parallelism=3, dag_limits={"d": 1})
    started = time.monotonic()
    submitter = threading.Thread(
        target=lambda: [executor.submit(_request("sleep-0.4", i), got.on_done) for i in range(3)]
    )
    submitter.start()
    executor.submit(_request("sleep-0.4", 9, dag_id="other"), got.on_done)  # another DAG's limit
    submitter.join()
    assert got.done.wait(20)
    # three tries of "d" one after another (max_active_tasks=1); the other DAG's ran alongside
    assert time.monotonic() - started >= 1.2
    executor.close()
