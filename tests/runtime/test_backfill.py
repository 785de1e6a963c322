"""Backfill in process (runtime/backfill.py): the planned runs, created up front and run in
order against the local store, with reprocessing, depends_on_past and max_active_runs. Every
test runs on a FakeClock: "now" is fixed and retries never sleep."""

from __future__ import annotations

import datetime
from typing import Any

import pendulum
import pytest

from riir_airflow.engine.runs import InvalidReprocessBehavior, NoBackfillRunsToCreate
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.backfill import run_backfill
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.local import using_store
from riir_airflow.sdk import DAG
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.sdk.timetables import CronDataIntervalTimetable
from riir_airflow.store.records import TaskInstanceRecord

START = pendulum.datetime(2024, 1, 1, tz="UTC")
NOW = pendulum.datetime(2024, 2, 1, tz="UTC")


def day(d: int) -> pendulum.DateTime:
    return pendulum.datetime(2024, 1, d, tz="UTC")


def backfill(dag: DAG, store: Any, first: int, last: int, **kw: Any) -> Any:
    clock = kw.pop("clock", None) or FakeClock(NOW)
    with using_store(store):
        return run_backfill(dag, store, from_date=day(first), to_date=day(last), clock=clock, **kw)


def recorder(log: list[str], fail_on: tuple[str, ...] = ()) -> Any:
    def work(ds: str) -> str:
        log.append(ds)
        if ds in fail_on:
            raise RuntimeError(f"failing on {ds}")
        return ds

    return work


def manual_run(dag: DAG, store: Any, logical_date: datetime.datetime) -> Any:
    with using_store(store):
        runner = DagRunner(dag, store, FakeClock(NOW))
        return runner.run(runner.create_manual_run(logical_date=logical_date, run_after=logical_date))


def test_backfill_creates_backfill_runs_for_each_date_and_runs_them_in_order(local_store) -> None:
    ran: list[str] = []
    with DAG("bf_order", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=recorder(ran))
    result = backfill(dag, local_store, 1, 3)
    assert ran == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert result.ok
    runs = local_store.list_dag_runs("bf_order")
    assert [(r.run_id, r.run_type, r.state.value, r.triggered_by) for r in runs] == [
        (f"backfill__2024-01-0{d}T00:00:00+00:00", "backfill", "success", "backfill") for d in (1, 2, 3)
    ]


def test_backfill_run_backwards_runs_the_latest_date_first(local_store) -> None:
    ran: list[str] = []
    with DAG("bf_backwards", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=recorder(ran))
    backfill(dag, local_store, 1, 3, reverse=True)
    assert ran == ["2024-01-03", "2024-01-02", "2024-01-01"]


def test_backfill_runs_see_each_other_as_history(local_store) -> None:
    seen: list[Any] = []

    def work(prev_data_interval_start_success: Any, data_interval_start: Any) -> None:
        seen.append(
            (
                data_interval_start.day,
                prev_data_interval_start_success and prev_data_interval_start_success.day,
            )
        )

    with DAG("bf_history", schedule=CronDataIntervalTimetable("@daily", "UTC"), start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=work)
    backfill(dag, local_store, 1, 3)
    assert seen == [(1, None), (2, 1), (3, 2)]


def test_backfill_conf_reaches_every_run(local_store) -> None:
    got: list[Any] = []
    with DAG("bf_conf", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=lambda dag_run: got.append(dag_run.conf))
    backfill(dag, local_store, 1, 2, conf={"k": "v"})
    assert got == [{"k": "v"}, {"k": "v"}]


@pytest.mark.parametrize(
    ("behavior", "rerun"),
    [(None, []), ("failed", ["2024-01-02"]), ("completed", ["2024-01-01", "2024-01-02"])],
)
def test_reprocess_behavior_reruns_existing_runs_as_backfill_runs_keeping_their_ids_and_tries(
    local_store, behavior: str | None, rerun: list[str]
) -> None:
    ran: list[str] = []
    with DAG("bf_reprocess", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=recorder(ran, fail_on=("2024-01-02",)), retries=0)
    manual_run(dag, local_store, day(1))
    manual_run(dag, local_store, day(2))
    ran.clear()
    result = backfill(dag, local_store, 1, 3, reprocess_behavior=behavior)
    assert ran == [*rerun, "2024-01-03"]
    by_date = {o.logical_date.day: o for o in result.outcomes}
    assert by_date[1].outcome == ("success" if "2024-01-01" in rerun else "already exists")
    for d in (1, 2):
        run = by_date[d].run
        assert run.run_id.startswith("manual__")
        assert run.run_type == ("backfill" if f"2024-01-0{d}" in rerun else "manual")
    if "2024-01-02" in rerun:
        tries = local_store.get_task_instance_tries("bf_reprocess", by_date[2].run.run_id, "t")
        assert [(t.try_number, t.state.value) for t in tries] == [(1, "failed"), (2, "failed")]
        assert local_store.get_dag_run("bf_reprocess", by_date[2].run.run_id).clear_number == 1


