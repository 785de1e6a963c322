"""The `dags test --output json` report (DESIGN.md, "Contracts")."""

from __future__ import annotations

import datetime
import json

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.report import ti_report_key
from riir_airflow.sdk import DAG, TaskGroup, task


def test_report_has_the_contract_keys_and_is_json(run_dag) -> None:
    with DAG("report") as the_dag:
        BashOperator(task_id="bash", bash_command="echo {{ ds }}")
        EmptyOperator(task_id="empty")
    report = run_dag(the_dag).report()
    assert set(report) == {
        "dag_id", "run_id", "logical_date", "run_state", "tasks", "rendered", "asset_events", "triggered_dag_ids",
    }  # fmt: skip
    assert (report["asset_events"], report["triggered_dag_ids"]) == ([], [])
    assert json.loads(json.dumps(report)) == report
    assert report["dag_id"] == "report"
    assert report["logical_date"] == "2024-01-01T00:00:00+00:00"
    assert report["run_state"] == "success"
    assert report["tasks"]["bash"] == {"state": "success", "xcom_return": "2024-01-01", "try_number": 1}
    assert report["tasks"]["empty"] == {"state": "success", "xcom_return": None, "try_number": 1}
    assert report["rendered"]["bash"]["bash_command"] == "echo 2024-01-01"
    assert "empty" not in report["rendered"]


def test_report_keys_are_full_group_prefixed_task_ids(run_dag) -> None:
    with DAG("report_groups") as the_dag, TaskGroup("outer"), TaskGroup("inner"):
        EmptyOperator(task_id="t")
    assert list(run_dag(the_dag).report()["tasks"]) == ["outer.inner.t"]


def test_report_xcom_return_is_plain_json(run_dag) -> None:
    with DAG("report_values") as the_dag:

        @task
        def values() -> dict:
            return {"tuple": (1, 2), "when": datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC), "set": {2, 1}}

        values()
    assert run_dag(the_dag).report()["tasks"]["values"]["xcom_return"] == {
        "tuple": [1, 2],
        "when": "2024-01-01T00:00:00+00:00",
        "set": [1, 2],
    }


def test_report_of_a_failed_run_shows_states_and_tries(run_dag) -> None:
    with DAG("report_failed") as the_dag:
        bad = PythonOperator(task_id="bad", python_callable=lambda: 1 / 0, retries=1, retry_delay=1)
        bad >> EmptyOperator(task_id="after")
    report = run_dag(the_dag).report()
    assert report["run_state"] == "failed"
    assert report["tasks"]["bad"] == {"state": "failed", "xcom_return": None, "try_number": 2}
    assert report["tasks"]["after"] == {"state": "upstream_failed", "xcom_return": None, "try_number": 0}


def test_report_of_a_run_without_logical_date(run_dag) -> None:
    with DAG("report_none") as the_dag:
        EmptyOperator(task_id="t")
    assert run_dag(the_dag, logical_date=None).report()["logical_date"] is None


def test_mapped_instances_are_reported_with_their_index() -> None:
    assert ti_report_key("t", -1) == "t"
    assert ti_report_key("g.t", 3) == "g.t[3]"
