"""Driving one DAG run to its end in this process, one task at a time (what `dags test` does).

Each step asks the engine what to do (`decide`), persists the decision in the store, runs at
most one ready task, and repeats; when only retries are waiting it sleeps on the clock until
the earliest one is due. Nothing here decides semantics: trigger rules, retry outcomes and
delays, branch skips, depends_on_past and the run's final state all come from the engine.

`run` also resumes a run that was started before (cleared, or left running by a process that
is gone): it continues from the task instances in the store. The runner's helpers live next to
it: making runs queued (`run_creation`: manual, planned, scheduled, requeued; `DagRunner`'s
`create_*`/`requeue_run` methods call them), loading and expanding a run's task instances
(`run_instances`), and the depends_on_past checks (`past_deps`).

The underscore methods are hooks a subclass overrides (`AppRunDriver` runs tries in forked
workers): keep their names and signatures.
"""

from __future__ import annotations

import datetime
import logging
import re
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import ErrorKind, decide, fail_fast_changes, outcome_of_try, retry_delay_for
from riir_airflow.engine.graph import topology_of
from riir_airflow.runtime import run_creation, run_instances
from riir_airflow.runtime.clock import Clock, SystemClock
from riir_airflow.runtime.past_deps import PastDeps
from riir_airflow.runtime.task_runner import TryOutcome, run_try
from riir_airflow.sdk.exceptions import TaskDeferred
from riir_airflow.sdk.state import DagRunState, TaskInstanceState

if TYPE_CHECKING:
    from riir_airflow.engine import PlannedRun
    from riir_airflow.runtime.triggerer import TriggerOutcome, TriggerRunner
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.sdk.run_type import DagRunType
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord

__all__ = ["DagRunner"]

log = logging.getLogger("riir_airflow.runtime")
_S = TaskInstanceState
_FINISHED = {_S.SUCCESS, _S.FAILED, _S.SKIPPED, _S.UPSTREAM_FAILED, _S.REMOVED}


