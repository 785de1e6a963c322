"""Cross-DAG calls (`/internal/v1/cross/...`): what one app may know of and do to another DAG.
Counts and states only, triggering a run queues a command for the target's app, and reading the
other DAG's rows stays forbidden."""

from __future__ import annotations

import pytest

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import DagRunAlreadyExists, DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.errors import Forbidden
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0, Broker


def _app(broker: Broker, dag_id: str):
    app = broker.client(broker.app_token(dag_id))
    app.register([SerializedDag(dag_id, f"/dags/{dag_id}.py")], code_hash="h")
    app.acquire_lease(dag_id)
    return app


def _seed_b(broker: Broker) -> None:
    admin = broker.client()
    admin.create_dag_run(DagRunRecord("dag_b", "r1", "scheduled", DagRunState.SUCCESS, run_after=T0, logical_date=T0))
    admin.put_task_instances([
        TaskInstanceRecord("dag_b", "r1", "extract", state=TaskInstanceState.SUCCESS),
        TaskInstanceRecord("dag_b", "r1", "load", state=TaskInstanceState.FAILED),
    ])  # fmt: skip


def test_an_app_counts_another_dags_runs_and_task_states_but_cannot_read_its_rows(broker: Broker) -> None:
    a = _app(broker, "dag_a")
    _app(broker, "dag_b")
    _seed_b(broker)
    assert a.count_dag_runs("dag_b", logical_dates=[T0], states=["success"]) == 1
    assert a.count_task_instances("dag_b", task_ids=["extract"], logical_dates=[T0], states=["success"]) == 1
    assert a.count_task_instances("dag_b", logical_dates=[T0], states=["failed"]) == 1
    assert a.dag_run_state("dag_b", "r1") is DagRunState.SUCCESS
    assert a.dag_run_state("dag_b", "nope") is None
    with pytest.raises(Forbidden):
        a.get_task_instances("dag_b", "r1")
    with pytest.raises(Forbidden):
        a.list_dag_runs("dag_b")


def test_an_app_triggers_another_dag_and_its_app_is_told_at_once(broker: Broker) -> None:
    a = _app(broker, "dag_a")
    b = _app(broker, "dag_b")
    run = DagRunRecord("dag_b", "from_a", "manual", DagRunState.QUEUED, run_after=T0, triggered_by="operator")
    assert a.trigger_dag_run(run).run_id == "from_a"
    commands = b.poll_commands(wait=0)
    assert [(c.kind.value, c.run_id) for c in commands] == [("trigger_run", "from_a")]
    with pytest.raises(DagRunAlreadyExists):
        a.trigger_dag_run(run)
    assert a.trigger_dag_run(run, replace=True).run_id == "from_a"  # reset_dag_run


def test_triggering_an_unknown_dag_is_404_and_a_viewer_may_not_trigger(broker: Broker) -> None:
    a = _app(broker, "dag_a")
    with pytest.raises(KeyError, match="not found"):
        a.trigger_dag_run(DagRunRecord("ghost", "r", "manual", DagRunState.QUEUED, run_after=T0))
    _app(broker, "dag_b")
    viewer = broker.client(broker.jwt("viewer"))
    with pytest.raises(Forbidden):
        viewer.trigger_dag_run(DagRunRecord("dag_b", "r", "manual", DagRunState.QUEUED, run_after=T0))


def test_a_trigger_whose_conf_breaks_the_targets_params_is_refused_and_creates_nothing(broker: Broker) -> None:
    a = _app(broker, "dag_a")
    b = broker.client(broker.app_token("dag_b"))
    schema = {"type": "integer", "minimum": 0}
    b.register([SerializedDag("dag_b", "/dags/dag_b.py", params={"n": {"default": 1, "schema": schema}})],
               code_hash="h")  # fmt: skip
    b.acquire_lease("dag_b")
    bad = DagRunRecord("dag_b", "bad", "manual", DagRunState.QUEUED, run_after=T0, conf={"n": -1})
    with pytest.raises(ValueError, match="Invalid input for param n"):
        a.trigger_dag_run(bad)
    assert b.poll_commands(wait=0) == [] and broker.client().get_dag_run("dag_b", "bad") is None
    good = DagRunRecord("dag_b", "good", "manual", DagRunState.QUEUED, run_after=T0, conf={"n": 3})
    assert a.trigger_dag_run(good).run_id == "good"
