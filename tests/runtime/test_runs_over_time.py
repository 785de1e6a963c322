"""DagRunner over time, on a FakeClock and the local store: scheduler passes that create
scheduled runs, requeued (cleared) runs, resumed runs, depends_on_past across run types, runs
left waiting, dagrun_timeout while waiting, and `tasks clear` selection and effect."""

from __future__ import annotations

import datetime
from typing import Any

import pendulum

from riir_airflow.engine import PlannedRun, backfill_runs, past_depends_verdict
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.clearing import clear, rerun_cleared, select_to_clear
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.local import using_store
from riir_airflow.sdk import DAG
from riir_airflow.sdk.exceptions import AirflowException
from riir_airflow.sdk.run_type import DagRunType
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import TaskInstanceRecord

START = pendulum.datetime(2024, 1, 1, tz="UTC")


def day(d: int, hour: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(2024, 1, d, hour, tz="UTC")


def runner_for(dag: DAG, store: Any, clock: FakeClock) -> DagRunner:
    return DagRunner(dag, store, clock)


def states(store: Any, dag_id: str, run_id: str) -> dict[str, str]:
    return {ti.task_id: ti.state.value for ti in store.get_task_instances(dag_id, run_id)}


# -- scheduler passes -----------------------------------------------------------------------------
def test_scheduler_passes_over_three_days_create_and_run_one_scheduled_run_per_day(local_store) -> None:
    seen: list[str] = []
    with DAG("sched_days", schedule="@daily", start_date=START, catchup=True) as dag:
        PythonOperator(task_id="t", python_callable=lambda ds, run_id: seen.append(f"{ds} {run_id}"))
    clock = FakeClock(day(1, 6))
    runner = runner_for(dag, local_store, clock)
    with using_store(local_store):
        for _ in range(3):
            for run in runner.create_scheduled_runs():
                assert run.triggered_by == "timetable"
                runner.run(run)
            assert runner.create_scheduled_runs() == []  # nothing more is due today
            clock.advance(datetime.timedelta(days=1))
    assert seen == [f"2024-01-0{d} scheduled__2024-01-0{d}T00:00:00+00:00" for d in (1, 2, 3)]


def test_a_scheduler_pass_respects_max_active_runs(local_store) -> None:
    with DAG("sched_limit", schedule="@daily", start_date=START, catchup=True, max_active_runs=2) as dag:
        EmptyOperator(task_id="t")
    runner = runner_for(dag, local_store, FakeClock(day(10)))
    first = runner.create_scheduled_runs()
    assert [r.logical_date for r in first] == [day(1), day(2)]
    assert runner.create_scheduled_runs() == []  # two queued runs are active
    with using_store(local_store):
        runner.run(first[0])
    assert [r.logical_date for r in runner.create_scheduled_runs()] == [day(3)]


# -- requeue and resume -----------------------------------------------------------------------------
def test_a_requeued_run_runs_its_cleared_tasks_again_with_fresh_retries(local_store) -> None:
    attempts: list[int] = []

    def flaky(ti: Any) -> None:
        attempts.append(ti.try_number)
        if ti.try_number < 4:
            raise AirflowException("not yet")

    with DAG("requeue", schedule="@daily", start_date=START) as dag:
        ok = EmptyOperator(task_id="ok")
        ok >> PythonOperator(
            task_id="flaky", python_callable=flaky, retries=1, retry_delay=datetime.timedelta(0)
        )
    clock = FakeClock(day(2))
    runner = runner_for(dag, local_store, clock)
    with using_store(local_store):
        run = runner.run(runner.create_manual_run(logical_date=day(1)))
        assert run.state is DagRunState.FAILED and attempts == [1, 2]
        requeued = runner.requeue_run(run, task_ids=["flaky"])
        assert (requeued.state, requeued.clear_number, requeued.start_date) == (DagRunState.QUEUED, 1, None)
        assert states(local_store, "requeue", run.run_id) == {"ok": "success", "flaky": "none"}
        final = runner.run(requeued)
    assert final.state is DagRunState.SUCCESS
    assert attempts == [1, 2, 3, 4]  # the cleared task got its retry again
    tries = local_store.get_task_instance_tries("requeue", run.run_id, "flaky")
    assert [(t.try_number, t.state.value) for t in tries] == [
        (1, "up_for_retry"),
        (2, "failed"),
        (3, "up_for_retry"),
        (4, "success"),
    ]
    assert [t.try_number for t in local_store.get_task_instance_tries("requeue", run.run_id, "ok")] == [1]


def test_requeue_can_turn_a_manual_run_into_a_backfill_run(local_store) -> None:
    with DAG("requeue_type", schedule="@daily", start_date=START) as dag:
        EmptyOperator(task_id="t")
    runner = runner_for(dag, local_store, FakeClock(day(2)))
    with using_store(local_store):
        run = runner.run(runner.create_manual_run(logical_date=day(1)))
    again = runner.requeue_run(run, run_type=DagRunType.BACKFILL_JOB, triggered_by="backfill")
    assert (again.run_id, again.run_type, again.triggered_by) == (run.run_id, "backfill", "backfill")


def test_a_running_run_resumes_keeping_its_start_date_and_reruns_instances_left_in_flight(
    local_store,
) -> None:
    ran: list[str] = []
    with DAG("resume", schedule="@daily", start_date=START) as dag:
        a = PythonOperator(task_id="a", python_callable=lambda: ran.append("a"))
        b = PythonOperator(task_id="b", python_callable=lambda: ran.append("b"))
        a >> b
    clock = FakeClock(day(2))
    runner = runner_for(dag, local_store, clock)
    with using_store(local_store):
        run = runner.create_manual_run(logical_date=day(1))
        local_store.update_dag_run("resume", run.run_id, state=DagRunState.RUNNING, start_date=day(1, 23))
        local_store.put_task_instances(
            [
                TaskInstanceRecord("resume", run.run_id, "a", state=TaskInstanceState.SUCCESS, try_number=1),
                TaskInstanceRecord("resume", run.run_id, "b", state=TaskInstanceState.RUNNING, try_number=1),
            ]
        )
        final = runner.run(local_store.get_dag_run("resume", run.run_id))
    assert ran == ["b"]
    assert final.state is DagRunState.SUCCESS
    assert final.start_date == day(1, 23)
    assert local_store.get_task_instance("resume", run.run_id, "b").try_number == 2


# -- depends_on_past across run types, runs left waiting --------------------------------------------------
def test_with_catchup_a_backfill_run_is_the_previous_run_but_a_manual_one_is_not(local_store) -> None:
    with DAG("dop_types", schedule="@daily", start_date=START, catchup=True) as dag:
        PythonOperator(task_id="t", python_callable=lambda ds: None, depends_on_past=True)
    clock = FakeClock(day(10))
    runner = runner_for(dag, local_store, clock)
    with using_store(local_store):
        plan = backfill_runs(dag, day(1), day(1), "completed", [], now=clock.now())
        backfill_run = runner.create_planned_run(
            PlannedRun(plan.entries[0].info, plan.entries[0].run_id, DagRunType.BACKFILL_JOB)
        )
        runner.run(backfill_run)
        local_store.clear_task_instances("dop_types", backfill_run.run_id, ["t"])  # its t now has no state
        manual = runner.run(runner.create_manual_run(logical_date=day(2), run_after=day(2)))
        third = runner.run(
            runner.create_manual_run(logical_date=day(3), run_after=day(3)), leave_blocked=True
        )
    # day 2 and day 3 both look back to the backfill run of day 1 (manual runs do not count)
    assert manual.state is DagRunState.FAILED and states(local_store, "dop_types", manual.run_id) == {
        "t": "none"
    }
    assert third.state is DagRunState.RUNNING
    assert "previous run backfill__2024-01-01" in runner.blocked[("t", -1)]


def test_a_run_left_waiting_runs_on_once_its_previous_run_is_fixed(local_store) -> None:
    fail = {"2024-01-01"}

    def work(ds: str) -> str:
        if ds in fail:
            raise RuntimeError("bad day")
        return ds

    with DAG("dop_wait", schedule="@daily", start_date=START) as dag:
        PythonOperator(task_id="t", python_callable=work, depends_on_past=True)
    runner = runner_for(dag, local_store, FakeClock(day(10)))
    with using_store(local_store):
        first = runner.run(runner.create_manual_run(logical_date=day(1), run_after=day(1)))
        second = runner.run(
            runner.create_manual_run(logical_date=day(2), run_after=day(2)), leave_blocked=True
        )
        assert (first.state, second.state) == (DagRunState.FAILED, DagRunState.RUNNING)
        fail.clear()
        runner.run(runner.requeue_run(first))
        second = runner.run(local_store.get_dag_run("dop_wait", second.run_id), leave_blocked=True)
    assert second.state is DagRunState.SUCCESS and runner.blocked == {}


def test_the_runner_and_the_engine_agree_on_why_a_task_waits() -> None:
    class Task:
        task_id = "t"
        depends_on_past = True
        wait_for_downstream = False
        ignore_first_depends_on_past = False
        start_date = None
        downstream_task_ids: frozenset[str] = frozenset()

    verdict = past_depends_verdict(
        Task(),
        catchup=False,
        previous_logical_date=day(1),
        previous_states={("t", -1): TaskInstanceState.FAILED},
    )
    assert verdict.kind.value == "wait"


# -- dagrun_timeout while waiting ------------------------------------------------------------------------------
def test_a_retry_wait_longer_than_dagrun_timeout_ends_the_run_at_the_timeout(local_store) -> None:
    with DAG(
        "timeout_wait", schedule=None, start_date=START, dagrun_timeout=datetime.timedelta(minutes=10)
    ) as dag:
        PythonOperator(
            task_id="t",
            python_callable=lambda: (_ for _ in ()).throw(AirflowException("boom")),
            retries=1,
            retry_delay=datetime.timedelta(hours=2),
        )
    clock = FakeClock(day(1))
    runner = runner_for(dag, local_store, clock)
    with using_store(local_store):
        final = runner.run(runner.create_manual_run(logical_date=day(1)))
    assert final.state is DagRunState.FAILED
    assert final.end_date - final.start_date < datetime.timedelta(minutes=11)
    assert states(local_store, "timeout_wait", final.run_id) == {"t": "skipped"}


# -- tasks clear ---------------------------------------------------------------------------------------------------
def test_clear_selects_by_regex_relatives_dates_and_state_then_requeues(local_store) -> None:
    with DAG("clearing", schedule="@daily", start_date=START) as dag:
        extract = PythonOperator(
            task_id="extract",
            python_callable=lambda ds: (_ for _ in ()).throw(RuntimeError()) if ds == "2024-01-02" else ds,
        )
        transform = EmptyOperator(task_id="transform")
        load = EmptyOperator(task_id="load")
        extract >> transform >> load
        EmptyOperator(task_id="other")
    clock = FakeClock(day(10))
    runner = runner_for(dag, local_store, clock)
    with using_store(local_store):
        runs = [
            runner.run(runner.create_manual_run(logical_date=day(d), run_after=day(d))) for d in (1, 2, 3)
        ]
        picked = select_to_clear(
            dag, local_store, task_regex="^trans", downstream=True, start_date=day(2), end_date=day(3)
        )
        assert [(p.run.run_id, p.task_ids) for p in picked] == [
            (runs[1].run_id, ["load", "transform"]),
            (runs[2].run_id, ["load", "transform"]),
        ]
        failed = select_to_clear(dag, local_store, only_failed=True)
        assert [(p.run.run_id, [ti.task_id for ti in p.instances]) for p in failed] == [
            (runs[1].run_id, ["extract", "load", "transform"])
        ]
        upstream = select_to_clear(
            dag, local_store, task_regex="^load$", upstream=True, start_date=day(1), end_date=day(1)
        )
        assert upstream[0].task_ids == ["extract", "load", "transform"]
        assert clear(dag, local_store, failed) == 3
        assert local_store.get_dag_run("clearing", runs[1].run_id).state is DagRunState.QUEUED
        assert states(local_store, "clearing", runs[1].run_id)["other"] == "success"
        finals = rerun_cleared(dag, local_store, failed)
    assert [r.state for r in finals] == [DagRunState.FAILED]  # extract still fails on day 2
    tries = local_store.get_task_instance_tries("clearing", runs[1].run_id, "extract")
    assert [(t.try_number, t.state.value) for t in tries] == [(1, "failed"), (2, "failed")]
