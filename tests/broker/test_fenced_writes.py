"""An app's `put_task_instances` under the fence: on PostgreSQL the broker applies it in one
statement (`metastore/store_fenced.py`), elsewhere through `scopes.fenced`; both must behave the
same, whatever the lease, the run or the records (run on both backends)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.errors import StaleFencingToken
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0, Broker

TTL = 30.0


def _app(broker: Broker, *dag_ids: str) -> Any:
    dag_ids = dag_ids or ("dag_a",)
    app = broker.client(broker.app_token(*dag_ids))
    app.register([SerializedDag(d, f"/dags/{d}.py") for d in dag_ids], code_hash="h")
    return app


def _run(run_id: str = "r1", dag_id: str = "dag_a") -> DagRunRecord:
    return DagRunRecord(dag_id, run_id, "manual", DagRunState.RUNNING, run_after=T0)


def _ti(task_id: str, state: TaskInstanceState, try_number: int = 1, **kw: Any) -> TaskInstanceRecord:
    return TaskInstanceRecord(kw.pop("dag_id", "dag_a"), kw.pop("run_id", "r1"), task_id, state=state,
                              try_number=try_number, **kw)  # fmt: skip


@pytest.fixture
def outcomes(broker: Broker) -> list[Any]:
    """What the store's one-statement path answered for each fenced `put_task_instances`
    (PostgreSQL only; other writes are not its business and answer None)."""
    seen: list[Any] = []
    original = getattr(broker.store, "fenced_write", None)
    if original is not None:

        def spy(op: str, *args: Any) -> Any:
            answer = original(op, *args)
            if op == "put_task_instances":
                seen.append(answer)
            return answer

        broker.store.fenced_write = spy
    return seen


def _states(broker: Broker, run_id: str = "r1") -> dict[str, tuple[str, int]]:
    return {
        ti.task_id: (ti.state.value, ti.try_number)
        for ti in broker.client().get_task_instances("dag_a", run_id)
    }


def test_a_holders_update_is_applied_with_its_history(broker: Broker, outcomes: list[Any]) -> None:
    app = _app(broker)
    app.acquire_lease("dag_a")
    app.create_dag_run(_run())
    start = T0 + datetime.timedelta(minutes=1)
    app.put_task_instances([
        _ti("t1", TaskInstanceState.RUNNING, start_date=start, hostname="h1", operator="BashOperator"),
        _ti("t2", TaskInstanceState.SCHEDULED, try_number=0),
        _ti("t1", TaskInstanceState.UP_FOR_RETRY, start_date=start, end_date=start, next_attempt_at=start),
        _ti("t1", TaskInstanceState.SUCCESS, try_number=2, max_tries=3, start_date=start, end_date=start,
            note="done", priority_weight=7, pool="p", queue="q", map_index=-1),
    ])  # fmt: skip
    client = broker.client()
    t1 = client.get_task_instance("dag_a", "r1", "t1")
    assert t1 is not None
    assert (t1.state, t1.try_number, t1.max_tries, t1.note, t1.priority_weight, t1.pool, t1.queue) == (
        TaskInstanceState.SUCCESS,
        2,
        3,
        "done",
        7,
        "p",
        "q",
    )
    assert t1.start_date == start and t1.end_date == start and t1.next_attempt_at is None
    tries = client.get_task_instance_tries("dag_a", "r1", "t1")
    assert [(r.try_number, r.state) for r in tries] == [
        (1, TaskInstanceState.UP_FOR_RETRY), (2, TaskInstanceState.SUCCESS)
    ]  # fmt: skip
    assert tries[0].next_attempt_at == start and tries[0].hostname == ""  # the later record of try 1 won
    assert client.get_task_instance_tries("dag_a", "r1", "t2") == []  # try 0 keeps no history
    assert _states(broker) == {"t1": ("success", 2), "t2": ("scheduled", 0)}
    if broker.store.engine.dialect.name == "postgresql":
        assert outcomes == [True]  # the one-statement path applied it


def test_mapped_instances_and_updates_of_existing_rows(broker: Broker, outcomes: list[Any]) -> None:
    app = _app(broker)
    app.acquire_lease("dag_a")
    app.create_dag_run(_run())
    app.put_task_instances([_ti("m", TaskInstanceState.SCHEDULED, map_index=i) for i in range(3)])
    app.put_task_instances([_ti("m", TaskInstanceState.SUCCESS, map_index=i) for i in (0, 2)])
    got = broker.client().get_task_instances("dag_a", "r1")
    assert [(ti.map_index, ti.state.value) for ti in got] == [
        (0, "success"),
        (1, "scheduled"),
        (2, "success"),
    ]
    if broker.store.engine.dialect.name == "postgresql":
        assert outcomes == [True, True]


def test_a_taken_over_lease_refuses_the_old_holder(broker: Broker, outcomes: list[Any]) -> None:
    first, second = _app(broker), _app(broker)
    first.acquire_lease("dag_a")
    first.create_dag_run(_run())
    first.put_task_instances([_ti("t1", TaskInstanceState.RUNNING)])
    broker.clock.advance(datetime.timedelta(seconds=TTL + 1))
    assert second.acquire_lease("dag_a").held
    with pytest.raises(StaleFencingToken, match="stale"):
        first.put_task_instances([_ti("t1", TaskInstanceState.FAILED), _ti("t2", TaskInstanceState.QUEUED)])
    assert _states(broker) == {"t1": ("running", 1)}
    second.put_task_instances([_ti("t1", TaskInstanceState.SUCCESS)])
    assert _states(broker) == {"t1": ("success", 1)}
    if broker.store.engine.dialect.name == "postgresql":
        assert outcomes == [True, False, True]  # the refusal came from the general path


def test_without_a_fencing_token_it_is_refused(broker: Broker) -> None:
    app = _app(broker)
    app.acquire_lease("dag_a")
    app.create_dag_run(_run())
    app.fencing.clear()
    with pytest.raises(StaleFencingToken):
        app.put_task_instances([_ti("t1", TaskInstanceState.RUNNING)])
    assert _states(broker) == {}


def test_a_missing_run_is_a_key_error_and_writes_nothing(broker: Broker, outcomes: list[Any]) -> None:
    app = _app(broker)
    app.acquire_lease("dag_a")
    app.create_dag_run(_run())
    with pytest.raises(KeyError):
        app.put_task_instances([_ti("t1", TaskInstanceState.RUNNING, run_id="nope")])
    with pytest.raises(KeyError):  # two runs, one missing: the general path, all or nothing
        app.put_task_instances([_ti("t1", TaskInstanceState.RUNNING), _ti("t1", TaskInstanceState.RUNNING,
                                                                          run_id="nope")])  # fmt: skip
    assert _states(broker) == {}
    if broker.store.engine.dialect.name == "postgresql":
        assert outcomes == [False, None]


def test_records_of_two_runs_take_the_general_path(broker: Broker, outcomes: list[Any]) -> None:
    app = _app(broker)
    app.acquire_lease("dag_a")
    app.create_dag_run(_run("r1"))
    app.create_dag_run(_run("r2"))
    app.put_task_instances(
        [_ti("t1", TaskInstanceState.RUNNING), _ti("t1", TaskInstanceState.QUEUED, run_id="r2")]
    )
    assert _states(broker, "r1") == {"t1": ("running", 1)}
    assert _states(broker, "r2") == {"t1": ("queued", 1)}


def test_another_dags_records_are_403_before_any_write(broker: Broker) -> None:
    app = _app(broker, "dag_a")
    app.acquire_lease("dag_a")
    broker.client().create_dag_run(_run("r1", "dag_b"))
    from riir_airflow.wire.errors import Forbidden

    with pytest.raises(Forbidden):
        app.put_task_instances([_ti("t1", TaskInstanceState.RUNNING, dag_id="dag_b")])
    assert broker.client().get_task_instances("dag_b", "r1") == []


def test_a_naive_datetime_is_refused_before_any_sql(broker: Broker) -> None:
    app = _app(broker)
    app.acquire_lease("dag_a")
    app.create_dag_run(_run())
    naive = datetime.datetime(2024, 1, 1, 12, 0)
    with pytest.raises((ValueError, TypeError)):
        app.put_task_instances([_ti("t1", TaskInstanceState.RUNNING, start_date=naive)])
    assert _states(broker) == {}
