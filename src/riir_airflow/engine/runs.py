"""Which DAG runs exist over time: scheduled runs, the next executions, backfill plans, run ids.

Pure decisions, like the rest of the engine: the DAG's schedule, the runs already in the store
and "now" go in (the engine never reads a clock), the runs to create come out. The timetable
answers "what comes after this data interval" (`sdk.timetables.next_run_info`, pinned to the
given `now`); this module adds what Airflow 3.3's scheduler and backfill add around it:

- the DAG's `TimeRestriction` (`time_restriction`): earliest = the earliest start_date of the
  DAG and its tasks; latest = the DAG's end_date, or, when *every* task has an end_date, the
  latest of those and the DAG's; catchup from the DAG;
- the last automated run (`last_automated_run`): the scheduled or backfill run with the
  greatest logical date; manual and asset-triggered runs never move the schedule;
- `next_run_infos`: the next N runs a scheduler would create, each asked with the DAG's
  restriction (so start_date, end_date and catchup hold for every run, not only the first);
- `runs_to_schedule`: the scheduled runs due at `now`, bounded by `max_active_runs` (active
  = queued or running, backfill runs excluded) and skipping a logical date a run already holds;
- `backfill_runs`: Airflow 3's backfill plan: every run of the timetable between two dates whose
  data interval has ended, in order (or reversed), with what happens to a logical date that
  already has a run (reprocess behaviour none / failed / completed; runs still queued or
  running are "in flight" and left alone), and the same validation errors;
- `run_id_for`: `<run_type>__<run_after ISO>` (+ `_<suffix>` for runs without a logical date),
  scheduled run ids coming from the timetable so custom timetables can shape them.

The DAG is read through `ScheduleLike` (an SDK `DAG` satisfies it); runs through `RunLike`
(a store `DagRunRecord` satisfies it).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from riir_airflow.sdk.exceptions import AirflowException
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.timetables._time import to_utc
from riir_airflow.sdk.timetables.base import (
    DagRunInfo,
    DataInterval,
    TimeRestriction,
    Timetable,
    next_run_info,
)

__all__ = [
    "AUTOMATED_RUN_TYPES",
    "BackfillAction",
    "BackfillEntry",
    "BackfillError",
    "BackfillPlan",
    "DagNonPeriodicScheduleException",
    "DagRunTypeNotAllowed",
    "InvalidBackfillDate",
    "InvalidBackfillDateRange",
    "InvalidBackfillDirection",
    "InvalidReprocessBehavior",
    "NoBackfillRunsToCreate",
    "PlannedRun",
    "ReprocessBehavior",
    "RunLike",
    "ScheduleLike",
    "backfill_runs",
    "last_automated_run",
    "next_run_infos",
    "run_data_interval",
    "run_id_for",
    "runs_to_schedule",
    "time_restriction",
]

AUTOMATED_RUN_TYPES: frozenset[str] = frozenset({DagRunType.SCHEDULED.value, DagRunType.BACKFILL_JOB.value})
"""Run types whose data interval the schedule continues from (Airflow's "automated" runs)."""

_ACTIVE_RUN_STATES = frozenset({DagRunState.QUEUED.value, DagRunState.RUNNING.value})
_FINISHED_RUN_STATES = frozenset({DagRunState.SUCCESS.value, DagRunState.FAILED.value})


class ScheduleLike(Protocol):
    """The DAG attributes scheduling over time reads (an SDK `DAG` has all of them)."""

    @property
    def dag_id(self) -> str: ...
    @property
    def timetable(self) -> Timetable: ...
    @property
    def start_date(self) -> datetime.datetime | None: ...
    @property
    def end_date(self) -> datetime.datetime | None: ...
    @property
    def catchup(self) -> bool: ...
    @property
    def max_active_runs(self) -> int: ...
    @property
    def task_dict(self) -> Mapping[str, Any]: ...


@runtime_checkable
class RunLike(Protocol):
    """The run attributes read here (a store `DagRunRecord` has all of them)."""

    @property
    def run_id(self) -> str: ...
    @property
    def run_type(self) -> str: ...
    @property
    def state(self) -> Any: ...
    @property
    def run_after(self) -> datetime.datetime: ...
    @property
    def logical_date(self) -> datetime.datetime | None: ...
    @property
    def data_interval_start(self) -> datetime.datetime | None: ...
    @property
    def data_interval_end(self) -> datetime.datetime | None: ...


def _value(state_or_type: Any) -> str:
    return str(getattr(state_or_type, "value", state_or_type))


# -- the DAG's bounds and history ------------------------------------------------------------------
def time_restriction(dag: ScheduleLike) -> TimeRestriction:
    """Airflow's `DAG._time_restriction`: the bounds automated scheduling honours.

    earliest: the earliest start_date among the DAG and its tasks (None if none has one).
    latest: the DAG's end_date; but when every task has an end_date, the latest of those and
    the DAG's. Naive dates are taken as UTC.
    """
    tasks = list(dag.task_dict.values())
    starts = [to_utc(t.start_date) for t in tasks if getattr(t, "start_date", None)]
    if dag.start_date is not None:
        starts.append(to_utc(dag.start_date))
    earliest = min(starts) if starts else None
    latest = to_utc(dag.end_date) if dag.end_date is not None else None
    ends = [to_utc(t.end_date) for t in tasks if getattr(t, "end_date", None)]
    if tasks and len(ends) == len(tasks):
        if latest is not None:
            ends.append(latest)
        latest = max(ends)
    return TimeRestriction(earliest, latest, bool(dag.catchup))


def run_data_interval(timetable: Timetable, run: RunLike) -> DataInterval | None:
    """The run's data interval; inferred from its logical date (as for a manual run) when the
    run does not record one; None for a run without a logical date."""
    if run.data_interval_start is not None and run.data_interval_end is not None:
        return DataInterval(to_utc(run.data_interval_start), to_utc(run.data_interval_end))
    if run.logical_date is None:
        return None
    return timetable.infer_manual_data_interval(run_after=to_utc(run.logical_date))


def last_automated_run(runs: Iterable[RunLike]) -> RunLike | None:
    """The scheduled or backfill run with the greatest logical date (None when there is none).
    The schedule continues from its data interval."""
    best: RunLike | None = None
    for run in runs:
        if _value(run.run_type) not in AUTOMATED_RUN_TYPES or run.logical_date is None:
            continue
        if best is None or to_utc(run.logical_date) > to_utc(best.logical_date):  # type: ignore[arg-type]
            best = run
    return best


def _last_interval(
    dag: ScheduleLike, runs: Iterable[RunLike] | None, last: DataInterval | None
) -> DataInterval | None:
    if runs is None:
        return last
    run = last_automated_run(runs)
    return run_data_interval(dag.timetable, run) if run is not None else None


# -- run ids -----------------------------------------------------------------------------------------
def run_id_for(
    run_type: DagRunType | str,
    *,
    run_after: datetime.datetime,
    logical_date: datetime.datetime | None,
    timetable: Timetable | None = None,
    data_interval: DataInterval | None = None,
    suffix: str | None = None,
) -> str:
    """The run id Airflow 3 gives an automated or manual run.

    `<run_type>__<run_after ISO>`; scheduled runs ask `timetable.generate_run_id` (a custom
    timetable may override it). A run without a logical date (asset-triggered, or a manual run
    without one) gets `_<suffix>` appended: Airflow uses 8 random letters and digits, which the
    caller must supply (the engine draws no random numbers).
    """
    kind = DagRunType(_value(run_type))
    if logical_date is None:
        if not suffix:
            raise ValueError(f"a {kind.value} run without a logical date needs a run id suffix")
        return f"{kind.value}__{run_after.isoformat()}_{suffix}"
    if kind is DagRunType.SCHEDULED and timetable is not None:
        return timetable.generate_run_id(run_type=kind, run_after=run_after, data_interval=data_interval)
    return f"{kind.value}__{run_after.isoformat()}"


@dataclass(frozen=True)
class PlannedRun:
    """A run to create: its timetable info, run id and run type."""

    info: DagRunInfo
    run_id: str
    run_type: DagRunType

    @property
    def run_after(self) -> datetime.datetime:
        return self.info.run_after

    @property
    def logical_date(self) -> datetime.datetime | None:
        return self.info.logical_date

    @property
    def data_interval(self) -> DataInterval | None:
        return self.info.data_interval


def _planned(dag: ScheduleLike, info: DagRunInfo, run_type: DagRunType) -> PlannedRun:
    run_id = run_id_for(
        run_type,
        run_after=info.run_after,
        logical_date=info.logical_date,
        timetable=dag.timetable,
        data_interval=info.data_interval,
    )
    return PlannedRun(info=info, run_id=run_id, run_type=run_type)


# -- the scheduler's view ------------------------------------------------------------------------------
def next_run_infos(
    dag: ScheduleLike,
    *,
    now: datetime.datetime,
    count: int = 1,
    runs: Iterable[RunLike] | None = None,
    last_automated_data_interval: DataInterval | None = None,
) -> list[DagRunInfo]:
    """The next `count` runs the scheduler would create, in order (their run_after may lie in
    the future: a scheduler waits until then).

    The sequence continues from the last automated run of `runs` (or from
    `last_automated_data_interval` when `runs` is None; None for a fresh deployment). Every
    step asks the timetable with the DAG's own restriction, so start_date, end_date and
    catchup apply to every run (Airflow's `dags next-execution` drops them after the first).
    Fewer than `count` come back when the schedule ends; none for DAGs that are not scheduled
    by time (`schedule=None`, assets).
    """
    if count <= 0 or not dag.timetable.can_be_scheduled:
        return []
    restriction = time_restriction(dag)
    last = _last_interval(dag, runs, last_automated_data_interval)
    out: list[DagRunInfo] = []
    while len(out) < count:
        info = next_run_info(
            dag.timetable, last_automated_data_interval=last, restriction=restriction, now=now
        )
        if info is None or info.data_interval is None:
            break
        if info.data_interval == last:
            break  # a timetable that does not move on would repeat itself forever
        out.append(info)
        last = info.data_interval
    return out


def runs_to_schedule(
    dag: ScheduleLike, runs: Sequence[RunLike], *, now: datetime.datetime
) -> list[PlannedRun]:
    """The scheduled runs a scheduler creates at `now`, in order.

    Every next run whose run_after is not after `now`, while the DAG's active runs (queued or
    running, backfill runs excluded, as Airflow counts them) stay below `max_active_runs`
    (and the timetable's own limit, 1 for `@continuous`). A logical date that already has a
    run (say, a manual one) is passed over and the schedule continues after it.
    """
    timetable = dag.timetable
    if not timetable.can_be_scheduled:
        return []
    active = sum(
        1
        for r in runs
        if _value(r.state) in _ACTIVE_RUN_STATES and _value(r.run_type) != DagRunType.BACKFILL_JOB.value
    )
    limits = [dag.max_active_runs]
    if timetable.active_runs_limit is not None:
        limits.append(timetable.active_runs_limit)
    room = min(limits) - active
    taken = {to_utc(r.logical_date) for r in runs if r.logical_date is not None}
    restriction = time_restriction(dag)
    last = _last_interval(dag, runs, None)
    out: list[PlannedRun] = []
    for _ in range(len(taken) + max(room, 0) + 1):  # each step either plans a run or passes a taken date
        if len(out) >= room:
            break
        info = next_run_info(timetable, last_automated_data_interval=last, restriction=restriction, now=now)
        if info is None or info.data_interval is None or info.run_after > now:
            break
        if info.data_interval == last:
            break
        last = info.data_interval
        if info.logical_date is not None and info.logical_date in taken:
            continue
        out.append(_planned(dag, info, DagRunType.SCHEDULED))
    return out


# -- backfill -------------------------------------------------------------------------------------------
class ReprocessBehavior(str, Enum):
    """What a backfill does with a logical date that already has a finished run."""

    NONE = "none"
    """Leave every existing run alone."""
    FAILED = "failed"
    """Run failed runs again (cleared, as backfill runs)."""
    COMPLETED = "completed"
    """Run every finished run again, failed or successful."""


class BackfillError(AirflowException, ValueError):
    """A backfill request Airflow would refuse."""


class DagNonPeriodicScheduleException(BackfillError):
    """The DAG's schedule (None, @once, @continuous, assets) has nothing to backfill."""


class DagRunTypeNotAllowed(BackfillError):
    """The DAG's `allowed_run_types` excludes backfill runs."""


class InvalidBackfillDateRange(BackfillError):
    """from_date is after to_date."""


class InvalidBackfillDate(BackfillError):
    """Both dates are in the future."""


class InvalidBackfillDirection(BackfillError):
    """Backwards with depends_on_past tasks."""


class InvalidReprocessBehavior(BackfillError):
    """depends_on_past tasks need reprocess behaviour failed or completed."""


class NoBackfillRunsToCreate(BackfillError):
    """The range holds no run of the timetable whose data interval has ended."""


class BackfillAction(str, Enum):
    CREATE = "create"
    """No run holds the logical date: create a backfill run."""
    REPROCESS = "reprocess"
    """Clear the existing finished run and run it again as a backfill run."""
    ALREADY_EXISTS = "already exists"
    """A finished run holds the date and the reprocess behaviour leaves it alone."""
    IN_FLIGHT = "in flight"
    """A queued or running run holds the date: the backfill does not touch it."""

    @property
    def runs(self) -> bool:
        return self in (BackfillAction.CREATE, BackfillAction.REPROCESS)


@dataclass(frozen=True)
class BackfillEntry:
    """One logical date of a backfill, in backfill order."""

    sort_ordinal: int
    """1-based position in the backfill (Airflow's `BackfillDagRun.sort_ordinal`)."""
    info: DagRunInfo
    run_id: str
    """The run that will hold this date: the existing run's id when there is one."""
    action: BackfillAction
    existing: RunLike | None = None

    @property
    def logical_date(self) -> datetime.datetime | None:
        return self.info.logical_date


@dataclass(frozen=True)
class BackfillPlan:
    """Everything a backfill decides up front, in backfill order."""

    dag_id: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    reprocess_behavior: ReprocessBehavior
    reverse: bool
    entries: tuple[BackfillEntry, ...]

    @property
    def to_run(self) -> tuple[BackfillEntry, ...]:
        """The entries the backfill creates or reprocesses, in order."""
        return tuple(e for e in self.entries if e.action.runs)

    @property
    def logical_dates(self) -> list[datetime.datetime | None]:
        return [e.logical_date for e in self.entries]


def _dag_depends_on_past(dag: ScheduleLike) -> bool:
    return any(getattr(t, "depends_on_past", False) for t in dag.task_dict.values())


def _existing_action(run: RunLike, behavior: ReprocessBehavior) -> BackfillAction:
    """Airflow's `_get_dag_run_no_create_reason`, as an action."""
    state = _value(run.state)
    if state not in _FINISHED_RUN_STATES:
        return BackfillAction.IN_FLIGHT
    if behavior is ReprocessBehavior.NONE:
        return BackfillAction.ALREADY_EXISTS
    if behavior is ReprocessBehavior.FAILED and state != DagRunState.FAILED.value:
        return BackfillAction.ALREADY_EXISTS
    return BackfillAction.REPROCESS


def backfill_infos(
    timetable: Timetable, from_date: datetime.datetime, to_date: datetime.datetime, *, now: datetime.datetime
) -> list[DagRunInfo]:
    """The timetable's runs with logical dates in [from_date, to_date] whose data interval has
    ended before `now` (the DAG's own start/end dates and catchup play no part)."""
    restriction = TimeRestriction(to_utc(from_date), to_utc(to_date), True)
    out: list[DagRunInfo] = []
    last: DataInterval | None = None
    while True:
        info = next_run_info(timetable, last_automated_data_interval=last, restriction=restriction, now=now)
        if info is None or info.data_interval is None or info.data_interval == last:
            break
        if info.data_interval.end < now:
            out.append(info)
        last = info.data_interval
    return out


def backfill_runs(
    dag: ScheduleLike,
    start: datetime.datetime,
    end: datetime.datetime,
    reprocess_behavior: ReprocessBehavior | str | None,
    existing_runs: Collection[RunLike],
    *,
    now: datetime.datetime,
    reverse: bool = False,
) -> BackfillPlan:
    """Airflow 3.3's backfill plan for `[start, end]` (both inclusive, on logical dates).

    Raises, as Airflow does: `DagNonPeriodicScheduleException` (schedule None/@once/
    @continuous/assets), `DagRunTypeNotAllowed`, `InvalidBackfillDateRange` (start after end),
    `InvalidBackfillDate` (both in the future), `InvalidBackfillDirection` (reverse with
    depends_on_past tasks), `InvalidReprocessBehavior` (depends_on_past tasks and reprocess
    behaviour none or not given), `NoBackfillRunsToCreate` (nothing in the range has ended).

    `existing_runs` are the DAG's runs (any type); a run holding a planned logical date decides
    that date's action (see `BackfillAction`). `reprocess_behavior=None` means none.
    """
    timetable = dag.timetable
    if not timetable.periodic or not timetable.can_be_scheduled:
        raise DagNonPeriodicScheduleException(
            f"{dag.dag_id} has a non-periodic schedule that does not support backfills"
        )
    allowed = getattr(dag, "allowed_run_types", None)
    if allowed is not None and DagRunType.BACKFILL_JOB.value not in {_value(t) for t in allowed}:
        raise DagRunTypeNotAllowed(f"Dag with dag_id: '{dag.dag_id}' does not allow backfill runs")
    start, end, now = to_utc(start), to_utc(end), to_utc(now)
    if start > end:
        raise InvalidBackfillDateRange(
            f"from_date ({start.isoformat()}) must not be after to_date ({end.isoformat()})."
        )
    if start >= now and end >= now:
        raise InvalidBackfillDate("Backfill cannot be executed for future dates.")
    behavior = ReprocessBehavior(reprocess_behavior) if reprocess_behavior is not None else None
    if _dag_depends_on_past(dag):
        if reverse:
            raise InvalidBackfillDirection(
                "Backfill cannot be run in reverse when the Dag has tasks where depends_on_past=True."
            )
        if behavior in (None, ReprocessBehavior.NONE):
            raise InvalidReprocessBehavior(
                "Dag has tasks for which depends_on_past=True. "
                "You must set reprocess behavior to reprocess completed or reprocess failed."
            )
    behavior = behavior or ReprocessBehavior.NONE

    infos = backfill_infos(timetable, start, end, now=now)
    if not infos:
        raise NoBackfillRunsToCreate(f"No runs to create for Dag {dag.dag_id} in the range [{start}, {end}]")
    if reverse:
        infos.reverse()
    by_date = {to_utc(r.logical_date): r for r in existing_runs if r.logical_date is not None}
    entries: list[BackfillEntry] = []
    for ordinal, info in enumerate(infos, start=1):
        run = by_date.get(info.logical_date) if info.logical_date is not None else None
        if run is None:
            planned = _planned(dag, info, DagRunType.BACKFILL_JOB)
            entries.append(BackfillEntry(ordinal, info, planned.run_id, BackfillAction.CREATE))
        else:
            entries.append(BackfillEntry(ordinal, info, run.run_id, _existing_action(run, behavior), run))
    return BackfillPlan(
        dag_id=dag.dag_id,
        from_date=start,
        to_date=end,
        reprocess_behavior=behavior,
        reverse=reverse,
        entries=tuple(entries),
    )
