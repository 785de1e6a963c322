"""Runs kept in the local store: `dag.test()`, what a later run sees of earlier ones (prev_*
context, prior-date XComs), per-run isolation, and re-running a logical date (spec section 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
import pytest

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.local import local_store
from riir_airflow.sdk import DAG, Param, task
from riir_airflow.sdk.exceptions import ParamValidationError
from riir_airflow.store.records import DagRunRecord

DAY1 = pendulum.datetime(2024, 1, 1)
DAY2 = pendulum.datetime(2024, 1, 2)


def _history_dag(dag_id: str = "history") -> DAG:
    with DAG(dag_id, schedule="@daily", start_date=DAY1) as the_dag:

        @task
        def remember(ds: str, ti: Any) -> str:
            ti.xcom_push(key="only_on_first", value=ds) if ds == "2024-01-01" else None
            return ds

        @task
        def look_back(
            ti: Any,
            prev_data_interval_start_success: Any = None,
            prev_start_date_success: Any = None,
        ) -> dict:
            return {
                "prev_start": prev_data_interval_start_success.isoformat() if prev_data_interval_start_success else None,
                "prev_run_started": bool(prev_start_date_success),  # a falsy proxy when absent, as in Airflow
                "prior": ti.xcom_pull(task_ids="remember", key="only_on_first", include_prior_dates=True),
                "this_run_only": ti.xcom_pull(task_ids="remember", key="only_on_first"),
                "prev_ti": getattr(ti.get_previous_ti(), "state", None) and ti.get_previous_ti().state.value,
            }

        remember() >> look_back()
    return the_dag


def test_dag_test_returns_the_finished_run_record(airflow_home: Path) -> None:
    with DAG("dag_test") as the_dag:
        EmptyOperator(task_id="t")
    run = the_dag.test(logical_date=DAY1)
    assert isinstance(run, DagRunRecord)
    assert run.state.value == "success"
    assert run.logical_date == DAY1
    assert run.run_id.startswith("manual__")
    store = local_store()
    try:
        assert store.get_dag_run("dag_test", run.run_id).state.value == "success"
    finally:
        store.close()


def test_dag_test_accepts_the_2x_execution_date_and_run_conf(airflow_home: Path) -> None:
    with DAG("dag_test_2x", params={"x": 1}) as the_dag:
        PythonOperator(task_id="t", python_callable=lambda params: params["x"])
    run = the_dag.test(execution_date=DAY2, run_conf={"x": 5})
    assert run.logical_date == DAY2
    store = local_store()
    try:
        xcoms = store.get_xcoms("dag_test_2x", run_id=run.run_id)
    finally:
        store.close()
    assert [x.value for x in xcoms] == ["5"]


def test_dag_test_with_logical_date_none_makes_a_run_without_one(airflow_home: Path) -> None:
    with DAG("dag_test_none") as the_dag:
        EmptyOperator(task_id="t")
    run = the_dag.test(logical_date=None)
    assert run.logical_date is None
    assert run.state.value == "success"


def test_second_run_sees_the_first_in_prev_success_and_prior_xcoms(run_dag) -> None:
    the_dag = _history_dag()
    first = run_dag(the_dag, logical_date=DAY1)
    assert first.xcom("look_back") == {
        "prev_start": None,
        "prev_run_started": False,
        "prior": "2024-01-01",
        "this_run_only": "2024-01-01",
        "prev_ti": None,
    }
    second = run_dag(the_dag, logical_date=DAY2)
    assert second.xcom("look_back") == {
        "prev_start": first.run.data_interval_start.isoformat(),
        "prev_run_started": True,
        "prior": "2024-01-01",
        "this_run_only": None,
        "prev_ti": "success",
    }


def test_a_run_does_not_see_later_runs(run_dag) -> None:
    the_dag = _history_dag("history_order")
    run_dag(the_dag, logical_date=DAY2)
    earlier = run_dag(the_dag, logical_date=DAY1)
    assert earlier.xcom("look_back")["prev_start"] is None


def test_failed_runs_are_not_previous_successes(run_dag) -> None:
    with DAG("prev_failed", schedule="@daily", start_date=DAY1) as the_dag:
        PythonOperator(task_id="maybe_fail", python_callable=lambda ds: 1 / 0 if ds == "2024-01-01" else ds)
        PythonOperator(task_id="look", python_callable=lambda prev_start_date_success: prev_start_date_success)
    assert run_dag(the_dag, logical_date=DAY1).state == "failed"
    assert run_dag(the_dag, logical_date=DAY2).xcom("look") is None


def test_xcoms_are_isolated_per_run(run_dag) -> None:
    with DAG("isolated") as the_dag:
        PythonOperator(task_id="push", python_callable=lambda ds: ds)
        PythonOperator(task_id="pull", python_callable=lambda ti: ti.xcom_pull(task_ids="push"))
        the_dag.get_task("push") >> the_dag.get_task("pull")
    first = run_dag(the_dag, logical_date=DAY1)
    second = run_dag(the_dag, logical_date=DAY2)
    assert first.xcom("pull") == "2024-01-01"
    assert second.xcom("pull") == "2024-01-02"
    assert first.xcom("push") == "2024-01-01"


def test_rerunning_the_same_logical_date_replaces_the_earlier_run(run_dag, local_store: Any) -> None:
    calls: list[str] = []
    with DAG("rerun") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda ti: calls.append(ti.run_id) or len(calls))
    first = run_dag(the_dag, logical_date=DAY1, clock=None)
    from riir_airflow.runtime.clock import FakeClock

    second = run_dag(the_dag, logical_date=DAY1, clock=FakeClock(DAY2))
    runs = local_store.list_dag_runs("rerun")
    assert [r.run_id for r in runs] == [second.run_id]
    assert first.run_id != second.run_id
    assert local_store.get_dag_run("rerun", first.run_id) is None
    assert second.xcom("t") == 2
    assert second.ti("t").try_number == 1


def test_rejected_conf_creates_no_run(run_dag, local_store: Any) -> None:
    with DAG("bad_conf", params={"n": Param(1, type="integer")}) as the_dag:
        EmptyOperator(task_id="t")
    with pytest.raises(ParamValidationError):
        run_dag(the_dag, conf={"n": "not a number"})
    assert local_store.list_dag_runs("bad_conf") == []


def test_runs_of_different_dags_do_not_mix(run_dag) -> None:
    first = _history_dag("history_a")
    second = _history_dag("history_b")
    run_dag(first, logical_date=DAY1)
    result = run_dag(second, logical_date=DAY2)
    assert result.xcom("look_back")["prev_start"] is None
    assert result.xcom("look_back")["prior"] is None


def test_naive_logical_date_is_in_the_default_timezone(airflow_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Europe/Amsterdam")
    with DAG("naive_date") as the_dag:
        EmptyOperator(task_id="t")
    run = the_dag.test(logical_date=datetime.datetime(2024, 1, 1, 12, 0))
    assert run.logical_date == pendulum.datetime(2024, 1, 1, 11, 0, tz="UTC")
