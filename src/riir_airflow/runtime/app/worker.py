"""Inside a forked task worker: run the one try a `TaskRequest` describes, answer a `TaskResult`.

The worker was forked from the app's fork server, so the DAG is already imported: it builds
nothing but the try's own objects. It talks to the broker with its own connection (a
`WorkerStore`: the app's token and fencing tokens) for XComs, variables, connections and
rendered fields. Its log lines go to stderr, which is a pipe the app reads and ships to the
broker in batches while the task runs; so the store's own `append_log` is not used here.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any

from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.wire.messages import dump, load
from riir_airflow.wire.worker import Deferral, TaskRequest, TaskResult

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["WorkerStore", "run_request", "warm_up"]

# A worker waits out a broker outage rather than failing the task: about ten minutes of retries.
WORKER_BROKER_RETRIES = 130
# How long a try's held-back writes (its start, first of all) may wait for the batch that ends
# it: a try still running then is shown running in the store at most this late.
HOLD_BACK_SECONDS = 0.2
_RECORDED_HERE = {"success", "failed", "skipped"}


class WorkerStore(BrokerStore):
    """The broker store of one task worker. Logs go to stderr (the app ships them), not here.

    The try's own writes (its start, rendered fields, XComs, its final state) are held back and
    sent in order as one batch: before the worker reads anything (so it reads its own writes)
    and at the latest `hold_back` seconds after the first was held (so a try that runs longer
    shows as running while it runs). What is still held at the end is `take_held()`: the app
    sends it with other tries' writes, so a no-op task costs the broker no round trip of its
    own. A failed flush keeps nothing back: the caller decides the try's fate.
    """

    HELD_BACK = frozenset({"set_rendered_fields", "set_xcom", "delete_xcoms", "put_task_instances"})

    def __init__(self, *args: Any, hold_back: float = HOLD_BACK_SECONDS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[tuple[str, dict[str, Any]]] = []
        self._hold_back = hold_back
        self._lock = threading.RLock()  # the timer's flush and the task's calls share one connection
        self._timer: threading.Timer | None = None
        self.flush_error: BaseException | None = None  # what the timer's flush failed with

    def append_log(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _call(self, op_name: str, /, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            if op_name in self.HELD_BACK and not args:
                self._held.append((op_name, kwargs))
                if self._timer is None:
                    self._timer = threading.Timer(self._hold_back, self._flush_late)
                    self._timer.daemon = True
                    self._timer.start()
                return None
            self.flush()
            return super()._call(op_name, *args, **kwargs)

    def flush(self) -> None:
        """Send the held-back writes in order; the first that failed (here or in the timer's
        flush) is raised."""
        with self._lock:
            self._send(self._take())

    def take_held(self) -> list[Any]:
        """The writes still held back, encoded (`BatchCall`s), no longer held; raises what the
        timer's flush failed with. A task-instance record a later held write replaces (the
        try's start, by its end) is left out: the store would only overwrite it."""
        with self._lock:
            return self.encode_calls(_without_replaced(self._take()))

    def _take(self) -> list[tuple[str, dict[str, Any]]]:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        error, self.flush_error = self.flush_error, None
        if error is not None:
            raise error
        held, self._held = self._held, []
        return held

    def _flush_late(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - raised by the try's next flush
            self.flush_error = exc

    def _send(self, held: list[tuple[str, dict[str, Any]]]) -> None:
        if held:
            for outcome in self.batch(held):
                if isinstance(outcome, Exception):
                    raise outcome


def _without_replaced(held: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    later: set[tuple[str, str, str, int]] = set()
    kept: list[tuple[str, dict[str, Any]]] = []
    for name, kwargs in reversed(held):
        if name == "put_task_instances":
            records = [r for r in kwargs["records"] if (r.dag_id, r.run_id, *r.key) not in later]
            later.update((r.dag_id, r.run_id, *r.key) for r in kwargs["records"])
            if not records:
                continue
            kwargs = {**kwargs, "records": records}
        kept.append((name, kwargs))
    return kept[::-1]


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from riir_airflow.sdk.masking import redact

        return redact(super().format(record))


def _log_to_stderr() -> None:
    from riir_airflow.runtime.task_logs import LOG_FORMAT

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def _resume(request: TaskRequest) -> tuple[str, dict[str, Any]] | None:
    from riir_airflow.sdk.exceptions import AirflowFailException, TaskDeferralTimeout
    from riir_airflow.sdk.serde import deserialize_value

    if request.resume_failure == "timeout":
        return ("__fail__", {"error": TaskDeferralTimeout("Trigger/execution timeout")})
    if request.resume_failure is not None:
        return ("__fail__", {"error": AirflowFailException(f"Trigger failure: {request.resume_failure}")})
    if request.resume_method is not None:
        kwargs = deserialize_value(request.resume_kwargs) if request.resume_kwargs else {}
        return (request.resume_method, kwargs)
    return None


def _deferral(error: Any) -> Deferral:
    from riir_airflow.sdk.serde import serialize_value

    classpath, trigger_kwargs = error.trigger.serialize()
    timeout = error.timeout.total_seconds() if isinstance(error.timeout, datetime.timedelta) else None
    return Deferral(
        classpath=classpath,
        trigger_kwargs=serialize_value(trigger_kwargs),
        method_name=error.method_name,
        kwargs=serialize_value(error.kwargs) if error.kwargs is not None else None,
        timeout_seconds=timeout,
    )


def warm_up() -> None:
    """Import what a try needs, in the app before it forks its fork server: every worker then
    starts with it loaded (copy-on-write) instead of importing it again (over 100 ms a try)."""
    import http.client  # noqa: F401
    import importlib

    for name in (
        "encodings.idna", "jinja2", "jinja2.ext", "jinja2.nativetypes", "jinja2.sandbox", "pprint",
        "riir_airflow.macros", "riir_airflow.sdk.context_accessors", "riir_airflow.sdk.macros",
        "riir_airflow.compat.config", "riir_airflow.engine", "riir_airflow.runtime.assets",
        "riir_airflow.runtime.clock", "riir_airflow.runtime.context", "riir_airflow.runtime.mapping",
        "riir_airflow.runtime.rendering", "riir_airflow.runtime.task_instance",
        "riir_airflow.runtime.task_logs", "riir_airflow.runtime.task_runner", "riir_airflow.sdk.serde",
        "riir_airflow.sdk.templating", "riir_airflow.sdk.triggers", "riir_airflow.store.broker_client",
    ):  # fmt: skip
        importlib.import_module(name)
    from riir_airflow.compat.config import conf

    conf.get("core", "default_timezone", fallback="utc")  # parse the configuration once
    from riir_airflow.wire import messages
    from riir_airflow.wire.codec import prepare
    from riir_airflow.wire.store_ops import store_ops

    ops = store_ops().values()  # the wire ops, derived from the Store protocol's type hints once
    prepare(
        TaskRequest, TaskResult, messages.StoreRequest, messages.StoreResponse, messages.BatchRequest,
        messages.BatchResponse, messages.ErrorResponse,
        *(op.result for op in ops), *(param.type for op in ops for param in op.params),
    )  # fmt: skip


def run_request(dags: dict[str, DAG], data: bytes) -> bytes:
    """The fork server's target: decode the request, run the try, encode how it ended."""
    from riir_airflow.engine import ErrorKind, outcome_of_try
    from riir_airflow.runtime.clock import SystemClock
    from riir_airflow.runtime.task_runner import run_try
    from riir_airflow.sdk.state import TaskInstanceState

    _log_to_stderr()
    request = load(data, TaskRequest)
    store = WorkerStore(request.broker_url, request.token, retries=WORKER_BROKER_RETRIES)
    store.fencing = dict(request.fencing)
    ti, run = request.ti, request.run
    dag = dags[ti.dag_id]
    task = dag.task_dict[ti.task_id]
    clock = SystemClock()
    if task.is_mapped:
        from riir_airflow.runtime.mapping import operator_for_instance

        try:
            task = operator_for_instance(task, ti.map_index, run, store, clock)
        except Exception as exc:  # noqa: BLE001 - e.g. .map() over a dict: the instance fails
            logging.getLogger("riir_airflow.task").error("Cannot build %s[%s]: %r", ti.task_id, ti.map_index, exc)
            state = outcome_of_try(task, ti.try_number, ErrorKind.ERROR, max_tries=ti.max_tries)
            return dump(TaskResult(request.request_id, state.value, error=repr(exc)))
    store.put_task_instances([dataclasses.replace(ti)])  # the try starts: held back with the rest
    reschedule = (
        (request.reschedule_first, request.reschedule_count) if request.reschedule_first is not None else None
    )
    outcome = run_try(task, ti, run, store, clock, reschedule=reschedule, resume=_resume(request))
    recorded = outcome.state.value in _RECORDED_HERE
    if recorded:
        # In the writes the app stores before it acts on the result: a restarted app finds the
        # try's real end once it was taken in (a success is never run twice), not a zombie.
        ti.state, ti.end_date = outcome.state, clock.now()
        store.put_task_instances([ti])
    try:
        writes = store.take_held()
    except Exception as exc:  # noqa: BLE001 - what the try wrote did not all arrive: it failed
        logging.getLogger("riir_airflow.task").error("Could not record what the try wrote: %r", exc)
        state = outcome_of_try(task, ti.try_number, ErrorKind.ERROR, max_tries=ti.max_tries)
        return dump(TaskResult(request.request_id, state.value, error=f"{type(exc).__name__}: {exc}"))
    result = TaskResult(
        request.request_id,
        outcome.state.value,
        error=repr(outcome.error) if outcome.error is not None else None,
        skip_downstream=list(outcome.skip_downstream),
        end_date=ti.end_date if recorded else None,
        recorded=recorded,
        writes=writes,
    )
    if outcome.state is TaskInstanceState.UP_FOR_RESCHEDULE:
        result.reschedule_date = getattr(outcome.error, "reschedule_date", None)
    elif outcome.state is TaskInstanceState.DEFERRED:
        result.deferral = _deferral(outcome.error)
    store.close()
    return dump(result)
