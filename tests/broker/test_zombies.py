"""Apps whose heartbeats stop: gone after `app_heartbeat_timeout` (by the broker's clock), and
their running task instances handled as Airflow handles zombies (retry if tries remain, else
failed). Time travels on a FakeClock; nothing sleeps for the timeout."""

from __future__ import annotations

import datetime
import time

from riir_airflow.broker.reaper import reap
from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.state import TaskInstanceState as S
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import AppState, SerializedDag, SerializedTask

from .conftest import T0, Broker

TIMEOUT = 60.0


def _app(broker: Broker, *, retry_delay: float = 300.0, lease: bool = True):
    app = broker.client(broker.app_token("dag_a"))
    tasks = [SerializedTask(t, retries=1, retry_delay_seconds=retry_delay) for t in ("a", "b", "c", "d")]
    app.register([SerializedDag("dag_a", "/dags/a.py", tasks=tasks)], code_hash="h")
    if lease:
        assert app.acquire_lease("dag_a").held
    return app


def _running_run(app, states: dict[str, tuple[S, int, int]]) -> None:
    """A running run whose task instances are in the given (state, try_number, max_tries)."""
    app.create_dag_run(DagRunRecord("dag_a", "r1", "manual", DagRunState.RUNNING, run_after=T0))
    app.put_task_instances(
        [
            TaskInstanceRecord("dag_a", "r1", t, state=s, try_number=n, max_tries=m)
            for t, (s, n, m) in states.items()
        ]
    )


def _states(broker: Broker) -> dict[str, S]:
    return {ti.task_id: ti.state for ti in broker.client().get_task_instances("dag_a", "r1")}


def test_a_silent_app_is_gone_after_the_timeout_and_its_running_tasks_retry_or_fail(broker: Broker) -> None:
    app = _app(broker)
    _running_run(
        app, {"a": (S.RUNNING, 1, 1), "b": (S.RUNNING, 2, 1), "c": (S.SUCCESS, 1, 1), "d": (S.QUEUED, 1, 1)}
    )
    broker.clock.advance(datetime.timedelta(seconds=TIMEOUT - 1))
    assert reap(broker.ctx) == {}
    assert _states(broker)["a"] is S.RUNNING
    broker.clock.advance(datetime.timedelta(seconds=2))
    handled = reap(broker.ctx)
    assert [(ti.task_id, ti.state) for ti in handled[app.app_id]] == [("a", S.UP_FOR_RETRY), ("b", S.FAILED)]
    assert _states(broker) == {"a": S.UP_FOR_RETRY, "b": S.FAILED, "c": S.SUCCESS, "d": S.QUEUED}
    (info,) = broker.client().list_apps()
    assert info.state is AppState.GONE


def test_a_zombie_retry_waits_the_registered_retry_delay_and_says_why(broker: Broker) -> None:
    app = _app(broker, retry_delay=120.0)
    _running_run(app, {"a": (S.RUNNING, 1, 1)})
    broker.clock.advance(datetime.timedelta(seconds=TIMEOUT + 1))
    now = broker.clock.now()
    reap(broker.ctx)
    ti = broker.client().get_task_instance("dag_a", "r1", "a")
    assert (ti.state, ti.end_date, ti.next_attempt_at) == (
        S.UP_FOR_RETRY,
        now,
        now + datetime.timedelta(seconds=120),
    )
    assert "zombie" in ti.note and app.app_id in ti.note
    assert "zombie" in broker.client().read_log("dag_a", "r1", "a", -1, 1)
    assert [t.state for t in broker.client().get_task_instance_tries("dag_a", "r1", "a")] == [S.UP_FOR_RETRY]


def test_a_heartbeating_app_is_never_reaped(broker: Broker) -> None:
    app = _app(broker)
    _running_run(app, {"a": (S.RUNNING, 1, 1)})
    for _ in range(5):
        broker.clock.advance(datetime.timedelta(seconds=TIMEOUT / 2))
        app.heartbeat()
        app.acquire_lease("dag_a")
        assert reap(broker.ctx) == {}
    assert _states(broker) == {"a": S.RUNNING}


def test_a_dead_standby_touches_no_task_instance(broker: Broker) -> None:
    holder = _app(broker)
    standby = _app(broker, lease=False)
    _running_run(holder, {"a": (S.RUNNING, 1, 1)})
    broker.clock.advance(datetime.timedelta(seconds=TIMEOUT + 1))
    holder.heartbeat()
    holder.acquire_lease("dag_a")
    handled = reap(broker.ctx)
    assert handled == {standby.app_id: []}
    assert _states(broker) == {"a": S.RUNNING}


def test_the_lease_of_a_gone_app_is_free_for_a_standby_at_once(broker: Broker) -> None:
    holder = _app(broker)
    standby = _app(broker, lease=False)
    for step in (30, 25, 6):  # the holder renews its lease but never heartbeats
        broker.clock.advance(datetime.timedelta(seconds=step))
        standby.heartbeat()
        if step != 6:
            holder.acquire_lease("dag_a")
    assert not standby.acquire_lease("dag_a").held  # the lease would last until T0 + 85s
    reap(broker.ctx)  # the holder's last heartbeat was at T0: gone, lease released
    assert standby.acquire_lease("dag_a").held


def test_a_dag_whose_lease_moved_on_is_left_to_its_new_holder(broker: Broker) -> None:
    old = _app(broker)
    _running_run(old, {"a": (S.RUNNING, 1, 1)})
    broker.clock.advance(datetime.timedelta(seconds=31))  # lease expired, app not yet gone
    new = _app(broker)
    assert new.fencing
    broker.clock.advance(datetime.timedelta(seconds=30))
    handled = reap(broker.ctx)
    assert handled == {old.app_id: []}
    assert _states(broker) == {"a": S.RUNNING}


def test_each_death_is_handled_once(broker: Broker) -> None:
    app = _app(broker)
    _running_run(app, {"a": (S.RUNNING, 1, 1)})
    broker.clock.advance(datetime.timedelta(seconds=TIMEOUT + 1))
    assert list(reap(broker.ctx)) == [app.app_id]
    assert reap(broker.ctx) == {}


def test_the_broker_reaps_in_the_background(make_broker) -> None:
    broker = make_broker(reaper=True, reap_interval_seconds=0.05)
    app = _app(broker)
    _running_run(app, {"a": (S.RUNNING, 1, 0)})
    broker.clock.advance(datetime.timedelta(seconds=TIMEOUT + 1))
    deadline = time.monotonic() + 10
    while _states(broker)["a"] is S.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _states(broker) == {"a": S.FAILED}