def test_depends_on_past_needs_a_reprocess_behavior(local_store) -> None:
    with DAG("bf_dop_refused", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=lambda: None, depends_on_past=True)
    with pytest.raises(InvalidReprocessBehavior):
        backfill(dag, local_store, 1, 2)
    assert local_store.list_dag_runs("bf_dop_refused") == []


def test_first_run_of_a_backfill_passes_depends_on_past_even_after_a_failed_run(local_store) -> None:
    ran: list[str] = []
    with DAG("bf_dop_first", schedule="@daily", start_date=START) as dag:
        PythonOperator(
            task_id="t", python_callable=recorder(ran, fail_on=("2024-01-01",)), depends_on_past=True
        )
    manual_run(dag, local_store, day(1))
    result = backfill(dag, local_store, 2, 3, reprocess_behavior="failed")
    assert ran == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert result.ok


@pytest.mark.parametrize(("limit", "left_running", "left_queued"), [(1, [3], [4, 5]), (2, [3, 4], [5])])
def test_runs_held_by_depends_on_past_stay_running_and_max_active_runs_leaves_the_rest_queued(
    local_store, limit: int, left_running: list[int], left_queued: list[int]
) -> None:
    ran: list[str] = []
    with DAG("bf_dop_held", schedule="@daily", start_date=START) as dag:
        PythonOperator(
            task_id="t", python_callable=recorder(ran, fail_on=("2024-01-02",)), depends_on_past=True
        )
        EmptyOperator(task_id="free")
    result = backfill(dag, local_store, 1, 5, reprocess_behavior="completed", max_active_runs=limit)
    assert ran == ["2024-01-01", "2024-01-02"]
    by_day = {o.logical_date.day: o for o in result.outcomes}
    assert [by_day[d].outcome for d in (1, 2)] == ["success", "failed"]
    for d in left_running:
        assert by_day[d].outcome == "running"
        assert by_day[d].run.state is DagRunState.RUNNING
        assert ("t", -1) in by_day[d].blocked
        states = {
            ti.task_id: ti.state for ti in local_store.get_task_instances("bf_dop_held", by_day[d].run.run_id)
        }
        assert states == {"t": TaskInstanceState.NONE, "free": TaskInstanceState.SUCCESS}
    for d in left_queued:
        assert by_day[d].outcome == "queued"
        assert local_store.get_dag_run("bf_dop_held", by_day[d].run.run_id).state is DagRunState.QUEUED
    assert not result.ok


def test_a_rerun_backfill_resumes_runs_left_queued_or_running(local_store) -> None:
    ran: list[str] = []
    with DAG("bf_resume", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=recorder(ran))
    backfill(dag, local_store, 1, 1)
    # a run a stopped process left running, with its task in flight
    with using_store(local_store):
        runner = DagRunner(dag, local_store, FakeClock(NOW))
        run = runner.create_manual_run(logical_date=day(2))
    local_store.update_dag_run("bf_resume", run.run_id, state=DagRunState.RUNNING, start_date=NOW)
    local_store.put_task_instances(
        [TaskInstanceRecord("bf_resume", run.run_id, "t", state=TaskInstanceState.RUNNING, try_number=1)]
    )
    ran.clear()
    result = backfill(dag, local_store, 1, 2)
    assert ran == ["2024-01-02"]
    assert [o.outcome for o in result.outcomes] == ["already exists", "success"]
    assert local_store.get_task_instance("bf_resume", run.run_id, "t").try_number == 2


def test_latest_only_lets_only_the_latest_backfill_run_through(local_store) -> None:
    with DAG("bf_latest", schedule=CronDataIntervalTimetable("@daily", "UTC"), start_date=START) as dag:
        LatestOnlyOperator(task_id="latest") >> EmptyOperator(task_id="after")
    clock = FakeClock(pendulum.datetime(2024, 1, 6, 0, 30, tz="UTC"))
    result = backfill(dag, local_store, 1, 5, clock=clock)
    states = [
        local_store.get_task_instance("bf_latest", o.run.run_id, "after").state.value for o in result.outcomes
    ]
    assert states == ["skipped", "skipped", "skipped", "skipped", "success"]


def test_nothing_to_backfill_is_an_error_and_writes_nothing(local_store) -> None:
    with DAG("bf_nothing", schedule=CronDataIntervalTimetable("@daily", "UTC"), start_date=START) as dag:
        EmptyOperator(task_id="t")
    with pytest.raises(NoBackfillRunsToCreate):
        backfill(dag, local_store, 5, 5, clock=FakeClock(day(5).add(hours=12)))
    assert local_store.list_dag_runs("bf_nothing") == []
