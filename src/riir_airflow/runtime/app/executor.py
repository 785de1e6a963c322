"""Running tries in forked workers: slots, output capture, results, kills and hard timeouts.

Contract of `ForkExecutor`:
- `submit(request, on_done, hard_timeout)` waits for one of `parallelism` slots and for one
  of its DAG's `dag_limits` (max_active_tasks) slots (so a run thread that has more ready work
  than slots simply blocks, oldest waiter first), asks the fork server for a
  worker, and returns. `on_done(result)` is called once, on the executor's I/O thread, when
  the worker is gone: with the `TaskResult` it wrote, or, if it died without one, a failed
  result naming the signal or exit (`state` "failed" marks that the worker never answered;
  the caller decides retry or not from the try's retries).
- Every byte the worker prints goes to `log_sink(ti, text)` as it comes, per try.
- `kill(key)` sends SIGTERM, then SIGKILL after `kill_grace` seconds; a worker still running
  `hard_timeout` seconds after it started (execution_timeout plus a grace, set by the caller)
  is killed the same way. `kill_all()` is what a drain does when its grace period is over.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from riir_airflow.runtime.app.forkserver import ForkServer, WorkerHandle
from riir_airflow.store.records import TaskInstanceRecord
from riir_airflow.wire.messages import dump, load
from riir_airflow.wire.worker import TaskRequest, TaskResult

__all__ = ["WORKER_LOST", "ForkExecutor"]

log = logging.getLogger("riir_airflow.app.executor")
TIKey = tuple[str, str, str, int]  # dag_id, run_id, task_id, map_index
WORKER_LOST = "worker_lost"
"""`TaskResult.error` prefix of a worker that exited without answering."""


@dataclass
class _Job:
    request: TaskRequest
    handle: WorkerHandle
    on_done: Callable[[TaskResult], None]
    started: float
    hard_deadline: float | None
    result: bytearray = field(default_factory=bytearray)
    killed_at: float | None = None
    kill_reason: str = ""
    output_open: bool = True

    @property
    def key(self) -> TIKey:
        ti = self.request.ti
        return (ti.dag_id, ti.run_id, ti.task_id, ti.map_index)


class ForkExecutor:
    def __init__(
        self,
        forkserver: ForkServer,
        log_sink: Callable[[TaskInstanceRecord, str], None],
        *,
        parallelism: int,
        dag_limits: dict[str, int] | None = None,
        kill_grace: float = 5.0,
    ) -> None:
        self._forkserver = forkserver
        self._log_sink = log_sink
        self.parallelism = max(1, parallelism)
        self.kill_grace = kill_grace
        self._slots = threading.BoundedSemaphore(self.parallelism)
        self._dag_slots = {dag_id: threading.BoundedSemaphore(max(1, n)) for dag_id, n in (dag_limits or {}).items()}
        self._jobs: dict[TIKey, _Job] = {}
        self._by_fd: dict[int, tuple[_Job, str]] = {}
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopping = False
        self._thread = threading.Thread(target=self._io_loop, name="executor-io", daemon=True)
        self._thread.start()

    def in_flight(self) -> int:
        with self._lock:
            return len(self._jobs)

    def running_keys(self) -> list[TIKey]:
        with self._lock:
            return list(self._jobs)

    def submit(
        self,
        request: TaskRequest,
        on_done: Callable[[TaskResult], None],
        *,
        hard_timeout: float | None = None,
    ) -> None:
        dag_slot = self._dag_slots.get(request.ti.dag_id)
        if dag_slot is not None:
            dag_slot.acquire()
        self._slots.acquire()
        try:
            handle = self._forkserver.spawn(dump(request))
        except BaseException:
            self._release(request)
            raise
        now = time.monotonic()
        job = _Job(request, handle, on_done, now, now + hard_timeout if hard_timeout else None)
        with self._lock:
            self._jobs[job.key] = job
            self._by_fd[handle.output] = (job, "output")
            self._by_fd[handle.result] = (job, "result")
            self._selector.register(handle.output, selectors.EVENT_READ, None)
            self._selector.register(handle.result, selectors.EVENT_READ, None)
        self._wake()

    def kill(self, key: TIKey, reason: str = "killed") -> bool:
        """SIGTERM the worker of `key` (SIGKILL after the grace); False if none runs it."""
        with self._lock:
            job = self._jobs.get(key)
        if job is None:
            return False
        self._signal(job, signal.SIGTERM, reason)
        return True

    def kill_all(self, reason: str) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self._signal(job, signal.SIGTERM, reason)

    def close(self) -> None:
        self._stopping = True
        self._wake()
        self._thread.join(timeout=5)

    def _release(self, request: TaskRequest) -> None:
        self._slots.release()
        dag_slot = self._dag_slots.get(request.ti.dag_id)
        if dag_slot is not None:
            dag_slot.release()

    # -- the I/O thread ---------------------------------------------------------------------------
    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def _signal(self, job: _Job, sig: int, reason: str) -> None:
        if job.killed_at is None:
            job.killed_at, job.kill_reason = time.monotonic(), reason
            log.warning(
                "killing worker pid=%s dag_id=%s run_id=%s task_id=%s map_index=%s reason=%s",
                job.handle.pid, *job.key, reason,
            )  # fmt: skip
        with contextlib.suppress(ProcessLookupError):
            os.kill(job.handle.pid, sig)

    def _io_loop(self) -> None:
        while not self._stopping:
            for selected, _ in self._selector.select(timeout=0.25):
                fd = selected.fd
                if fd == self._wake_r:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    continue
                with self._lock:
                    entry = self._by_fd.get(fd)
                if entry is not None:
                    self._readable(fd, *entry)
            self._enforce_deadlines()

    def _readable(self, fd: int, job: _Job, which: str) -> None:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if which == "output":
            if data:
                self._log_sink(job.request.ti, data.decode("utf-8", errors="replace"))
            else:
                self._close_fd(fd)
                job.output_open = False
            return
        if data:
            job.result.extend(data)
            return
        self._close_fd(fd)
        self._drain_output(job)
        self._finish(job)

    def _drain_output(self, job: _Job) -> None:
        """The worker is gone: take what is left in its output pipe without waiting for EOF
        (a background child of the task may hold the pipe open)."""
        if not job.output_open:
            return
        fd = job.handle.output
        os.set_blocking(fd, False)
        with contextlib.suppress(BlockingIOError, OSError):
            while data := os.read(fd, 65536):
                self._log_sink(job.request.ti, data.decode("utf-8", errors="replace"))
        self._close_fd(fd)
        job.output_open = False

    def _close_fd(self, fd: int) -> None:
        with self._lock:
            self._by_fd.pop(fd, None)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(fd)
        with contextlib.suppress(OSError):
            os.close(fd)

    def _finish(self, job: _Job) -> None:
        with self._lock:
            self._jobs.pop(job.key, None)
        self._release(job.request)
        result = None
        if job.result:
            try:
                result = load(bytes(job.result), TaskResult)
            except Exception:
                log.exception("unreadable result from worker pid=%s", job.handle.pid)
        if result is None:
            why = job.kill_reason or "exited without a result"
            result = TaskResult(job.request.request_id, "failed", error=f"{WORKER_LOST}: {why}")
        try:
            job.on_done(result)
        except Exception:
            log.exception("error handling the result of %s", job.key)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.killed_at is not None and now - job.killed_at > self.kill_grace:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(job.handle.pid, signal.SIGKILL)
            elif job.killed_at is None and job.hard_deadline is not None and now > job.hard_deadline:
                self._signal(job, signal.SIGTERM, "execution_timeout")
