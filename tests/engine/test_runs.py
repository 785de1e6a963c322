"""Scheduling over time, pure: which runs a scheduler and a backfill create, and their run ids.

Time travels: `now` is an argument; the scheduler simulations step it forward and never sleep.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pendulum
import pytest

from riir_airflow.engine import (
    BackfillAction,
    ReprocessBehavior,
    backfill_runs,
    last_automated_run,
    next_run_infos,
    run_id_for,
    runs_to_schedule,
    time_restriction,
)
from riir_airflow.engine.runs import (
    DagNonPeriodicScheduleException,
    DagRunTypeNotAllowed,
    InvalidBackfillDate,
    InvalidBackfillDateRange,
    InvalidBackfillDirection,
    InvalidReprocessBehavior,
    NoBackfillRunsToCreate,
    backfill_infos,
)
from riir_airflow.sdk.timetables import (
    ContinuousTimetable,
    CronDataIntervalTimetable,
    CronTriggerTimetable,
    DataInterval,
    NullTimetable,
    Timetable,
)

UTC = "UTC"


def day(d: int, h: int = 0, month: int = 1) -> pendulum.DateTime:
    return pendulum.datetime(2024, month, d, h, tz=UTC)


DAY1 = day(1)


@dataclass
class Task:
    task_id: str
    start_date: datetime.datetime | None = None
    end_date: datetime.datetime | None = None
    depends_on_past: bool = False


@dataclass
class Sched:
    """A DAG as scheduling over time sees it."""

    timetable: Timetable
    start_date: datetime.datetime | None = DAY1
    end_date: datetime.datetime | None = None
    catchup: bool = True
    max_active_runs: int = 16
    dag_id: str = "d"
    task_dict: dict[str, Task] = field(default_factory=lambda: {"t": Task("t")})
    allowed_run_types: Any = None


@dataclass
class Run:
    run_id: str
    run_type: str = "scheduled"
    state: str = "success"
    logical_date: datetime.datetime | None = None
    data_interval_start: datetime.datetime | None = None
    data_interval_end: datetime.datetime | None = None
    run_after: datetime.datetime = DAY1


def daily_trigger(**kw: Any) -> Sched:
    return Sched(CronTriggerTimetable("@daily", timezone=UTC), **kw)


def daily_interval(**kw: Any) -> Sched:
    return Sched(CronDataIntervalTimetable("@daily", UTC), **kw)


def scheduled(at: datetime.datetime, **kw: Any) -> Run:
    kw.setdefault("run_type", "scheduled")
    return Run(
        f"{kw['run_type']}__{at.isoformat()}",
        logical_date=at,
        data_interval_start=at,
        data_interval_end=at,
        run_after=at,
        **kw,
    )


def starts(infos: list[Any]) -> list[datetime.datetime]:
    return [i.logical_date for i in infos]


# -- the DAG's bounds -------------------------------------------------------------------------------
def test_time_restriction_takes_the_earliest_start_date_of_the_dag_and_its_tasks() -> None:
    dag = daily_trigger(start_date=day(5), task_dict={"a": Task("a", start_date=day(3)), "b": Task("b")})
    assert time_restriction(dag).earliest == day(3)


def test_time_restriction_latest_is_the_dag_end_date_unless_every_task_has_one() -> None:
    some = daily_trigger(end_date=day(9), task_dict={"a": Task("a", end_date=day(20)), "b": Task("b")})
    assert time_restriction(some).latest == day(9)
    every = daily_trigger(
        end_date=day(9), task_dict={"a": Task("a", end_date=day(20)), "b": Task("b", end_date=day(4))}
    )
    assert time_restriction(every).latest == day(20)


def test_time_restriction_reads_naive_task_dates_as_utc_and_keeps_catchup() -> None:
    dag = daily_trigger(catchup=False, task_dict={"a": Task("a", start_date=datetime.datetime(2023, 12, 30))})
    restriction = time_restriction(dag)
    assert restriction.earliest == pendulum.datetime(2023, 12, 30, tz=UTC)
    assert restriction.catchup is False


def test_last_automated_run_is_the_latest_scheduled_or_backfill_run_by_logical_date() -> None:
    runs = [
        scheduled(day(2)),
        scheduled(day(4), run_type="backfill"),
        scheduled(day(9), run_type="manual"),
        Run("asset_triggered__x_abc", run_type="asset_triggered"),
        scheduled(day(3)),
    ]
    assert last_automated_run(runs).logical_date == day(4)
    assert last_automated_run([scheduled(day(9), run_type="manual")]) is None


# -- next executions ------------------------------------------------------------------------------------
def test_fresh_deployment_with_catchup_starts_at_start_date_and_continues_daily() -> None:
    infos = next_run_infos(daily_trigger(), now=day(5, 12), count=3)
    assert starts(infos) == [day(1), day(2), day(3)]
    assert [i.run_after for i in infos] == [day(1), day(2), day(3)]


def test_fresh_deployment_without_catchup_starts_at_the_latest_tick_then_goes_on_into_the_future() -> None:
    infos = next_run_infos(daily_trigger(catchup=False), now=day(5, 12), count=3)
    assert starts(infos) == [day(5), day(6), day(7)]


def test_data_interval_timetable_without_catchup_starts_with_the_latest_complete_interval() -> None:
    infos = next_run_infos(daily_interval(catchup=False), now=day(5, 12), count=2)
    assert [(i.data_interval.start, i.data_interval.end, i.run_after) for i in infos] == [
        (day(4), day(5), day(5)),
        (day(5), day(6), day(6)),
    ]


def test_next_runs_continue_from_the_last_automated_run_ignoring_manual_runs() -> None:
    history = [scheduled(day(1)), scheduled(day(3)), scheduled(day(20), run_type="manual")]
    assert starts(next_run_infos(daily_trigger(), now=day(30), count=2, runs=history)) == [day(4), day(5)]


def test_next_runs_without_catchup_skip_ahead_from_old_history() -> None:
    history = [scheduled(day(1))]
    assert starts(next_run_infos(daily_trigger(catchup=False), now=day(5, 12), count=2, runs=history)) == [
        day(5),
        day(6),
    ]


def test_end_date_bounds_every_next_run_not_only_the_first() -> None:
    infos = next_run_infos(daily_trigger(end_date=day(3)), now=day(10), count=5)
    assert starts(infos) == [day(1), day(2), day(3)]


def test_unscheduled_dags_and_zero_count_have_no_next_runs() -> None:
    assert next_run_infos(Sched(NullTimetable()), now=day(5), count=3) == []
    assert next_run_infos(daily_trigger(), now=day(5), count=0) == []


def test_a_given_last_interval_is_continued_when_no_runs_are_given() -> None:
    infos = next_run_infos(
        daily_trigger(), now=day(9), count=1, last_automated_data_interval=DataInterval(day(6), day(6))
    )
    assert starts(infos) == [day(7)]


# -- the scheduler over time ------------------------------------------------------------------------------
def _simulate_scheduler(
    dag: Sched, start: datetime.datetime, end: datetime.datetime, step: datetime.timedelta
) -> list[tuple[datetime.datetime, str]]:
    """Step `now` from start to end; create what runs_to_schedule says; runs finish at once."""
    runs: list[Run] = []
    created: list[tuple[datetime.datetime, str]] = []
    now = start
    while now <= end:
        for planned in runs_to_schedule(dag, runs, now=now):
            interval = planned.data_interval
            runs.append(
                Run(
                    planned.run_id,
                    state="success",
                    logical_date=planned.logical_date,
                    data_interval_start=interval.start,
                    data_interval_end=interval.end,
                    run_after=planned.run_after,
                )
            )
            created.append((now, planned.run_id))
        now = now + step
    return created


def test_scheduler_creates_each_run_once_as_soon_as_its_run_after_has_come() -> None:
    created = _simulate_scheduler(daily_interval(), day(1), day(4, 23), datetime.timedelta(hours=1))
    assert created == [
        (day(2), "scheduled__2024-01-02T00:00:00+00:00"),
        (day(3), "scheduled__2024-01-03T00:00:00+00:00"),
        (day(4), "scheduled__2024-01-04T00:00:00+00:00"),
    ]


def test_scheduler_started_late_with_catchup_creates_the_missed_runs_at_once_in_order() -> None:
    created = _simulate_scheduler(daily_trigger(), day(3, 12), day(3, 12), datetime.timedelta(hours=1))
    assert [run_id for _, run_id in created] == [
        "scheduled__2024-01-01T00:00:00+00:00",
        "scheduled__2024-01-02T00:00:00+00:00",
        "scheduled__2024-01-03T00:00:00+00:00",
    ]


def test_scheduler_started_late_without_catchup_creates_only_the_latest_run() -> None:
    created = _simulate_scheduler(
        daily_trigger(catchup=False), day(3, 12), day(4, 12), datetime.timedelta(hours=6)
    )
    assert created == [
        (day(3, 12), "scheduled__2024-01-03T00:00:00+00:00"),
        (day(4, 0), "scheduled__2024-01-04T00:00:00+00:00"),
    ]


def test_scheduler_respects_max_active_runs_counting_manual_but_not_backfill_runs() -> None:
    dag = daily_trigger(max_active_runs=3)
    active = [
        scheduled(day(1), run_type="backfill", state="running"),
        scheduled(day(2), state="running"),
        scheduled(day(20), run_type="manual", state="queued"),
    ]
    planned = runs_to_schedule(dag, active, now=day(10))
    assert [p.logical_date for p in planned] == [day(3)]


def test_scheduler_passes_over_a_logical_date_that_already_has_a_run() -> None:
    runs = [scheduled(day(1)), scheduled(day(2), run_type="manual")]
    planned = runs_to_schedule(daily_trigger(), runs, now=day(3, 1))
    assert [p.run_id for p in planned] == ["scheduled__2024-01-03T00:00:00+00:00"]


def test_continuous_schedule_keeps_one_run_at_a_time() -> None:
    dag = Sched(ContinuousTimetable(), catchup=False)
    first = runs_to_schedule(dag, [], now=day(2))
    assert len(first) == 1 and first[0].data_interval == DataInterval(day(1), day(2))
    running = [scheduled(day(1), state="running")]
    assert runs_to_schedule(dag, running, now=day(3)) == []


def test_nothing_is_scheduled_before_the_first_run_after() -> None:
    assert runs_to_schedule(daily_interval(), [], now=day(1, 23)) == []


# -- run ids ------------------------------------------------------------------------------------------------
def test_run_ids_are_run_type_and_run_after_in_iso() -> None:
    at = pendulum.datetime(2024, 3, 5, 6, tz="Europe/Amsterdam").in_timezone(UTC)
    assert run_id_for("backfill", run_after=at, logical_date=at) == "backfill__2024-03-05T05:00:00+00:00"
    assert run_id_for("manual", run_after=at, logical_date=at) == "manual__2024-03-05T05:00:00+00:00"


def test_run_without_logical_date_needs_a_suffix() -> None:
    at = day(2)
    assert run_id_for("asset_triggered", run_after=at, logical_date=None, suffix="Ab3dEf9h") == (
        "asset_triggered__2024-01-02T00:00:00+00:00_Ab3dEf9h"
    )
    with pytest.raises(ValueError, match="suffix"):
        run_id_for("asset_triggered", run_after=at, logical_date=None)


def test_scheduled_run_ids_come_from_the_timetable_so_custom_timetables_shape_them() -> None:
    class Custom(CronTriggerTimetable):
        def generate_run_id(self, *, run_type: Any, run_after: Any, data_interval: Any, **extra: Any) -> str:
            return f"custom_{run_after.strftime('%Y%m%d')}"

    dag = Sched(Custom("@daily", timezone=UTC))
    assert [p.run_id for p in runs_to_schedule(dag, [], now=day(2))] == ["custom_20240101", "custom_20240102"]


# -- backfill -------------------------------------------------------------------------------------------------
def test_backfill_plans_every_interval_in_the_range_that_has_ended_in_order() -> None:
    plan = backfill_runs(daily_interval(), day(1), day(10), None, [], now=day(5, 12))
    assert plan.logical_dates == [day(1), day(2), day(3), day(4)]
    assert [e.sort_ordinal for e in plan.entries] == [1, 2, 3, 4]
    assert [e.run_id for e in plan.entries][:2] == [
        "backfill__2024-01-02T00:00:00+00:00",
        "backfill__2024-01-03T00:00:00+00:00",
    ]
    assert all(e.action is BackfillAction.CREATE for e in plan.entries)
    assert plan.reprocess_behavior is ReprocessBehavior.NONE


def test_backfill_dates_are_inclusive_on_logical_dates_for_trigger_timetables() -> None:
    plan = backfill_runs(daily_trigger(), day(2), day(4), "none", [], now=day(30))
    assert plan.logical_dates == [day(2), day(3), day(4)]


def test_backfill_ignores_the_dags_start_date_end_date_and_catchup() -> None:
    dag = daily_trigger(start_date=day(1, month=6), end_date=day(2, month=6), catchup=False)
    assert backfill_runs(dag, day(1), day(3), None, [], now=day(30)).logical_dates == [day(1), day(2), day(3)]


def test_backfill_run_backwards_reverses_the_order_and_the_ordinals_follow() -> None:
    plan = backfill_runs(daily_trigger(), day(1), day(3), None, [], now=day(30), reverse=True)
    assert plan.logical_dates == [day(3), day(2), day(1)]
    assert plan.entries[0].sort_ordinal == 1


@pytest.mark.parametrize(
    ("behavior", "expected"),
    [
        (None, ["already exists", "already exists", "in flight", "create"]),
        ("none", ["already exists", "already exists", "in flight", "create"]),
        ("failed", ["already exists", "reprocess", "in flight", "create"]),
        ("completed", ["reprocess", "reprocess", "in flight", "create"]),
    ],
)
def test_backfill_reprocess_behavior_decides_what_happens_to_existing_runs(
    behavior: str | None, expected: list[str]
) -> None:
    existing = [
        scheduled(day(1), state="success"),
        scheduled(day(2), run_type="manual", state="failed"),
        scheduled(day(3), state="running"),
    ]
    plan = backfill_runs(daily_trigger(), day(1), day(4), behavior, existing, now=day(30))
    assert [e.action.value for e in plan.entries] == expected
    assert plan.entries[1].run_id == "manual__2024-01-02T00:00:00+00:00"  # an existing run keeps its id
    assert [e.logical_date for e in plan.to_run] == [
        e.logical_date
        for e, action in zip(plan.entries, expected, strict=True)
        if action in ("create", "reprocess")
    ]


def test_backfill_infos_drop_intervals_that_have_not_ended_yet() -> None:
    infos = backfill_infos(CronDataIntervalTimetable("@daily", UTC), day(1), day(5), now=day(3))
    assert starts(infos) == [day(1)]  # [2, 3) ends exactly at now: not strictly before it


@pytest.mark.parametrize(
    ("dag", "start", "end", "kwargs", "error"),
    [
        (Sched(NullTimetable()), day(1), day(2), {}, DagNonPeriodicScheduleException),
        (daily_trigger(allowed_run_types=["manual"]), day(1), day(2), {}, DagRunTypeNotAllowed),
        (daily_trigger(), day(3), day(2), {}, InvalidBackfillDateRange),
        (daily_trigger(), day(5), day(6), {"now": day(4)}, InvalidBackfillDate),
        (
            daily_trigger(task_dict={"t": Task("t", depends_on_past=True)}),
            day(1),
            day(2),
            {"reverse": True, "behavior": "completed"},
            InvalidBackfillDirection,
        ),
        (
            daily_trigger(task_dict={"t": Task("t", depends_on_past=True)}),
            day(1),
            day(2),
            {},
            InvalidReprocessBehavior,
        ),
        (
            daily_trigger(task_dict={"t": Task("t", depends_on_past=True)}),
            day(1),
            day(2),
            {"behavior": "none"},
            InvalidReprocessBehavior,
        ),
        (daily_interval(), day(3), day(3, 12), {"now": day(3, 13)}, NoBackfillRunsToCreate),
    ],
)
def test_backfill_refuses_what_airflow_refuses(
    dag: Sched, start: Any, end: Any, kwargs: dict[str, Any], error: type
) -> None:
    now = kwargs.pop("now", day(30))
    behavior = kwargs.pop("behavior", None)
    with pytest.raises(error):
        backfill_runs(dag, start, end, behavior, [], now=now, **kwargs)


def test_backfill_with_depends_on_past_runs_forward_when_reprocessing() -> None:
    dag = daily_trigger(task_dict={"t": Task("t", depends_on_past=True)})
    plan = backfill_runs(dag, day(1), day(2), "failed", [], now=day(30))
    assert plan.logical_dates == [day(1), day(2)]


def test_backfill_partly_in_the_future_stops_at_now() -> None:
    plan = backfill_runs(daily_trigger(), day(1), day(9), None, [], now=day(3, 12))
    assert plan.logical_dates == [day(1), day(2), day(3)]
