"""Scheduling leases: one holder per dag_id, standbys wait for expiry, fencing tokens refuse stale
writers (409, nothing changed), heartbeats and gone apps."""

from __future__ import annotations

import datetime

import pytest

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.errors import AppGone, StaleFencingToken
from riir_airflow.wire.messages import AppState, SerializedDag

from .conftest import T0, Broker

TTL = 30.0


def _replica(broker: Broker, *dag_ids: str):
    """A registered app serving `dag_ids` (default dag_a) with its own token."""
    dag_ids = dag_ids or ("dag_a",)
    app = broker.client(broker.app_token(*dag_ids))
    app.register([SerializedDag(d, f"/dags/{d}.py") for d in dag_ids], code_hash="h")
    return app


def _run(run_id: str = "r1") -> DagRunRecord:
    return DagRunRecord("dag_a", run_id, "manual", DagRunState.QUEUED, run_after=T0)


def test_first_replica_gets_the_lease_and_a_second_waits_as_standby(broker: Broker) -> None:
    first, second = _replica(broker), _replica(broker)
    grant = first.acquire_lease("dag_a")
    assert grant.held and grant.holder_app_id == first.app_id and grant.fencing_token is not None
    assert grant.expires_at == T0 + datetime.timedelta(seconds=TTL)
    standby = second.acquire_lease("dag_a")
    assert not standby.held
    assert (standby.holder_app_id, standby.fencing_token) == (first.app_id, None)
    assert "dag_a" not in second.fencing


def test_standby_takes_over_only_once_the_lease_expires(broker: Broker) -> None:
    first, second = _replica(broker), _replica(broker)
    first.acquire_lease("dag_a")
    broker.clock.advance(datetime.timedelta(seconds=TTL - 1))
    assert not second.acquire_lease("dag_a").held
    broker.clock.advance(datetime.timedelta(seconds=2))
    takeover = second.acquire_lease("dag_a")
    assert takeover.held and takeover.holder_app_id == second.app_id


def test_renewing_keeps_the_fencing_token_and_moves_the_expiry(broker: Broker) -> None:
    app = _replica(broker)
    token = app.acquire_lease("dag_a").fencing_token
    broker.clock.advance(datetime.timedelta(seconds=20))
    renewed = app.acquire_lease("dag_a")
    assert renewed.fencing_token == token
    assert renewed.expires_at == T0 + datetime.timedelta(seconds=20 + TTL)


def test_every_new_holder_gets_a_larger_fencing_token(broker: Broker) -> None:
    first, second = _replica(broker), _replica(broker)
    tokens = [first.acquire_lease("dag_a").fencing_token]
    first.release_lease("dag_a")
    tokens.append(second.acquire_lease("dag_a").fencing_token)
    broker.clock.advance(datetime.timedelta(seconds=TTL + 1))
    tokens.append(first.acquire_lease("dag_a").fencing_token)
    assert tokens == sorted(set(tokens))


def test_release_lets_a_standby_take_over_at_once(broker: Broker) -> None:
    first, second = _replica(broker), _replica(broker)
    first.acquire_lease("dag_a")
    first.release_lease("dag_a")
    assert second.acquire_lease("dag_a").held


def test_write_of_a_stale_holder_is_409_and_changes_nothing(broker: Broker) -> None:
    first, second = _replica(broker), _replica(broker)
    first.acquire_lease("dag_a")
    first.create_dag_run(_run())
    first.put_task_instances(
        [TaskInstanceRecord("dag_a", "r1", "t1", state=TaskInstanceState.RUNNING, try_number=1)]
    )
    broker.clock.advance(datetime.timedelta(seconds=TTL + 1))  # first stalls past its lease
    assert second.acquire_lease("dag_a").held
    second.put_task_instances(
        [TaskInstanceRecord("dag_a", "r1", "t1", state=TaskInstanceState.SUCCESS, try_number=1)]
    )
    before = broker.client().get_task_instances("dag_a", "r1")
    with pytest.raises(StaleFencingToken):
        first.put_task_instances(
            [TaskInstanceRecord("dag_a", "r1", "t1", state=TaskInstanceState.FAILED, try_number=1)]
        )
    with pytest.raises(StaleFencingToken):
        first.create_dag_run(_run("r2"))
    with pytest.raises(StaleFencingToken):
        first.delete_dag_run("dag_a", "r1")
    assert broker.client().get_task_instances("dag_a", "r1") == before
    assert [r.run_id for r in broker.client().list_dag_runs("dag_a")] == ["r1"]


