"""LatestOnlyOperator and TriggerDagRunOperator (spec sections 4.5, 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
import pytest

from riir_airflow.operators.latest_only import LatestOnlyOperator as LatestOnly2x
from riir_airflow.operators.trigger_dagrun import TriggerDagRunOperator as Trigger2x
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.latest_only import LatestOnlyOperator
from riir_airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.local import using_store
from riir_airflow.sdk import DAG
from riir_airflow.sdk.serde import deserialize_value
from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.timetables import CronDataIntervalTimetable
from riir_airflow.store.records import DagRunRecord

JAN1 = pendulum.datetime(2024, 1, 1)
JAN2 = pendulum.datetime(2024, 1, 2)


def _latest_only_dag(dag_id: str) -> DAG:
    with DAG(dag_id, schedule=CronDataIntervalTimetable("@daily", timezone="UTC"), start_date=JAN1) as the_dag:
        LatestOnlyOperator(task_id="latest_only") >> EmptyOperator(task_id="downstream")
    return the_dag


def _run_scheduled(the_dag: DAG, store: Any, now: pendulum.DateTime) -> dict[str, str]:
    """A scheduled run for the interval [Jan 1, Jan 2), run with the clock at `now`."""
    record = store.create_dag_run(
        DagRunRecord(
            dag_id=the_dag.dag_id,
            run_id="scheduled__2024-01-01T00:00:00+00:00",
            run_type="scheduled",
            state=DagRunState.QUEUED,
            run_after=JAN2,
            logical_date=JAN1,
            data_interval_start=JAN1,
            data_interval_end=JAN2,
        )
    )
    with using_store(store):
        DagRunner(the_dag, store, FakeClock(now)).run(record)
    return {ti.task_id: ti.state.value for ti in store.get_task_instances(the_dag.dag_id, record.run_id)}


def test_latest_only_lets_a_manual_run_through(run_dag) -> None:
    result = run_dag(_latest_only_dag("lo_manual"), logical_date=JAN1, clock=FakeClock(pendulum.datetime(2030, 1, 1)))
    assert result.states == {"latest_only": "success", "downstream": "success"}


def test_latest_only_lets_the_latest_scheduled_run_through(airflow_home: Path, local_store: Any) -> None:
    states = _run_scheduled(_latest_only_dag("lo_latest"), local_store, now=pendulum.datetime(2024, 1, 2, 12))
    assert states == {"latest_only": "success", "downstream": "success"}


def test_latest_only_skips_downstream_of_an_old_scheduled_run(airflow_home: Path, local_store: Any) -> None:
    states = _run_scheduled(_latest_only_dag("lo_old"), local_store, now=pendulum.datetime(2024, 1, 10))
    assert states == {"latest_only": "success", "downstream": "skipped"}


def test_latest_only_window_excludes_its_left_edge(airflow_home: Path, local_store: Any) -> None:
    states = _run_scheduled(_latest_only_dag("lo_edge"), local_store, now=JAN2)
    assert states["downstream"] == "skipped"


def test_latest_only_2x_path_is_the_same_class() -> None:
    assert LatestOnly2x is LatestOnlyOperator


# -- TriggerDagRunOperator ----------------------------------------------------------------------------
def _queued_runs(store: Any, dag_id: str) -> list[Any]:
    return store.list_dag_runs(dag_id)


def test_trigger_creates_a_queued_run_of_the_target_with_conf(run_dag, local_store: Any) -> None:
    with DAG("trigger_source") as the_dag:
        TriggerDagRunOperator(
            task_id="trigger",
            trigger_dag_id="target_{{ ds_nodash }}",
            conf={"day": "{{ ds }}"},
            logical_date="{{ logical_date }}",
        )
    result = run_dag(the_dag)
    assert result.ti_state("trigger") == "success"
    runs = _queued_runs(local_store, "target_20240101")
    assert len(runs) == 1
    run = runs[0]
    assert run.state.value == "queued"
    assert run.conf == {"day": "2024-01-01"}
    assert run.logical_date == JAN1
    assert result.xcom("trigger", key="trigger_run_id") == run.run_id
    assert result.xcom("trigger") is None


def test_trigger_run_id_is_templated_and_used(run_dag, local_store: Any) -> None:
    with DAG("trigger_named") as the_dag:
        TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target", trigger_run_id="from_{{ ds_nodash }}")
    result = run_dag(the_dag)
    assert [r.run_id for r in _queued_runs(local_store, "target")] == ["from_20240101"]
    assert result.rendered("trigger")["trigger_run_id"] == "from_20240101"


def test_trigger_of_an_existing_run_id_fails_unless_told_otherwise(run_dag, local_store: Any) -> None:
    with DAG("trigger_dupe") as the_dag:
        first = TriggerDagRunOperator(task_id="first", trigger_dag_id="target_dupe", trigger_run_id="same")
        again = TriggerDagRunOperator(task_id="again", trigger_dag_id="target_dupe", trigger_run_id="same")
        skip = TriggerDagRunOperator(
            task_id="skip", trigger_dag_id="target_dupe", trigger_run_id="same", skip_when_already_exists=True
        )
        reset = TriggerDagRunOperator(
            task_id="reset", trigger_dag_id="target_dupe", trigger_run_id="same", reset_dag_run=True, conf={"v": 2}
        )
        first >> again
        first >> skip
        first >> reset
    result = run_dag(the_dag)
    assert result.ti_state("again") == "failed"
    assert result.ti_state("skip") == "skipped"
    assert result.ti_state("reset") == "success"
    runs = _queued_runs(local_store, "target_dupe")
    assert [(r.run_id, r.conf) for r in runs] == [("same", {"v": 2})]


def test_trigger_conf_must_be_json(run_dag) -> None:
    with DAG("trigger_bad_conf") as the_dag:
        TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target", conf={"obj": object()})
    assert run_dag(the_dag).ti_state("trigger") == "failed"


def test_trigger_without_logical_date_creates_a_run_without_one(run_dag, local_store: Any) -> None:
    with DAG("trigger_no_date") as the_dag:
        TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target_no_date")
    run_dag(the_dag)
    (run,) = _queued_runs(local_store, "target_no_date")
    assert run.logical_date is None
    assert run.run_id.startswith("manual__")


def test_trigger_2x_path_is_the_same_class() -> None:
    assert Trigger2x is TriggerDagRunOperator


@pytest.mark.parametrize("field", ["trigger_dag_id", "trigger_run_id", "logical_date", "conf"])
def test_trigger_fields_are_templated(field: str) -> None:
    assert field in TriggerDagRunOperator.template_fields


def test_trigger_run_id_xcom_value_is_json_text(run_dag, local_store: Any) -> None:
    with DAG("trigger_xcom") as the_dag:
        TriggerDagRunOperator(task_id="trigger", trigger_dag_id="target_x", trigger_run_id="rid")
    result = run_dag(the_dag)
    (xcom,) = [x for x in local_store.get_xcoms("trigger_xcom", run_id=result.run_id) if x.key == "trigger_run_id"]
    assert deserialize_value(xcom.value) == "rid"
