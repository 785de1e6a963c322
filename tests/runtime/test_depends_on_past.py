"""depends_on_past and wait_for_downstream across runs kept in the local store (spec 4.6).

Airflow's `dag.test()` waits forever for a task whose past dependency is not met; the
in-process runner cannot wait for another run, so it returns with the task not run and the run
not successful.
"""

from __future__ import annotations

from typing import Any

import pendulum

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk import DAG

DAY1 = pendulum.datetime(2024, 1, 1)
DAY2 = pendulum.datetime(2024, 1, 2)
DAY3 = pendulum.datetime(2024, 1, 3)


def _fail_on(*bad_days: str) -> Any:
    def run(ds: str) -> str:
        if ds in bad_days:
            raise RuntimeError(f"failing on {ds}")
        return ds

    return run


def test_first_run_of_a_depends_on_past_task_runs(run_dag) -> None:
    with DAG("dop_first") as the_dag:
        PythonOperator(task_id="t", python_callable=_fail_on(), depends_on_past=True)
    assert run_dag(the_dag, logical_date=DAY1).ti_state("t") == "success"


def test_runs_when_the_previous_run_succeeded_or_skipped_it(run_dag) -> None:
    with DAG("dop_ok") as the_dag:
        PythonOperator(task_id="t", python_callable=_fail_on(), depends_on_past=True)
    run_dag(the_dag, logical_date=DAY1)
    assert run_dag(the_dag, logical_date=DAY2).ti_state("t") == "success"


def test_does_not_run_when_the_previous_run_failed_it(run_dag) -> None:
    ran: list[str] = []

    def work(ds: str) -> None:
        ran.append(ds)
        if ds == "2024-01-01":
            raise RuntimeError("day one fails")

    with DAG("dop_blocked") as the_dag:
        PythonOperator(task_id="t", python_callable=work, depends_on_past=True)
        PythonOperator(task_id="independent", python_callable=lambda: "ran")
    assert run_dag(the_dag, logical_date=DAY1).ti_state("t") == "failed"
    second = run_dag(the_dag, logical_date=DAY2)
    assert ran == ["2024-01-01"]
    assert second.ti_state("t") == "none"
    assert second.ti_state("independent") == "success"
    assert second.state != "success"  # Airflow would wait forever; riir does not end it success


def test_the_previous_run_is_the_latest_earlier_one(run_dag) -> None:
    with DAG("dop_previous_only") as the_dag:
        PythonOperator(task_id="t", python_callable=_fail_on("2024-01-01"), depends_on_past=True)
    run_dag(the_dag, logical_date=DAY1)
    # with no day-2 run, the previous run of day 3 is day 1, which failed
    assert run_dag(the_dag, logical_date=DAY3).ti_state("t") == "none"
    # a later run does not count as previous
    assert run_dag(the_dag, logical_date=DAY2).ti_state("t") == "none"


def test_task_missing_from_the_previous_run_waits(run_dag) -> None:
    with DAG("dop_new_task") as old:
        EmptyOperator(task_id="other")
    run_dag(old, logical_date=DAY1)
    with DAG("dop_new_task") as new:
        EmptyOperator(task_id="other")
        PythonOperator(task_id="added", python_callable=lambda: 1, depends_on_past=True)
    assert run_dag(new, logical_date=DAY2).ti_state("added") == "none"


def test_ignore_first_depends_on_past_lets_a_new_task_run(run_dag) -> None:
    with DAG("dop_ignore_first") as old:
        EmptyOperator(task_id="other")
    run_dag(old, logical_date=DAY1)
    with DAG("dop_ignore_first") as new:
        EmptyOperator(task_id="other")
        PythonOperator(
            task_id="added", python_callable=lambda: 1, depends_on_past=True, ignore_first_depends_on_past=True
        )
    assert run_dag(new, logical_date=DAY2).ti_state("added") == "success"


def test_wait_for_downstream_needs_the_previous_runs_downstream_done(run_dag) -> None:
    with DAG("dop_downstream") as the_dag:
        first = PythonOperator(task_id="first", python_callable=lambda: 1, wait_for_downstream=True)
        second = PythonOperator(task_id="second", python_callable=_fail_on("2024-01-01"))
        first >> second
    day1 = run_dag(the_dag, logical_date=DAY1)
    assert (day1.ti_state("first"), day1.ti_state("second")) == ("success", "failed")
    day2 = run_dag(the_dag, logical_date=DAY2)
    assert day2.ti_state("first") == "none"


def test_an_upstream_failure_still_marks_a_held_task_upstream_failed(run_dag) -> None:
    with DAG("dop_upstream_failed") as the_dag:
        up = PythonOperator(task_id="up", python_callable=_fail_on("2024-01-02"))
        t = PythonOperator(task_id="t", python_callable=_fail_on("2024-01-01"), depends_on_past=True)
        up >> t
    run_dag(the_dag, logical_date=DAY1)
    day2 = run_dag(the_dag, logical_date=DAY2)
    assert day2.ti_state("t") == "upstream_failed"