def test_write_without_any_lease_is_409(broker: Broker) -> None:
    app = _replica(broker)
    with pytest.raises(StaleFencingToken, match="no live lease"):
        app.create_dag_run(_run())
    assert broker.client().list_dag_runs("dag_a") == []


def test_an_expired_lease_nobody_took_keeps_its_token_for_writes_and_renewal(broker: Broker) -> None:
    # The holder could not reach the broker for longer than the TTL: no other app took over, so
    # its writes in flight (and its workers') still pass, and renewing keeps the same token.
    app = _replica(broker)
    token = app.acquire_lease("dag_a").fencing_token
    broker.clock.advance(datetime.timedelta(seconds=TTL + 1))
    app.create_dag_run(_run())
    assert app.acquire_lease("dag_a").fencing_token == token


def test_an_expired_lease_taken_by_another_app_refuses_the_old_holder(broker: Broker) -> None:
    old, new = _replica(broker), _replica(broker)
    old.acquire_lease("dag_a")
    broker.clock.advance(datetime.timedelta(seconds=TTL + 1))
    assert new.acquire_lease("dag_a").held
    with pytest.raises(StaleFencingToken):
        old.create_dag_run(_run())
    assert broker.client().list_dag_runs("dag_a") == []


def test_reads_need_no_lease(broker: Broker) -> None:
    broker.client().create_dag_run(_run())
    standby = _replica(broker)
    assert [r.run_id for r in standby.list_dag_runs("dag_a")] == ["r1"]


def test_leases_are_per_dag(broker: Broker) -> None:
    first, second = _replica(broker, "dag_a", "dag_b"), _replica(broker, "dag_a", "dag_b")
    assert first.acquire_lease("dag_a").held
    assert second.acquire_lease("dag_b").held
    assert not second.acquire_lease("dag_a").held
    assert set(first.fencing) == {"dag_a"} and set(second.fencing) == {"dag_b"}


def test_lease_on_a_dag_the_app_did_not_register_is_refused(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a", "dag_b"))
    app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    with pytest.raises(ValueError, match="did not register"):
        app.acquire_lease("dag_b")


def test_heartbeat_keeps_the_app_alive_and_reports_the_broker_time(broker: Broker) -> None:
    app = _replica(broker)
    broker.clock.advance(datetime.timedelta(seconds=5))
    beat = app.heartbeat()
    assert (beat.state, beat.server_time) == (AppState.ALIVE, T0 + datetime.timedelta(seconds=5))
    (info,) = broker.client().list_apps()
    assert info.last_heartbeat == T0 + datetime.timedelta(seconds=5)


def test_a_gone_app_gets_410_on_heartbeat_and_lease_and_may_register_again(broker: Broker) -> None:
    from riir_airflow.broker.reaper import reap

    app = _replica(broker)
    app.acquire_lease("dag_a")
    broker.clock.advance(datetime.timedelta(seconds=61))
    reap(broker.ctx)
    with pytest.raises(AppGone):
        app.heartbeat()
    with pytest.raises(AppGone):
        app.acquire_lease("dag_a")
    old = app.app_id
    app.register([SerializedDag("dag_a", "/dags/dag_a.py")], code_hash="h")
    assert app.app_id != old and app.acquire_lease("dag_a").held
