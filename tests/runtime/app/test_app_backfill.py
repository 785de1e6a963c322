"""A backfill created through the official client is run by the DAG's app (real broker and app
processes): its runs in backfill order, at most its max_active_runs at once (the DAG's own
max_active_runs does not bound them), none while it is paused, and a cancelled backfill's queued
runs never run."""

from __future__ import annotations

import time

import airflow_client.client as af
import pendulum
from broker.support import login

from .conftest import System

DAG_FILE = """
import time
import pendulum
from riir_airflow.sdk import DAG, task

with DAG("bf_app", schedule="@daily", start_date=pendulum.datetime(2023, 11, 1, tz="UTC"), catchup=False,
         max_active_runs=1):
    @task
    def work(ds=None):
        time.sleep(2.0)
        return ds
    work()
"""


def most_at_once(runs: list[af.DAGRunResponse]) -> int:
    """The most runs that were running at the same moment (from their start and end dates)."""
    edges = sorted([(r.start_date, 1) for r in runs] + [(r.end_date, -1) for r in runs])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def test_a_dag_app_runs_a_backfill_in_order_within_its_max_active_runs_and_honours_pause_and_cancel(
    system: System,
) -> None:
    system.start_app(system.write_dag("bf_app", DAG_FILE), wait_for="bf_app")
    client = af.ApiClient(
        af.Configuration(host=system.broker.url, access_token=login(system.broker.url, "admin", "admin"))
    )
    backfills, runs_api = af.BackfillApi(client), af.DagRunApi(client)
    today = pendulum.today("UTC")
    day = lambda n: today.subtract(days=n)

    def states(since: pendulum.DateTime, until: pendulum.DateTime) -> dict[str, str]:
        return {r.logical_date.date().isoformat(): r.state.value for r in runs(since, until)}

    def runs(since: pendulum.DateTime, until: pendulum.DateTime) -> list[af.DAGRunResponse]:
        found = runs_api.get_dag_runs("bf_app", run_type=["backfill"], order_by=["logical_date"],
                                      logical_date_gte=since, logical_date_lte=until)  # fmt: skip
        return found.dag_runs

    # Four daily runs, two at a time although the DAG's own max_active_runs is 1, oldest first.
    first = backfills.create_backfill(
        af.BackfillPostBody(dag_id="bf_app", from_date=day(4), to_date=day(1), max_active_runs=2)
    )
    done = system.wait(
        lambda: (b := backfills.get_backfill(first.id)).completed_at and b, what="the backfill"
    )
    finished = runs(day(4), day(1))
    assert [r.state.value for r in finished] == ["success"] * 4
    assert most_at_once(finished) == 2
    assert max(r.start_date for r in finished[:2]) <= min(r.start_date for r in finished[2:])
    assert done.completed_at == max(r.end_date for r in finished)
    xcom = af.XComApi(client).get_xcom_entry("bf_app", "work", finished[0].dag_run_id, "return_value")
    assert xcom.actual_instance.value == day(4).date().isoformat()

    # One at a time, backwards; paused once its first run started: no other run starts.
    second = backfills.create_backfill(
        af.BackfillPostBody(
            dag_id="bf_app", from_date=day(8), to_date=day(6), max_active_runs=1, run_backwards=True
        )
    )
    started = system.wait(
        lambda: [r for r in runs(day(8), day(6)) if r.state.value != "queued"], what="a run"
    )
    backfills.pause_backfill(second.id)
    assert [r.logical_date for r in started] == [day(6)]  # newest first
    system.wait(
        lambda: runs_api.get_dag_run("bf_app", started[0].dag_run_id).state.value == "success", what="run"
    )
    time.sleep(3)  # several scheduler ticks
    assert states(day(8), day(6)) == {day(8).date().isoformat(): "queued", day(7).date().isoformat(): "queued",
                                      day(6).date().isoformat(): "success"}  # fmt: skip

    # Cancelled: the queued runs fail without running and the backfill is completed.
    assert backfills.cancel_backfill(second.id).completed_at is not None
    time.sleep(2)
    assert states(day(8), day(6)) == {day(8).date().isoformat(): "failed", day(7).date().isoformat(): "failed",
                                      day(6).date().isoformat(): "success"}  # fmt: skip
    cancelled = runs(day(8), day(8))[0].dag_run_id
    assert af.TaskInstanceApi(client).get_task_instances("bf_app", cancelled).total_entries in (0, 1)
    assert all(
        t.try_number == 0
        for t in af.TaskInstanceApi(client).get_task_instances("bf_app", cancelled).task_instances
    )
