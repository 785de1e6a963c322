"""Shipping task output and tries' writes to the broker: batched, in order, kept while it is away.

Contract of `LogShipper`:
- `add(ti, text)` (any thread) queues output of try `ti.try_number` of `ti`; a background
  thread sends what is queued every `interval` seconds as one batch of `append_log` calls (one
  round trip, applied once by the broker even when retried), so a running task's log is
  readable within about `interval`.
- While the broker cannot be reached the chunks stay queued, in order, and go out when it is
  back; the app's log says so once per outage. Up to `memory_bytes` wait in memory, then up to
  `disk_bytes` more in a spool file (`OutputQueue`); beyond that new output is dropped and the
  next chunk sent says how much.
- A request carries about `LOG_BYTES_PER_BATCH` of output at most, so it stays under the
  broker's request size limit however much a task printed; a batch the broker still finds too
  large (413: many tries' big XComs or rendered fields) is split, and one try's writes that are
  too large on their own are refused for that try alone. Neither is taken for an outage.
- `commit(calls, done)` (any thread) queues the encoded writes of a finished try (its worker's
  `TaskResult.writes`) and wakes the thread at once: everything queued meanwhile, from every
  try and with the output queued before, goes in one round trip (group commit: the more tries
  end at once, the fewer requests per try). `done(error)` is called once they are stored
  (`error` None) or refused (the first refusal); while the broker is away they wait, in order,
  and the thread retries with backoff.
- `flush()` sends everything queued now (as many requests as it takes) and returns whether
  everything went; `close()` flushes and stops.
  `take()` / `give_back()` / `sent()` let a caller put the queued chunks into a batch of its
  own (the app sends a finished try's last output with its state, in one round trip).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from riir_airflow.runtime.app.output_queue import OutputQueue
from riir_airflow.store.records import TaskInstanceRecord
from riir_airflow.wire.errors import RequestTooLarge
from riir_airflow.wire.messages import BatchCall

__all__ = ["LogShipper"]

log = logging.getLogger("riir_airflow.app.logs")
_Key = tuple[str, str, str, int, int]
_Commit = tuple[list[BatchCall], Callable[[BaseException | None], None]]
# Tries whose writes go in one request at most (a request body stays well under the broker's limit).
MAX_COMMITS_PER_BATCH = 128
# Characters of task output in one request at most: JSON escaping can make text up to 6x
# larger, and the broker refuses bodies over `[riir] max_request_bytes` (8 MiB by default).
LOG_BYTES_PER_BATCH = 1024 * 1024


def _group_commits(
    head: list[BatchCall], commits: list[_Commit]
) -> tuple[list[BatchCall], list[tuple[int, int, int | None]]]:
    """One batch: `head` (log chunks), then each try's writes in its own order except its last
    task-instance write (its end), which goes with every other try's in one call at the end:
    it stays after the try's other writes, and the broker upserts all the ends at once. Also,
    per commit, (first position, count, position of the call holding its end or None)."""
    calls = list(head)
    spans: list[tuple[int, int, int | None]] = []
    ends: list[Any] = []
    for writes, _ in commits:
        body = writes
        has_end = bool(writes) and writes[-1].op == "put_task_instances"
        if has_end:
            ends.extend(writes[-1].args["records"])
            body = writes[:-1]
        spans.append((len(calls), len(body), has_end))
        calls.extend(body)
    ends_at = len(calls) if ends else None
    if ends:
        calls.append(BatchCall(op="put_task_instances", args={"records": ends}))
    return calls, [(at, count, ends_at if has_end else None) for at, count, has_end in spans]


class LogShipper:
    def __init__(
        self,
        store: Any,
        *,
        interval: float = 0.25,
        memory_bytes: int = 16 * 1024 * 1024,
        disk_bytes: int = 1024 * 1024 * 1024,
        spool_dir: str | None = None,
    ) -> None:
        self._store = store
        self.interval = interval
        self._queue = OutputQueue(memory_bytes=memory_bytes, disk_bytes=disk_bytes, spool_dir=spool_dir)
        self._commits_per_batch = MAX_COMMITS_PER_BATCH  # halved by a 413, grows back after
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._urgent = threading.Event()  # a try's writes wait: send now, not after `interval`
        self._commits: list[_Commit] = []
        self._outage = False
        self._thread = threading.Thread(target=self._loop, name="log-shipper", daemon=True)
        self._thread.start()

    def add(self, ti: TaskInstanceRecord, text: str) -> None:
        key = (ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)
        with self._lock:
            self._queue.push(key, text)

    def commit(self, calls: list[BatchCall], done: Callable[[BaseException | None], None]) -> None:
        with self._lock:
            self._commits.append((calls, done))
        self._urgent.set()

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        """What is queued (about `LOG_BYTES_PER_BATCH` at most), as `append_log` calls (one per
        try), for a caller that sends them in a batch of its own; `give_back(calls)` if that
        batch did not go."""
        with self._lock:
            batch, dropped = self._queue.take(LOG_BYTES_PER_BATCH)
        merged: dict[_Key, list[str]] = {}
        for key, text in batch:
            merged.setdefault(key, []).append(text)
        if dropped and merged:
            first = next(iter(merged))
            merged[first].insert(
                0, f"[riir-airflow: {dropped} characters of output dropped while the broker was away]\n"
            )
        return [
            ("append_log", {"dag_id": k[0], "run_id": k[1], "task_id": k[2], "map_index": k[3],
                            "try_number": k[4], "text": "".join(parts)})
            for k, parts in merged.items()
        ]  # fmt: skip

    def give_back(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        with self._lock:
            back = [((kw["dag_id"], kw["run_id"], kw["task_id"], kw["map_index"], kw["try_number"]), kw["text"])
                    for _, kw in calls]  # fmt: skip
            self._queue.give_back(back)

    def sent(self, calls: list[tuple[str, dict[str, Any]]], outcomes: list[Any]) -> None:
        """Note how a batch with `calls` went: refused chunks are logged (not retried)."""
        if self._outage:
            log.info("task logs delivered again after a broker outage")
            self._outage = False
        for (_, kwargs), outcome in zip(calls, outcomes, strict=False):
            if isinstance(outcome, Exception):
                log.error("task log chunk refused dag_id=%s run_id=%s task_id=%s: %s",
                          kwargs["dag_id"], kwargs["run_id"], kwargs["task_id"], outcome)  # fmt: skip

    def flush(self) -> bool:
        with self._send_lock:
            while True:
                sent = self._send_one_batch()
                if sent is not True:
                    return sent is None  # None: nothing was left to send

    def _send_one_batch(self) -> bool | None:
        """One request: queued output (up to the budget) and the oldest commits. True if it
        went, False if it did not (everything is queued again), None if nothing was queued."""
        with self._lock:
            commits = self._commits[: self._commits_per_batch]
            del self._commits[: len(commits)]
        logs = self.take()
        if not logs and not commits:
            return None
        logs_calls = self._store.encode_calls(logs)
        calls, spans = _group_commits(logs_calls, commits)
        try:
            outcomes = self._store.send_batch(calls)
        except RequestTooLarge as exc:
            self._requeue(logs, commits)
            return self._split_after_too_large(exc, len(commits))
        except Exception as exc:  # noqa: BLE001 - keep everything, try again later
            self._requeue(logs, commits)
            if not self._outage:
                log.warning("cannot reach the broker, keeping task logs and writes until it answers: %s", exc)
                self._outage = True
            return False
        self.sent(logs, outcomes[: len(logs)])
        for (_, done), (at, count, ends_at) in zip(commits, spans, strict=True):
            mine = outcomes[at : at + count] + ([outcomes[ends_at]] if ends_at is not None else [])
            refused = [o for o in mine if isinstance(o, Exception)]
            done(refused[0] if refused else None)
        self._commits_per_batch = min(self._commits_per_batch * 2, MAX_COMMITS_PER_BATCH)
        return True

    def _requeue(self, logs: list[tuple[str, dict[str, Any]]], commits: list[_Commit]) -> None:
        self.give_back(logs)
        with self._lock:
            self._commits[:0] = commits

    def _split_after_too_large(self, exc: RequestTooLarge, n_commits: int) -> bool:
        """The broker refused a batch as too large: send fewer tries' writes per batch; one
        try's writes that are too large alone are refused for that try (it fails), since no
        retry can make them fit. True: go on sending."""
        if n_commits > 1:
            self._commits_per_batch = max(1, n_commits // 2)
            return True
        with self._lock:
            if n_commits == 1:
                _, done = self._commits.pop(0)
            else:
                done = None
        if done is None:  # output alone too large: the broker's limit is below LOG_BYTES_PER_BATCH
            log.error("the broker refused a batch of task output as too large: %s", exc)
            with self._lock:
                self._queue.take(LOG_BYTES_PER_BATCH)  # drop it rather than block every write
            return True
        log.error("the broker refused one try's writes as too large: %s", exc)
        done(exc)
        return True

    def _loop(self) -> None:
        delay = self.interval
        while not self._stop.is_set():
            if self._outage:  # backing off: a try's writes do not hurry the next attempt
                self._stop.wait(delay)
            else:
                self._urgent.wait(delay)
            self._urgent.clear()
            if self._stop.is_set():
                break
            delay = self.interval if self.flush() else min(delay * 2, 5.0)

    def close(self) -> None:
        self._stop.set()
        self._urgent.set()
        self._thread.join(timeout=5)
        self.flush()
        with self._lock:
            self._queue.close()
