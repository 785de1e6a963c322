"""The app scheduler starts a queued run only if it is still queued when it starts it."""

from __future__ import annotations

import dataclasses
import threading

import pendulum

from riir_airflow.runtime.app.run_driver import RunControl
from riir_airflow.runtime.app.scheduler import AppScheduler
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.sdk import DAG
from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunRecord

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")


def test_a_run_failed_after_it_was_listed_is_not_started_and_stays_failed(local_store) -> None:
    with DAG("d", schedule=None, start_date=T0) as dag:
        pass
    run = local_store.create_dag_run(
        DagRunRecord(dag_id="d", run_id="r", run_type="backfill", state=DagRunState.QUEUED, run_after=T0)
    )
    listed = dataclasses.replace(run)  # what the scheduler listed a moment ago
    local_store.update_dag_run("d", "r", state=DagRunState.FAILED)  # then a cancel failed it
    control = RunControl(broker_url="", token=lambda: None, fencing=dict, logs=None, draining=threading.Event())
    scheduler = AppScheduler(
        {"d": dag}, local_store, executor=None, triggers=None, control=control,
        holds_lease=lambda dag_id: True, paused={}, clock=FakeClock(T0),
    )  # fmt: skip
    assert scheduler._start(dag, listed) is False
    assert scheduler.drivers == {}
    assert local_store.get_dag_run("d", "r").state is DagRunState.FAILED
