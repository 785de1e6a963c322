"""`AppRunDriver`: one DAG run driven inside the DAG app, with the same run logic as `dags test`.

It is a `DagRunner` (the engine decides; `_run_one`/`_end_try` apply its decisions) that starts
tries in forked workers instead of running them inline, hands deferred tasks' triggers to the
app's trigger loop, and waits on one event queue for whatever it waits for: a try's result, a
trigger's outcome, a command, a retry coming due. One driver runs on one thread per active run.

Contract:
- `events.put(...)` (any thread) wakes the driver: `("result", key, TaskResult)` from the
  executor, `("trigger", TriggerOutcome)` from the trigger loop, `("reload", None)` after the
  broker changed the run from outside (clear, mark state: the store already holds the change;
  a worker whose instance is no longer running there is killed and its result ignored).
- `control.draining` stops it starting tries; once none is in flight `run` raises `RunLeft`
  and the run stays running in the store, for the next app to resume. A try killed by a drain
  is handed back as up_for_retry, due at once, with its retry not used up.
- A worker that died without answering (killed, crashed) is a failed try: up for retry or
  failed per the task's retries, as Airflow treats a task whose process vanished.
- Instances a crashed app left running are handled as zombies (`orphans = "retry"`).
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import logging
import queue
import threading
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import ErrorKind, outcome_of_try
from riir_airflow.runtime.app.executor import WORKER_LOST
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.task_runner import TryOutcome
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.wire.worker import TaskRequest, TaskResult

if TYPE_CHECKING:
    from riir_airflow.runtime.app.executor import ForkExecutor
    from riir_airflow.runtime.app.trigger_loop import TriggerLoop
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

__all__ = ["AppRunDriver", "RunControl", "RunLeft"]

log = logging.getLogger("riir_airflow.app.run")
_S = TaskInstanceState
_Key = tuple[str, int]
_request_ids = itertools.count(1)
EXECUTION_TIMEOUT_GRACE_SECONDS = 10.0
_POOL_RETRY_SECONDS = 1.0
_READY_STATES = (_S.NONE, _S.UP_FOR_RETRY, _S.UP_FOR_RESCHEDULE)


def runs_nothing(task: Any) -> bool:
    """Whether Airflow's scheduler would mark this task success without running it: an
    EmptyOperator (or subclass) with no on_execute or on_success callback, no inlets and no
    outlets. Mapped tasks are expanded and run as usual."""
    return bool(
        getattr(task, "inherits_from_empty_operator", False)
        and not getattr(task, "is_mapped", False)
        and getattr(task, "mapped_task_group_id", None) is None
        and not getattr(task, "on_execute_callback", None)
        and not getattr(task, "on_success_callback", None)
        and not getattr(task, "inlets", None)
        and not getattr(task, "outlets", None)
    )


class HandedBack(RuntimeError):
    """A try the drain killed: up for retry, due at once, its retry not used up."""


class RunLeft(Exception):
    """The driver stopped without finishing the run (drain, or the run was changed outside)."""


@dataclasses.dataclass
class RunControl:
    """What the app tells every driver: the broker to give workers, and whether it drains."""

    broker_url: str
    token: Any  # () -> current token
    fencing: Any  # () -> current fencing tokens
    logs: Any  # the app's LogShipper: it stores tries' writes, and their output with them
    draining: threading.Event = dataclasses.field(default_factory=threading.Event)


class AppRunDriver(DagRunner):
    def __init__(
        self,
        dag: DAG,
        store: Any,
        *,
        executor: ForkExecutor,
        triggers: TriggerLoop,
        control: RunControl,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(dag, store, clock)
        self.orphans = "retry"
        self.executor = executor
        self.trigger_loop = triggers
        self.control = control
        self.events: queue.Queue[tuple[str, Any, Any]] = queue.Queue()
        self.in_flight: dict[_Key, int] = {}
        self._ignored: set[int] = set()  # request ids whose results no longer count
        self._run_id: str | None = None
        self._pool_waiting = False  # a ready instance waits for pool slots: look again soon
        self._recorded_end: datetime.datetime | None = None  # the worker stored the try's end
        self._persist: dict[_Key, Any] = {}  # deferrals to store when they are taken in
        self._resumable: dict[_Key, Any] = {}  # persisted deferrals of the run being loaded
        # What the store held for an instance when its try was started: until the worker's first
        # batch lands, finding that there is no change from outside (see `_reload`).
        self._stored_before: dict[_Key, tuple[TaskInstanceState, int]] = {}

    # -- starting tries -------------------------------------------------------------------------
    def _succeed_without_running(
        self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], ready: list[_Key]
    ) -> list[_Key]:
        """As Airflow's scheduler: a ready EmptyOperator with no on_execute/on_success callback,
        inlets or outlets is marked success (a new try, starting and ending now, no log) without
        a worker, a pool slot or a parallelism slot; everything else runs."""
        if self.control.draining.is_set():
            return ready
        now = self.clock.now()
        to_run: list[_Key] = []
        done: list[TaskInstanceRecord] = []
        for key in ready:
            ti = tis.get(key)
            if ti is None or ti.state not in _READY_STATES or not runs_nothing(self.dag.task_dict[ti.task_id]):
                to_run.append(key)
                continue
            ti.state, ti.try_number, ti.start_date, ti.end_date = _S.SUCCESS, ti.try_number + 1, now, now
            ti.next_attempt_at = None
            done.append(ti)
        if done:
            self.store.put_task_instances(done)
        return to_run

    def _dispatch_order(self, tis: dict[_Key, TaskInstanceRecord], ready: Any) -> list[_Key]:
        """Ready instances by priority weight, those of a pool only once the broker granted
        their slots (the others wait for a later pass: `_pool_waiting`)."""
        self._pool_waiting = False
        if self.control.draining.is_set():
            return []
        order = sorted(ready, key=lambda k: -tis[k].priority_weight if k in tis else 0)
        return [key for key in order if key not in tis or self._pool_granted(tis[key])]

    def _pool_slots(self, ti: TaskInstanceRecord) -> Any:
        from riir_airflow.wire.pools import PoolSlots

        task = self.dag.task_dict[ti.task_id]
        if ti.map_index < 0 and (task.is_mapped or task.mapped_task_group_id is not None):
            return None  # a placeholder is expanded, not run
        if ti.pool in ("", "default_pool"):
            return None  # the default pool is bounded by the app's parallelism (see README)
        count = int(getattr(task, "pool_slots", None) or getattr(task, "partial_kwargs", {}).get("pool_slots") or 1)
        return PoolSlots(ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.pool, count)

    def _pool_granted(self, ti: TaskInstanceRecord) -> bool:
        slots = self._pool_slots(ti)
        if slots is None or self.store.acquire_pool_slots(slots):
            return True
        self._pool_waiting = True
        return False

    def _release_pool(self, ti: TaskInstanceRecord) -> None:
        slots = self._pool_slots(ti)
        if slots is not None:
            self.store.release_pool_slots(slots)

    def _run_one(
        self,
        run: DagRunRecord,
        tis: dict[_Key, TaskInstanceRecord],
        key: _Key,
        resume: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        if self.control.draining.is_set():
            return  # a drain starts nothing new; a deferred task stays deferred for the next app
        if key in tis:
            self._stored_before[key] = (tis[key].state, tis[key].try_number)
        super()._run_one(run, tis, key, resume)

    def _mark_running(self, ti: TaskInstanceRecord, resume: tuple[str, dict[str, Any]] | None) -> None:
        """Nothing here: the worker records the start (and deletes a new try's XComs) in the
        batch it sends first, so a short try costs one round trip from start to end."""

    def _execute(
        self,
        run: DagRunRecord,
        tis: dict[_Key, TaskInstanceRecord],
        key: _Key,
        resume: tuple[str, dict[str, Any]] | None,
    ) -> None:
        from riir_airflow.sdk.exceptions import TaskDeferralTimeout
        from riir_airflow.sdk.serde import serialize_value

        ti = tis[key]
        request = TaskRequest(
            request_id=next(_request_ids),
            run=dataclasses.replace(run),
            ti=dataclasses.replace(ti),
            broker_url=self.control.broker_url,
            token=self.control.token(),
            fencing=dict(self.control.fencing()),
        )
        if resume is not None and resume[0] == "__fail__":
            error = resume[1]["error"]
            request.resume_failure = "timeout" if isinstance(error, TaskDeferralTimeout) else str(error)
        elif resume is not None:
            request.resume_method, request.resume_kwargs = resume[0], serialize_value(resume[1])
        reschedule = self._reschedules.get((run.run_id, *key))
        if reschedule is not None:
            request.reschedule_first, request.reschedule_count = reschedule
        task = self.dag.task_dict[key[0]]
        limit = getattr(task, "execution_timeout", None)
        hard = limit.total_seconds() + EXECUTION_TIMEOUT_GRACE_SECONDS if limit else None
        self.in_flight[key] = request.request_id
        if self.control.draining.is_set():  # the drain began while this try was being started
            self._result(run, tis, key, TaskResult(request.request_id, "failed", error=f"{WORKER_LOST}: drain"))
            return
        self.executor.submit(request, lambda result: self._stored_then_taken(key, request, result), hard_timeout=hard)

    def _stored_then_taken(self, key: _Key, request: TaskRequest, result: TaskResult) -> None:
        """(Executor thread) The worker's unsent writes go to the broker with other tries' (the
        log shipper's group commit); the result is taken in once they are stored. Writes that
        are refused make the try a failed one (up for retry or failed per its retries)."""
        if not result.writes:
            self.events.put(("result", key, result))
            return

        def stored(error: BaseException | None) -> None:
            answer = result
            if error is not None:
                log.error("Task %s: what the try wrote could not be stored: %s", key, error)
                task = self.dag.task_dict[key[0]]
                ti = request.ti
                state = outcome_of_try(task, ti.try_number, ErrorKind.ERROR, max_tries=ti.max_tries)
                answer = TaskResult(request.request_id, state.value, error=f"{type(error).__name__}: {error}")
            self.events.put(("result", key, answer))

        self.control.logs.commit(result.writes, stored)

    def _deferral_record(self, ti: TaskInstanceRecord, d: Any) -> Any:
        from riir_airflow.store.records import DeferralRecord

        timeout_at = self.clock.now() + datetime.timedelta(seconds=d.timeout_seconds) if d.timeout_seconds else None
        return DeferralRecord(
            dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index,
            try_number=ti.try_number, classpath=d.classpath, trigger_kwargs=d.trigger_kwargs,
            method_name=d.method_name, kwargs=d.kwargs, timeout_at=timeout_at,
        )  # fmt: skip

    def _defer(self, key: _Key, deferral: Any, timeout_at: datetime.datetime | None = None) -> None:
        """Run the trigger on the app's loop; persist it (`set_deferral`) so a restarted app
        resumes it instead of retrying the task."""
        record = self._persist.pop(key, None)
        if record is not None:
            self.store.set_deferral(record)
            timeout_at = record.timeout_at
        elif timeout_at is None and deferral.timeout is not None:
            timeout_at = self.clock.now() + deferral.timeout
        self._deferred[key] = deferral
        self.trigger_loop.add(
            (self._run_id, key),
            deferral.trigger,
            timeout_at,
            lambda outcome: self.events.put(("trigger", dataclasses.replace(outcome, key=key), None)),
        )

    # -- waiting and taking in events ---------------------------------------------------------
    def run(self, run: DagRunRecord, **kwargs: Any) -> DagRunRecord:
        self._run_id = run.run_id
        return super().run(run, **kwargs)

    def _before_pass(self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord]) -> DagRunRecord | None:
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self._take(run, tis, event)
        if self.control.draining.is_set() and not self.in_flight:
            self._leave(run, tis, "the app drains")
        return None

    def _idle(
        self,
        run: DagRunRecord,
        tis: dict[_Key, TaskInstanceRecord],
        decision: Any,
        held: set[_Key],
        *,
        leave_blocked: bool,
    ) -> DagRunRecord | None:
        if self.in_flight or self._deferred or decision.wake_at is not None or self._pool_waiting:
            until = self._until(run, decision.wake_at)
            timeout = None
            if until is not None:
                timeout = max(0.0, (until - self.clock.now()).total_seconds())
            if self._pool_waiting:
                timeout = min(timeout, _POOL_RETRY_SECONDS) if timeout is not None else _POOL_RETRY_SECONDS
            if self.control.draining.is_set() and not self.in_flight:
                self._leave(run, tis, "the app drains")
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                return None
            self._take(run, tis, event)
            return None
        return super()._idle(run, tis, decision, held, leave_blocked=leave_blocked)

    def _leave(self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], why: str) -> None:
        for key in list(self._deferred):
            self.trigger_loop.cancel((run.run_id, key))
        log.info("run left running dag_id=%s run_id=%s reason=%s", run.dag_id, run.run_id, why)
        raise RunLeft(why)

    def _trigger_done(self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], outcome: Any) -> None:
        super()._trigger_done(run, tis, outcome)
        key = outcome.key
        self.store.delete_deferral(run.dag_id, run.run_id, key[0], key[1])

    def _load_instances(self, run: DagRunRecord) -> dict[_Key, TaskInstanceRecord]:
        """As `DagRunner`'s, and deferred instances whose trigger was persisted (by an app that
        is gone) wait on it again, here, with their original timeout."""
        fresh = DagRunState(run.state) is DagRunState.QUEUED and run.clear_number == 0
        self._resumable = {} if fresh else {  # a run never started has nothing deferred
            (d.task_id, d.map_index): d for d in self.store.get_deferrals(run.dag_id, run.run_id)
        }
        tis = super()._load_instances(run)
        for key, record in self._resumable.items():
            ti = tis.get(key)
            if ti is not None and ti.state is _S.DEFERRED and ti.try_number == record.try_number:
                self._resume_persisted(key, record)
        self._resumable = {}
        return tis

    def _orphaned(self, run: DagRunRecord, task: Any, ti: TaskInstanceRecord) -> None:
        record = self._resumable.get(ti.key)
        if ti.state is _S.DEFERRED and record is not None and record.try_number == ti.try_number:
            log.info("Task %s stays deferred: resuming its persisted trigger", ti.key)
            return
        super()._orphaned(run, task, ti)

    def _resume_persisted(self, key: _Key, record: Any) -> None:
        from riir_airflow.sdk.exceptions import TaskDeferred
        from riir_airflow.sdk.serde import deserialize_value
        from riir_airflow.sdk.triggers import trigger_from_serialized

        try:
            trigger = trigger_from_serialized(record.classpath, deserialize_value(record.trigger_kwargs))
        except Exception as exc:  # noqa: BLE001 - a trigger that cannot be rebuilt fails on resume
            log.error("Cannot rebuild the trigger of %s: %r", key, exc)
            from riir_airflow.runtime.triggerer import TriggerOutcome

            self._deferred[key] = TaskDeferred(trigger=None, method_name=record.method_name)
            self.events.put(("trigger", TriggerOutcome(key, error=exc), None))
            return
        deferral = TaskDeferred(
            trigger=trigger,
            method_name=record.method_name,
            kwargs=deserialize_value(record.kwargs) if record.kwargs else None,
        )
        self._defer(key, deferral, timeout_at=record.timeout_at)

    def _take(self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], event: tuple[str, Any, Any]) -> None:
        kind = event[0]
        if kind == "result":
            self._result(run, tis, event[1], event[2])
        elif kind == "trigger":
            if event[1].key in self._deferred:
                self._trigger_done(run, tis, event[1])
        elif kind == "reload":
            self._reload(run, tis)

    def _result(
        self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], key: _Key, result: TaskResult
    ) -> None:
        if self.in_flight.get(key) == result.request_id:
            del self.in_flight[key]
            self._stored_before.pop(key, None)
        if result.request_id in self._ignored:
            self._ignored.discard(result.request_id)
            if key in tis:
                self._release_pool(tis[key])
            return
        ti = tis.get(key)
        if ti is None:
            return
        if result.state != "deferred":
            self._release_pool(ti)
        self._recorded_end = result.end_date if result.recorded else None
        try:
            self._end_try(run, tis, key, self._outcome(run, ti, key, result))
        finally:
            self._recorded_end = None

    def _outcome(self, run: DagRunRecord, ti: TaskInstanceRecord, key: _Key, result: TaskResult) -> TryOutcome:
        """The try's outcome from the worker's answer (or from its death)."""
        from riir_airflow.sdk.exceptions import AirflowRescheduleException, TaskDeferred
        from riir_airflow.sdk.serde import deserialize_value
        from riir_airflow.sdk.triggers import trigger_from_serialized

        state = _S(result.state)
        error: BaseException | None = RuntimeError(result.error) if result.error else None
        if result.error and result.error.startswith(WORKER_LOST):
            task = self.dag.task_dict[key[0]]
            if result.error.endswith(": drain"):
                log.warning("Task %s handed back for retry: the app drained", key)
                ti.max_tries = max(ti.max_tries, ti.try_number)  # the hand-back does not use a retry
                return TryOutcome(state=_S.UP_FOR_RETRY, error=HandedBack(result.error))
            log.error("Task %s: its worker died without an answer (%s)", key, result.error)
            state = outcome_of_try(task, ti.try_number, ErrorKind.ERROR, max_tries=ti.max_tries)
        if state is _S.DEFERRED and result.deferral is not None:
            d = result.deferral
            self._persist[key] = self._deferral_record(ti, d)
            trigger = trigger_from_serialized(d.classpath, deserialize_value(d.trigger_kwargs))
            timeout = datetime.timedelta(seconds=d.timeout_seconds) if d.timeout_seconds is not None else None
            error = TaskDeferred(
                trigger=trigger,
                method_name=d.method_name,
                kwargs=deserialize_value(d.kwargs) if d.kwargs else None,
                timeout=timeout,
            )
        elif state is _S.UP_FOR_RESCHEDULE and result.reschedule_date is not None:
            error = AirflowRescheduleException(result.reschedule_date)
        return TryOutcome(state=state, error=error, skip_downstream=list(result.skip_downstream))

    def _end_try(
        self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], key: _Key, outcome: TryOutcome
    ) -> None:
        super()._end_try(run, tis, key, outcome)
        if outcome.state is _S.UP_FOR_RETRY and isinstance(outcome.error, HandedBack):  # due at once
            tis[key].next_attempt_at = tis[key].end_date
            self.store.put_task_instances([tis[key]])

    def _save_outcome(self, key: _Key, outcome: TryOutcome, changed: list[TaskInstanceRecord]) -> None:
        """At most one round trip for a try's end: whatever the try's own writes (stored before
        its result was taken in) did not hold, with the output read so far. When they held
        everything (a plain success) nothing is sent here: the output follows within the shipper's interval, and a run's logs are all
        delivered before its own end is recorded (`_finish`)."""
        if self._recorded_end is not None and changed and changed[0].state is outcome.state:
            changed[0].end_date = self._recorded_end  # as the worker stored it: nothing to write
            changed = changed[1:]
            if not changed:
                return  # its last output follows with the shipper's next batch (or the run's end)
        logs = self.control.logs.take()
        calls = [*logs, *([("put_task_instances", {"records": changed})] if changed else [])]
        if not calls:
            return
        try:
            outcomes = self.store.batch(calls)
        except Exception:
            if logs:
                self.control.logs.give_back(logs)
            raise
        if logs:
            self.control.logs.sent(logs, outcomes[: len(logs)])
        for answer in outcomes[len(logs) :]:
            if isinstance(answer, Exception):
                raise answer

    def _finish(self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord], state: Any, reason: str) -> DagRunRecord:
        self.control.logs.flush()
        return super()._finish(run, tis, state, reason)

    def _reload(self, run: DagRunRecord, tis: dict[_Key, TaskInstanceRecord]) -> None:
        """The broker changed this run (clear, mark state): take the store's view of it."""
        stored_run = self.store.get_dag_run(run.dag_id, run.run_id)
        if stored_run is None or DagRunState(stored_run.state) in (DagRunState.SUCCESS, DagRunState.FAILED):
            for key in list(self.in_flight):
                self._stop_try(run, key)
            self._leave(run, tis, "deleted" if stored_run is None else f"marked {stored_run.state.value}")
        run.clear_number = stored_run.clear_number
        self._past_deps = {k: v for k, v in self._past_deps.items() if k[0] != run.run_id}
        for stored in self.store.get_task_instances(run.dag_id, run.run_id):
            key = stored.key
            current = tis.get(key)
            if key in self.in_flight and (stored.state, stored.try_number) == self._stored_before.get(key):
                continue  # its try started and has not said so yet: nothing changed from outside
            if key in self.in_flight and stored.state is not _S.RUNNING:
                self._stop_try(run, key)  # changed from outside: the try no longer counts
            if key in self._deferred and stored.state is not _S.DEFERRED:
                self._deferred.pop(key, None)
                self.trigger_loop.cancel((run.run_id, key))
            if current is None or (current.state, current.try_number) != (stored.state, stored.try_number):
                tis[key] = stored
        placeholder_gone = [k for k in tis if k[1] < 0 and (k[0], 0) in tis]
        for key in placeholder_gone:
            del tis[key]

    def _stop_try(self, run: DagRunRecord, key: _Key) -> None:
        self._stored_before.pop(key, None)
        request_id = self.in_flight.pop(key, None)
        if request_id is not None:
            self._ignored.add(request_id)
            self.executor.kill((run.dag_id, run.run_id, key[0], key[1]), reason="state changed outside")
