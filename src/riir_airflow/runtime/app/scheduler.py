"""`AppScheduler`: the DAG app's scheduler loop over the DAGs of its file.

For every DAG whose lease the app holds, each tick (every `tick_seconds`, and at once when a
command or a finished run wakes it): creates the scheduled runs that are due (the engine's
`runs_to_schedule`: catchup, start/end dates, max_active_runs) and the asset-triggered runs
whose condition holds, unless the DAG is paused; then starts a driver thread for each run
that should be running and has none: runs left running (by a previous app, or after a drain)
first, then queued runs: a backfill's runs in backfill order up to the backfill's own
`max_active_runs`, none while it is paused (`backfills.BackfillGate`); the others oldest first,
up to the DAG's `max_active_runs` (which backfill runs do not count against). A paused DAG
starts no queued run; runs already running go on, as in Airflow.

Commands (`on_command`, from the session's long-poll): `trigger_run` creates the run unless
the broker already did (then only wakes the loop); `clear_tasks` and `mark_state` make the
run's driver take in the change the broker made; `kill_task` kills the workers;
`pause`/`unpause` set the flag; `backfill` (a backfill was created, paused, unpaused or
cancelled) wakes the loop, whose next tick asks the broker. `drain()` stops new runs and tries;
`wait_drained` waits for the drivers to leave.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from riir_airflow.runtime.app.backfills import BackfillGate, broker_fetch
from riir_airflow.runtime.app.run_driver import AppRunDriver, RunControl, RunLeft
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.sdk.state import DagRunState
from riir_airflow.wire.messages import Command, CommandKind

if TYPE_CHECKING:
    from riir_airflow.runtime.app.executor import ForkExecutor
    from riir_airflow.runtime.app.trigger_loop import TriggerLoop
    from riir_airflow.runtime.clock import Clock
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.records import DagRunRecord

__all__ = ["AppScheduler"]

log = logging.getLogger("riir_airflow.app.scheduler")
_RunKey = tuple[str, str]
_DRIVER_RESTART_SECONDS = 2.0


class AppScheduler:
    def __init__(
        self,
        dags: dict[str, DAG],
        store: Any,
        *,
        executor: ForkExecutor,
        triggers: TriggerLoop,
        control: RunControl,
        holds_lease: Any,  # (dag_id) -> bool
        paused: dict[str, bool],
        clock: Clock,
        tick_seconds: float = 1.0,
    ) -> None:
        self.dags = dags
        self.store = store
        self.executor = executor
        self.triggers = triggers
        self.control = control
        self.holds_lease = holds_lease
        self.paused = dict(paused)
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.drivers: dict[_RunKey, AppRunDriver] = {}
        self._threads: dict[_RunKey, threading.Thread] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._schedules_registered: set[str] = set()
        self._next_due: dict[str, datetime.datetime | None] = {}  # each DAG's next scheduled run
        self.backfills = BackfillGate(broker_fetch(store))

    # -- the loop -----------------------------------------------------------------------------------
    def run_forever(self) -> None:
        """Tick until `stop()`; a failing tick (the broker away, say) is logged and retried."""
        failures = 0
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                self.tick()
                failures = 0
            except Exception as exc:
                failures += 1
                log.warning("scheduler tick failed (%s in a row): %s", failures, exc, exc_info=failures == 1)
            self._wake.wait(self._sleep_seconds() if failures == 0 else min(5.0, 0.5 * 2**failures))

    def _sleep_seconds(self) -> float:
        """Until the next tick, or until the next scheduled run is due if that is sooner (so a
        run is created when due, not up to a tick later)."""
        due = [d for d in self._next_due.values() if d is not None]
        if not due:
            return self.tick_seconds
        return max(0.0, min(self.tick_seconds, (min(due) - self.clock.now()).total_seconds()))

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def tick(self) -> None:
        for dag_id, dag in self.dags.items():
            if not self.holds_lease(dag_id):
                continue
            if not self.paused.get(dag_id, False) and not self.control.draining.is_set():
                self._create_runs(dag)
            self._start_drivers(dag)

    def _create_runs(self, dag: DAG) -> None:
        from riir_airflow.engine.runs import next_run_infos
        from riir_airflow.runtime.assets import register_asset_schedule

        if dag.dag_id not in self._schedules_registered:  # a fenced write: only as lease holder
            register_asset_schedule(self.store, dag)
            self._schedules_registered.add(dag.dag_id)

        if not dag.timetable.can_be_scheduled:  # manual or asset-scheduled: nothing to plan by time
            self._next_due[dag.dag_id] = None
            self._create_asset_runs(dag)
            return
        now = self.clock.now()
        runs = self.store.list_dag_runs(dag.dag_id)
        created = DagRunner(dag, self.store, self.clock).create_scheduled_runs(now, runs=runs)
        for run in created:
            log.info("run created dag_id=%s run_id=%s run_type=scheduled", dag.dag_id, run.run_id)
        upcoming = next_run_infos(dag, now=now, runs=[*runs, *created])
        self._next_due[dag.dag_id] = upcoming[0].run_after if upcoming else None
        self._create_asset_runs(dag)

    def _create_asset_runs(self, dag: DAG) -> None:
        from riir_airflow.runtime.assets import create_asset_triggered_runs

        if getattr(dag.timetable, "asset_condition", None) is not None:
            for run in create_asset_triggered_runs(self.store, [dag], self.clock):
                log.info("run created dag_id=%s run_id=%s run_type=asset_triggered", dag.dag_id, run.run_id)

    def _start_drivers(self, dag: DAG) -> None:
        active = self.store.list_dag_runs(dag.dag_id, states=[DagRunState.RUNNING, DagRunState.QUEUED])
        running = [r for r in active if DagRunState(r.state) is DagRunState.RUNNING]
        queued = sorted(
            (r for r in active if DagRunState(r.state) is DagRunState.QUEUED), key=lambda r: (r.run_after, r.run_id)
        )
        with self._lock:
            driven = {key[1] for key in self.drivers if key[0] == dag.dag_id}
        for run in running:
            if self.control.draining.is_set():
                break
            self._start(dag, run)
        if self.paused.get(dag.dag_id, False) or self.control.draining.is_set():
            return
        # Backfill runs: the backfill's own order and max_active_runs (runtime/app/backfills.py).
        busy = driven | {r.run_id for r in running}
        gate = self.backfills.starts(dag.dag_id, {r.run_id for r in queued if r.run_type == "backfill"}, busy)
        by_id = {r.run_id: r for r in queued}
        for run_id, first in gate.start:
            self._start(dag, by_id[run_id], first_in_backfill=first)
        # Every other queued run: the DAG's max_active_runs, which backfill runs do not count against.
        backfill_ids = gate.members | {r.run_id for r in active if r.run_type == "backfill"}
        ordinary_busy = max(len(driven - backfill_ids), sum(1 for r in running if r.run_id not in backfill_ids))
        room = dag.max_active_runs - ordinary_busy
        for run in queued:
            if room <= 0:
                break
            if run.run_id not in gate.members and self._start(dag, run):
                room -= 1

    def _start(self, dag: DAG, run: DagRunRecord, *, first_in_backfill: bool = False) -> bool:
        key = (dag.dag_id, run.run_id)
        with self._lock:
            if key in self.drivers:
                return False
        if DagRunState(run.state) is DagRunState.QUEUED and not self._still_queued(run):
            return False
        with self._lock:
            if key in self.drivers:
                return False
            driver = AppRunDriver(
                dag, self.store, executor=self.executor, triggers=self.triggers, control=self.control, clock=self.clock
            )
            thread = threading.Thread(
                target=self._drive, args=(driver, run, first_in_backfill), name=f"run {run.run_id}", daemon=True
            )
            self.drivers[key] = driver
            self._threads[key] = thread
        log.info("run started dag_id=%s run_id=%s state=%s", dag.dag_id, run.run_id, run.state.value)
        thread.start()
        return True

    def _still_queued(self, run: DagRunRecord) -> bool:
        """Read a queued run again just before starting it: the runs were listed a moment ago, and
        meanwhile the API may have failed it (a cancelled backfill fails its queued runs; a user
        marks one) — starting it would overwrite that with running."""
        fresh = self.store.get_dag_run(run.dag_id, run.run_id)
        return fresh is not None and DagRunState(fresh.state) is DagRunState.QUEUED

    def _drive(self, driver: AppRunDriver, run: DagRunRecord, first_in_backfill: bool = False) -> None:
        key = (run.dag_id, run.run_id)
        try:
            final = driver.run(run, leave_blocked=True, first_in_backfill=first_in_backfill)
            log.info("run ended dag_id=%s run_id=%s state=%s", run.dag_id, run.run_id, final.state.value)
        except RunLeft:
            pass
        except Exception:
            log.exception("run driver failed dag_id=%s run_id=%s: resuming it shortly", run.dag_id, run.run_id)
            time.sleep(_DRIVER_RESTART_SECONDS)  # keeps its slot meanwhile: no restart storm
        finally:
            with self._lock:
                self.drivers.pop(key, None)
                self._threads.pop(key, None)
            self.wake()

    # -- commands -------------------------------------------------------------------------------
    def on_command(self, command: Command) -> None:
        kind = CommandKind(command.kind)
        dag = self.dags.get(command.dag_id)
        if dag is None:
            log.warning("command for a DAG this app does not serve id=%s dag_id=%s", command.id, command.dag_id)
            return
        log.info(
            "command received id=%s kind=%s dag_id=%s run_id=%s", command.id, kind.value, command.dag_id, command.run_id
        )
        if kind is CommandKind.TRIGGER_RUN:
            self._trigger(dag, command)
        elif kind in (CommandKind.PAUSE, CommandKind.UNPAUSE):
            self.paused[dag.dag_id] = kind is CommandKind.PAUSE
        elif kind in (CommandKind.CLEAR_TASKS, CommandKind.MARK_STATE):
            driver = self.drivers.get((dag.dag_id, command.run_id or ""))
            if driver is not None:
                driver.events.put(("reload", None, None))
        elif kind is CommandKind.KILL_TASK:
            for dag_id, run_id, task_id, map_index in self.executor.running_keys():
                ours = (dag_id, run_id) == (dag.dag_id, command.run_id) and task_id in command.task_ids
                if ours and command.map_index in (None, map_index):
                    self.executor.kill((dag_id, run_id, task_id, map_index), reason="kill command")
        self.wake()

    def _trigger(self, dag: DAG, command: Command) -> None:
        from riir_airflow.store.records import DagRunAlreadyExists

        if command.run_id:
            self.wake()  # usually the broker created it (API, another DAG's trigger): start it now
            if self.store.get_dag_run(dag.dag_id, command.run_id) is not None:
                return
        try:
            run = DagRunner(dag, self.store, self.clock).create_manual_run(
                logical_date=command.logical_date,
                conf=command.conf,
                run_id=command.run_id,
                triggered_by="rest_api",
                replace_existing=False,
            )
        except DagRunAlreadyExists as exc:
            log.warning("trigger refused dag_id=%s: %s", dag.dag_id, exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bad conf refuses the trigger, not the app
            log.error("trigger refused dag_id=%s: %s", dag.dag_id, exc)
            return
        log.info("run created dag_id=%s run_id=%s run_type=manual", dag.dag_id, run.run_id)

    # -- draining -------------------------------------------------------------------------------
    def drain(self) -> None:
        self.control.draining.set()
        for driver in list(self.drivers.values()):
            driver.events.put(("wake", None, None))
        self.wake()

    def wait_drained(self, grace: float) -> bool:
        """Wait up to `grace` s for running tries to end; then kill what is left (handed back as
        up_for_retry) and wait for the drivers to record it. True if nothing had to be killed."""

        def busy() -> bool:  # a driver's try counts from the moment it decided to start it
            with self._lock:
                drivers = list(self.drivers.values())
            return bool(self.executor.in_flight() or any(d.in_flight for d in drivers))

        deadline = time.monotonic() + grace
        while busy() and time.monotonic() < deadline:
            time.sleep(0.05)
        clean = not busy()
        if not clean:
            log.warning("drain grace of %ss is over: handing the running tries back", grace)
        end = time.monotonic() + self.executor.kill_grace + 5
        threads: list[threading.Thread] = []
        while time.monotonic() < end:
            if self.executor.in_flight():
                self.executor.kill_all("drain")  # again and again: a try may have started just now
            with self._lock:
                threads = list(self._threads.values())
            if not threads:
                break
            threads[0].join(timeout=0.1)
        if threads:
            import sys
            import traceback

            frames = sys._current_frames()
            for thread in threads:
                stack = "".join(traceback.format_stack(frames[thread.ident])) if thread.ident in frames else "?"
                log.warning("run driver still busy after the drain thread=%s:\n%s", thread.name, stack)
        return clean