class DagRunner:
    """Runs DAG runs of one DAG against a store, with a clock (tests pass a FakeClock)."""

    def __init__(
        self,
        dag: DAG,
        store: Store,
        clock: Clock | None = None,
        *,
        mark_success_pattern: str | re.Pattern[str] | None = None,
    ) -> None:
        dag.validate()
        self.dag = dag
        self.topology = topology_of(dag)  # the engine's view of the graph, built once (not per pass)
        self.store = store
        self.clock = clock or SystemClock()
        # When each run really started here (dagrun_timeout counts from it).
        self._clock_start: dict[str, datetime.datetime | None] = {}
        # The instances scheduled in the current pass (a skip request does not reach them).
        self._scheduled: set[tuple[str, int]] = set()
        # Deferred tasks: their triggers run on one event loop; what each will resume with.
        self._triggers: TriggerRunner | None = None
        self._deferred: dict[tuple[str, int], TaskDeferred] = {}
        # Reschedule-mode sensors: (first poke of the try, reschedules so far) per instance.
        self._reschedules: dict[tuple[str, str, int], tuple[datetime.datetime, int]] = {}
        self._past = PastDeps(dag, store)
        self.blocked: dict[tuple[str, int], str] = {}
        """After `run` returned a run still running: its instances depends_on_past holds, and why."""
        self.orphans = "rerun"
        """What `run` does with instances a gone process left in flight: see `_orphaned`."""
        self.mark_success = (
            re.compile(mark_success_pattern)
            if isinstance(mark_success_pattern, str)
            else mark_success_pattern
        )

    @property
    def _past_deps(self) -> dict[tuple[str, str, int], str | None]:
        """The depends_on_past verdicts so far (`PastDeps.verdicts`). A subclass that learns the
        store changed a run drops that run's verdicts by assigning what is left (as
        `AppRunDriver._reload` does)."""
        return self._past.verdicts

    @_past_deps.setter
    def _past_deps(self, verdicts: dict[tuple[str, str, int], str | None]) -> None:
        self._past.verdicts = verdicts

    # -- creating runs (see `run_creation`) ----------------------------------------------------
    def create_manual_run(
        self,
        *,
        logical_date: datetime.datetime | None,
        run_after: datetime.datetime | None = None,
        conf: dict[str, Any] | None = None,
        run_id: str | None = None,
        triggered_by: str = "test",
        replace_existing: bool = True,
    ) -> DagRunRecord:
        """A manual run as `dag.test()` makes it, run_after now by default
        (`run_creation.create_manual_run`)."""
        return run_creation.create_manual_run(
            self.dag,
            self.store,
            logical_date=logical_date,
            run_after=run_after or self.clock.now(),
            conf=conf,
            run_id=run_id,
            triggered_by=triggered_by,
            replace_existing=replace_existing,
        )

    def create_planned_run(
        self, planned: PlannedRun, *, conf: dict[str, Any] | None = None, triggered_by: str | None = None
    ) -> DagRunRecord:
        """A scheduled or backfill run the engine planned, queued (`run_creation.create_planned_run`)."""
        return run_creation.create_planned_run(
            self.dag, self.store, planned, conf=conf, triggered_by=triggered_by
        )

    def create_scheduled_runs(
        self, now: datetime.datetime | None = None, *, runs: list[DagRunRecord] | None = None
    ) -> list[DagRunRecord]:
        """The scheduled runs due at `now` (the clock's by default), created queued
        (`run_creation.create_scheduled_runs`)."""
        return run_creation.create_scheduled_runs(self.dag, self.store, now or self.clock.now(), runs=runs)

    def requeue_run(
        self,
        run: DagRunRecord,
        *,
        task_ids: list[str] | None = None,
        run_type: DagRunType | None = None,
        triggered_by: str | None = None,
        conf: dict[str, Any] | None = None,
    ) -> DagRunRecord:
        """Clear `task_ids` (all tasks when None) of `run` and queue it again, as Airflow's clear
        does (`run_creation.requeue_run`)."""
        return run_creation.requeue_run(
            self.store, run, task_ids=task_ids, run_type=run_type, triggered_by=triggered_by, conf=conf
        )

    # -- running ----------------------------------------------------------------------------------
    def run(
        self, run: DagRunRecord, *, first_in_backfill: bool = False, leave_blocked: bool = False
    ) -> DagRunRecord:
        """Run `run` until it is over; returns the final run record.

        A run started before continues from its task instances in the store: a cleared one
        runs what was cleared; instances a process that is gone left in flight (running,
        queued, deferred...) run again, as Airflow re-runs a task cleared while running. A
        run that was already running keeps its start_date (dagrun_timeout counts from it).

        `first_in_backfill`: the run is the first of a backfill, so depends_on_past passes (as
        in Airflow). When nothing but instances held by depends_on_past is left, the run ends
        failed naming them, unless `leave_blocked`: then it is returned still running, as
        Airflow leaves it waiting for its previous run, with `self.blocked` saying why.
        """
        store = self.store
        self.blocked = {}
        self._past.begin(run.run_id, first_in_backfill=first_in_backfill)
        tis = self._load_instances(run)
        resumed = DagRunState(run.state) is DagRunState.RUNNING and run.start_date is not None
        run.state = DagRunState.RUNNING
        self._clock_start[run.run_id] = self.clock.now() if not resumed else run.start_date
        if not resumed:
            # dag.test() stamps a test run's start_date with its logical date (prev_start_date_success
            # and {{ dag_run.start_date }} show it); timeouts still count from the real start.
            test_run = run.triggered_by == "test" and run.logical_date is not None
            run.start_date = run.logical_date if test_run else self.clock.now()
        store.update_dag_run(run.dag_id, run.run_id, state=run.state, start_date=run.start_date)
        run_instances.expand_literal_mappings(self.dag, store, self.clock, run, tis)

        while True:
            ended = self._before_pass(run, tis)
            if ended is not None:
                return ended
            if self._timed_out(run):
                return self._finish(run, tis, DagRunState.FAILED, "timed_out")
            held = self._past.held(run, tis)
            decision = decide(
                self.topology,
                {key: ti.state for key, ti in tis.items()},
                now=self.clock.now(),
                next_retry_at={key: ti.next_attempt_at for key, ti in tis.items() if ti.next_attempt_at},
                held=held,
            )
            if decision.changes:
                for key, state in decision.changes.items():
                    tis[key].state = state
                store.put_task_instances([tis[key] for key in decision.changes])
            if decision.run_state is not None:
                reason = (
                    "all_tasks_deadlocked"
                    if decision.deadlocked
                    else ("success" if decision.run_state is DagRunState.SUCCESS else "task_failure")
                )
                if decision.deadlocked:
                    log.error("Dag run %s is deadlocked: %s", run.run_id, dict(decision.waiting))
                return self._finish(run, tis, decision.run_state, reason)
            to_run = self._succeed_without_running(run, tis, list(decision.ready))
            ready = self._dispatch_order(tis, to_run)
            if ready:
                # Like one pass of Airflow's dag.test(): everything ready is scheduled at once and
                # runs, even if a sibling run earlier in the pass asks to skip it; then decide again.
                self._scheduled = set(ready)
                for key in ready:
                    if key in tis and tis[key].state in (_S.NONE, _S.UP_FOR_RETRY, _S.UP_FOR_RESCHEDULE):
                        self._run_one(run, tis, key)
                self._scheduled = set()
            elif decision.changes or len(to_run) < len(decision.ready):
                continue  # states set in this pass are counted by the next one
            else:
                finished = self._idle(run, tis, decision, held, leave_blocked=leave_blocked)
                if finished is not None:
                    return finished

    def _before_pass(
        self, run: DagRunRecord, tis: dict[tuple[str, int], TaskInstanceRecord]
    ) -> DagRunRecord | None:
        """Called before each pass; a subclass takes in what happened meanwhile (results of
        tries running elsewhere, commands) and may end the run here by returning it."""
        return None

    def _succeed_without_running(
        self, run: DagRunRecord, tis: dict[tuple[str, int], TaskInstanceRecord], ready: list[tuple[str, int]]
    ) -> list[tuple[str, int]]:
        """The ready instances that must run; a subclass may mark others success without running
        them (Airflow's scheduler does so with plain EmptyOperators, dag.test() runs them all)."""
        return ready

    def _dispatch_order(
        self, tis: dict[tuple[str, int], TaskInstanceRecord], ready: Any
    ) -> list[tuple[str, int]]:
        """The ready instances this pass starts, in order: all of them, as the engine listed them
        (in-process, one at a time, that is the order dag.test() runs them)."""
        return list(ready)

    def _idle(
        self,
        run: DagRunRecord,
        tis: dict[tuple[str, int], TaskInstanceRecord],
        decision: Any,
        held: set[tuple[str, int]],
        *,
        leave_blocked: bool,
    ) -> DagRunRecord | None:
        """Nothing is ready and nothing changed: wait for what the run waits for (a trigger, a
        retry or reschedule coming due) and return None to decide again; or return the run,
        finished (or left running, blocked by depends_on_past, when `leave_blocked`)."""
        if self._triggers is not None and len(self._triggers):
            now = self.clock.now()
            until = self._until(run, decision.wake_at)
            outcomes = self._triggers.expired(now) or self._triggers.wait(now=now, until=until)
            for outcome in outcomes:
                self._trigger_done(run, tis, outcome)
            return None
        if decision.wake_at is not None:
            log.info("Waiting until %s: %s", decision.wake_at, dict(decision.waiting))
            self.clock.sleep_until(self._until(run, decision.wake_at))  # type: ignore[arg-type]
            return None
        # Nothing ready, in flight or due later. Only tasks held by depends_on_past can be left:
        # Airflow would wait for their earlier runs forever; a run in this process cannot. It
        # either stays running for a later resume (leave_blocked) or ends failed, naming what
        # it waited for.
        blocked = {
            k: self._past.why(run.run_id, k) or "depends_on_past"
            for k in sorted(held)
            if tis[k].state not in _FINISHED
        }
        if leave_blocked and blocked:
            self.blocked = blocked
            for key, why in blocked.items():
                log.warning("Task %s waits: depends_on_past not met (%s)", key[0], why)
            log.warning("Dag run %s stays running: it waits for its previous run", run.run_id)
            return run
        for key in sorted(k for k in held if tis[k].state not in _FINISHED):
            log.error(
                "Task %s not run: depends_on_past not met (%s)",
                key[0],
                self._past.why(run.run_id, key),
            )
        return self._finish(run, tis, DagRunState.FAILED, "all_tasks_deadlocked")

    # -- the run's instances (see `run_instances`) ------------------------------------------------
    def _load_instances(self, run: DagRunRecord) -> dict[tuple[str, int], TaskInstanceRecord]:
        """The run's task instances, from the store or new (`run_instances.load_instances`);
        each one left in flight goes through `_orphaned`."""
        return run_instances.load_instances(self.dag, self.store, run, self._orphaned)

    def _orphaned(self, run: DagRunRecord, task: Any, ti: TaskInstanceRecord) -> None:
        """An instance a process that is gone left in flight: run again, or (`orphans="retry"`)
        a failed try, as Airflow handles a zombie (`run_instances.take_back_orphan`)."""
        run_instances.take_back_orphan(self.dag, self.clock, run, task, ti, orphans=self.orphans)

    # -- timeouts, deferrals and tries ----------------------------------------------------------
    def _until(self, run: DagRunRecord, moment: datetime.datetime | None) -> datetime.datetime | None:
        """`moment`, but no later than just past the run's dagrun_timeout (so a wait does not
        outlast the run)."""
        limit = self.dag.dagrun_timeout
        started = self._clock_start.get(run.run_id, run.start_date)
        if not limit or started is None:
            return moment
        deadline = started + limit + datetime.timedelta(microseconds=1)
        return deadline if moment is None or deadline < moment else moment

    def _timed_out(self, run: DagRunRecord) -> bool:
        limit = self.dag.dagrun_timeout
        started = self._clock_start.get(run.run_id, run.start_date)
        return bool(limit and started and self.clock.now() - started > limit)

    def _defer(self, key: tuple[str, int], deferral: TaskDeferred) -> None:
        from riir_airflow.runtime.triggerer import TriggerRunner

        if self._triggers is None:
            self._triggers = TriggerRunner()
        timeout_at = self.clock.now() + deferral.timeout if deferral.timeout is not None else None
        self._triggers.add(key, deferral.trigger, timeout_at)
        self._deferred[key] = deferral

    def _trigger_done(
        self, run: DagRunRecord, tis: dict[tuple[str, int], TaskInstanceRecord], outcome: TriggerOutcome
    ) -> None:
        """Resume (or end) a deferred task instance now that its trigger decided."""
        from riir_airflow.sdk.exceptions import AirflowFailException, TaskDeferralTimeout
        from riir_airflow.sdk.serde import deserialize_value, serialize_value
        from riir_airflow.sdk.triggers import TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent

        key = outcome.key
        deferral = self._deferred.pop(key)  # type: ignore[arg-type]
        ti = tis[key]  # type: ignore[index]
        ends = {TaskSuccessEvent: _S.SUCCESS, TaskFailedEvent: _S.FAILED, TaskSkippedEvent: _S.SKIPPED}
        if outcome.event is not None and type(outcome.event) in ends:
            ti.state, ti.end_date = ends[type(outcome.event)], self.clock.now()
            self.store.put_task_instances([ti])
            return
        if outcome.timed_out:
            resume: tuple[str, dict[str, Any]] = (
                "__fail__",
                {"error": TaskDeferralTimeout("Trigger/execution timeout")},
            )
        elif outcome.error is not None:
            # As Airflow 3.3: a failing trigger fails its task at once, retries or not.
            resume = ("__fail__", {"error": AirflowFailException(f"Trigger failure: {outcome.error!r}")})
        else:
            assert outcome.event is not None
            payload = deserialize_value(serialize_value(outcome.event.payload))  # as if it crossed a process
            resume = (deferral.method_name, {**(deferral.kwargs or {}), "event": payload})
        self._run_one(run, tis, key, resume=resume)  # type: ignore[arg-type]

    def _run_one(
        self,
        run: DagRunRecord,
        tis: dict[tuple[str, int], TaskInstanceRecord],
        key: tuple[str, int],
        resume: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        """Start a try of `key` (or expand it, for a mapped placeholder) and, in this process,
        run it to its end. A subclass that runs tries elsewhere overrides `_execute`."""
        task = self.dag.task_dict[key[0]]
        if key[1] < 0 and (task.is_mapped or task.mapped_task_group_id is not None):
            run_instances.expand(self.dag, self.store, self.clock, run, tis, key)
            return
        ti = tis[key]
        if ti.state is _S.NONE and ti.try_number > 0 and resume is None:
            ti.max_tries = ti.try_number + task.retries  # cleared: its retries start over (Airflow)
        if ti.state is not _S.UP_FOR_RESCHEDULE and resume is None:
            ti.try_number += 1
        ti.state = _S.RUNNING
        ti.start_date = self.clock.now()
        ti.end_date = None
        ti.next_attempt_at = None
        self._mark_running(ti, resume)
        self._execute(run, tis, key, resume)

    def _mark_running(self, ti: TaskInstanceRecord, resume: tuple[str, dict[str, Any]] | None) -> None:
        """Record that the try starts (a subclass may fold more into the same write)."""
        self.store.put_task_instances([ti])

    def _execute(
        self,
        run: DagRunRecord,
        tis: dict[tuple[str, int], TaskInstanceRecord],
        key: tuple[str, int],
        resume: tuple[str, dict[str, Any]] | None,
    ) -> None:
        """Run the started try of `key` here and now, then apply its outcome (`_end_try`)."""
        task = self.dag.task_dict[key[0]]
        ti = tis[key]
        instance_error: Exception | None = None
        if task.is_mapped:  # this instance's operator: its mapped arguments resolved now
            from riir_airflow.runtime.mapping import operator_for_instance

            try:
                task = operator_for_instance(task, key[1], run, self.store, self.clock)
            except Exception as exc:  # noqa: BLE001 - e.g. .map() over a dict: the instance fails
                instance_error = exc
        if instance_error is not None:
            log.error("Cannot build %s[%s]: %r", key[0], key[1], instance_error)
            state = outcome_of_try(task, ti.try_number, ErrorKind.ERROR, max_tries=ti.max_tries)
            outcome = TryOutcome(state=state, error=instance_error)
        # Airflow's dag.test() marks a task success when the pattern matches its whole id.
        elif self.mark_success is not None and self.mark_success.fullmatch(task.task_id):
            log.info("Marking %s success without running it (mark_success_pattern)", task.task_id)
            outcome = TryOutcome(state=_S.SUCCESS)
        else:
            outcome = run_try(
                task,
                ti,
                run,
                self.store,
                self.clock,
                reschedule=self._reschedules.get((run.run_id, *key)),
                resume=resume,
            )
        self._end_try(run, tis, key, outcome)

    def _end_try(
        self,
        run: DagRunRecord,
        tis: dict[tuple[str, int], TaskInstanceRecord],
        key: tuple[str, int],
        outcome: TryOutcome,
    ) -> None:
        """Apply how a try ended: the instance's state, its retry or reschedule time, the
        deferral, skips its branch asked for, fail_fast; one store write for all of it."""
        task = self.dag.task_dict[key[0]]
        ti = tis[key]
        outcome_state = outcome.state
        if outcome_state is _S.DEFERRED:
            self._defer(key, outcome.error)  # type: ignore[arg-type]
        ti.state = outcome_state
        ti.end_date = self.clock.now()
        changed = [ti]
        if outcome_state is _S.UP_FOR_RESCHEDULE:
            first, count = self._reschedules.get((run.run_id, *key), (ti.start_date, 0))
            self._reschedules[(run.run_id, *key)] = (first, count + 1)
            ti.next_attempt_at = getattr(outcome.error, "reschedule_date", None) or ti.end_date
        else:
            self._reschedules.pop((run.run_id, *key), None)
        if outcome_state is _S.UP_FOR_RETRY:
            delay = retry_delay_for(
                task,
                ti.try_number,
                dag_id=self.dag.dag_id,
                run_id_or_logical_date=run.logical_date or run.run_id,
            )
            ti.next_attempt_at = ti.end_date + delay
        for task_id in outcome.skip_downstream:
            skipped = tis.get((task_id, -1))
            if skipped is not None and skipped.state not in _FINISHED and skipped.key not in self._scheduled:
                skipped.state = _S.SKIPPED
                changed.append(skipped)
        if outcome_state is _S.FAILED:
            for other, state in fail_fast_changes(
                self.topology, key, {k: t.state for k, t in tis.items()}
            ).items():
                tis[other].state = state
                changed.append(tis[other])
        self._save_outcome(key, outcome, changed)

    def _save_outcome(
        self, key: tuple[str, int], outcome: TryOutcome, changed: list[TaskInstanceRecord]
    ) -> None:
        """Write the instances a try's end changed (the instance itself first)."""
        self.store.put_task_instances(changed)

    def _finish(
        self,
        run: DagRunRecord,
        tis: dict[tuple[str, int], TaskInstanceRecord],
        state: DagRunState,
        reason: str,
    ) -> DagRunRecord:
        if reason == "timed_out":
            unfinished = [ti for ti in tis.values() if ti.state not in _FINISHED]
            for ti in unfinished:
                ti.state = _S.SKIPPED
            self.store.put_task_instances(unfinished)
        if self._triggers is not None:
            self._triggers.close()
            self._triggers, self._deferred = None, {}
        run.state = state
        run.end_date = self.clock.now()
        self.store.update_dag_run(run.dag_id, run.run_id, state=state, end_date=run.end_date)
        log.info("Dag run %s finished: %s (%s)", run.run_id, state.value, reason)
        self._dag_callbacks(run, state, reason)
        return run

    def _dag_callbacks(self, run: DagRunRecord, state: DagRunState, reason: str) -> None:
        from riir_airflow.runtime.task_instance import DagRunView
        from riir_airflow.sdk.context import Context

        callbacks = (
            self.dag.on_success_callback if state is DagRunState.SUCCESS else self.dag.on_failure_callback
        )
        if not callbacks:
            return
        context = Context(dag=self.dag, dag_run=DagRunView(run, self.store), run_id=run.run_id, reason=reason)
        for callback in callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]:
            try:
                callback(context)
            except Exception:
                log.exception(
                    "Error in DAG %s callback", "success" if state is DagRunState.SUCCESS else "failure"
                )
