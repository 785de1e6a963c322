"""Backfill in this process: the runs Airflow 3's backfill would create, run one after another.

`run_backfill(dag, store, from_date=..., to_date=...)` asks the engine for the plan
(`engine.backfill_runs`: every run of the timetable in the range whose data interval has ended,
what happens to dates that already have runs, Airflow's validation errors), then, like Airflow,
creates every run of the plan up front in state queued (reprocessed runs are cleared and become
backfill runs), and drives them to their end in backfill order.

Decisions (docs: README "Scheduling over time"):
- Sequential: one run at a time, in order. Tasks run in this process one at a time anyway,
  so interleaving runs would change only the order of task executions, not the results;
  depends_on_past ordering holds trivially because run N is over before run N+1 starts.
- `max_active_runs` (Airflow's backfill default: 10) bounds the runs left *active*: a run
  whose only remaining tasks are held by depends_on_past (their previous run failed) stays
  running, as in Airflow, where it would wait for someone to clear the previous run. Once
  `max_active_runs` runs are stuck that way, the remaining runs stay queued, as Airflow's
  scheduler would leave them.
- The first run of the backfill passes depends_on_past (Airflow: sort ordinal 1).
- No scheduler runs beside a local backfill, so runs of the range that are queued or running
  in the local store (a cleared run, or one a stopped process left) are resumed in their place
  in the order; Airflow's backfill leaves such "in flight" runs to its scheduler.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from riir_airflow.engine import BackfillAction, BackfillEntry, BackfillPlan, PlannedRun, backfill_runs
from riir_airflow.runtime.clock import Clock, SystemClock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.state import DagRunState

if TYPE_CHECKING:
    from riir_airflow.engine.runs import ReprocessBehavior
    from riir_airflow.sdk.dag import DAG
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import DagRunRecord

__all__ = ["DEFAULT_MAX_ACTIVE_RUNS", "BackfillOutcome", "BackfillResult", "plan_backfill", "run_backfill"]

log = logging.getLogger("riir_airflow.runtime")

DEFAULT_MAX_ACTIVE_RUNS = 10
"""Airflow's `Backfill.max_active_runs` default."""


@dataclass
class BackfillOutcome:
    """What became of one entry of the plan."""

    entry: BackfillEntry
    run: DagRunRecord | None = None
    """The run as it ended (or as it was left); None for a date no run was made for."""
    outcome: str = "queued"
    """`success` / `failed` (the run's end), `running` (held by depends_on_past), `queued`
    (not started: max_active_runs runs were held), `already exists` (left alone)."""
    blocked: dict[tuple[str, int], str] = field(default_factory=dict)
    """For a run left running: the instances depends_on_past holds, and why."""

    @property
    def logical_date(self) -> datetime.datetime | None:
        return self.entry.logical_date


@dataclass
class BackfillResult:
    plan: BackfillPlan
    outcomes: list[BackfillOutcome]

    @property
    def ok(self) -> bool:
        """Every run of the backfill ended successfully (dates left alone do not count)."""
        return all(o.outcome in ("success", "already exists") for o in self.outcomes)


def plan_backfill(
    dag: DAG,
    store: Store,
    *,
    from_date: datetime.datetime,
    to_date: datetime.datetime,
    reprocess_behavior: ReprocessBehavior | str | None = None,
    reverse: bool = False,
    now: datetime.datetime,
) -> BackfillPlan:
    """The engine's backfill plan against the DAG's runs in `store` (raises BackfillError)."""
    existing = store.list_dag_runs(dag.dag_id)
    return backfill_runs(dag, from_date, to_date, reprocess_behavior, existing, now=now, reverse=reverse)


def _resumable(entry: BackfillEntry) -> bool:
    return entry.action is BackfillAction.IN_FLIGHT and entry.existing is not None


def run_backfill(
    dag: DAG,
    store: Store,
    *,
    from_date: datetime.datetime,
    to_date: datetime.datetime,
    reprocess_behavior: ReprocessBehavior | str | None = None,
    max_active_runs: int | None = None,
    reverse: bool = False,
    conf: dict[str, Any] | None = None,
    clock: Clock | None = None,
    mark_success_pattern: str | None = None,
) -> BackfillResult:
    """Plan the backfill, create its runs (queued) and run them in order (module docstring).

    Raises the engine's BackfillError subclasses for a request Airflow would refuse, and
    ParamValidationError for a `conf` the DAG's params reject, before anything is written.
    """
    from riir_airflow.sdk.params import merge_params

    clock = clock or SystemClock()
    limit = max_active_runs if max_active_runs is not None else DEFAULT_MAX_ACTIVE_RUNS
    if limit < 1:
        raise ValueError(f"max_active_runs must be at least 1, not {limit}")
    plan = plan_backfill(
        dag,
        store,
        from_date=from_date,
        to_date=to_date,
        reprocess_behavior=reprocess_behavior,
        reverse=reverse,
        now=clock.now(),
    )
    if conf:
        merge_params(dag.params, None, conf).validate()
    runner = DagRunner(dag, store, clock, mark_success_pattern=mark_success_pattern)

    # Like Airflow: every run of the backfill exists (queued) before the first one starts.
    outcomes: list[BackfillOutcome] = []
    for entry in plan.entries:
        outcome = BackfillOutcome(entry)
        if entry.action is BackfillAction.CREATE:
            planned = PlannedRun(info=entry.info, run_id=entry.run_id, run_type=DagRunType.BACKFILL_JOB)
            outcome.run = runner.create_planned_run(planned, conf=conf)
        elif entry.action is BackfillAction.REPROCESS:
            assert entry.existing is not None
            outcome.run = runner.requeue_run(
                entry.existing,  # type: ignore[arg-type]
                run_type=DagRunType.BACKFILL_JOB,
                triggered_by="backfill",
                conf=conf or None,
            )
        elif _resumable(entry):
            outcome.run = entry.existing  # type: ignore[assignment]
        else:
            outcome.run, outcome.outcome = entry.existing, entry.action.value  # type: ignore[assignment]
        outcomes.append(outcome)
    created = sum(1 for o in outcomes if o.entry.action.runs)
    log.info(
        "Backfill of %s from %s to %s: %d run(s) to run, %d left alone",
        dag.dag_id,
        plan.from_date,
        plan.to_date,
        created + sum(1 for o in outcomes if _resumable(o.entry)),
        sum(1 for o in outcomes if not o.entry.action.runs and not _resumable(o.entry)),
    )

    held = 0
    for outcome in outcomes:
        entry = outcome.entry
        if not (entry.action.runs or _resumable(entry)):
            continue
        if held >= limit:
            log.warning(
                "Run %s stays queued: %d run(s) wait for their previous runs (max_active_runs=%d)",
                entry.run_id,
                held,
                limit,
            )
            continue
        assert outcome.run is not None
        run = store.get_dag_run(dag.dag_id, outcome.run.run_id) or outcome.run
        log.info("Backfill run %d/%d: %s", entry.sort_ordinal, len(plan.entries), run.run_id)
        final = runner.run(
            run, first_in_backfill=entry.sort_ordinal == 1 and entry.action.runs, leave_blocked=True
        )
        outcome.run = final
        outcome.outcome = DagRunState(final.state).value
        if final.state is DagRunState.RUNNING:
            outcome.blocked = dict(runner.blocked)
            held += 1
    return BackfillResult(plan, outcomes)
