"""The push channel: a queued command reaches a waiting long-poll at once, delivery is at least
once until acknowledged, and commands go to the lease holder of their DAG only."""

from __future__ import annotations

import datetime
import threading
import time

import pendulum
import pytest

from riir_airflow.wire.errors import Forbidden
from riir_airflow.wire.messages import Command, CommandKind, SerializedDag

from .conftest import Broker
from .support import http


def _holder(broker: Broker, dag_id: str = "dag_a", *, lease: bool = True):
    app = broker.client(broker.app_token(dag_id))
    app.register([SerializedDag(dag_id, f"/dags/{dag_id}.py")], code_hash="h")
    if lease:
        assert app.acquire_lease(dag_id).held
    return app


def test_a_queued_command_reaches_a_waiting_long_poll_in_well_under_a_second(broker: Broker) -> None:
    app = _holder(broker)
    got: list[tuple[float, list[Command]]] = []
    poller = threading.Thread(target=lambda: got.append((time.monotonic(), app.poll_commands(wait=20))))
    poller.start()
    time.sleep(0.3)  # the poll is now parked on the broker
    assert poller.is_alive()
    sent = time.monotonic()
    queued = broker.client().enqueue_command(
        Command(CommandKind.TRIGGER_RUN, "dag_a", conf={"x": 1}, run_id="m1")
    )
    poller.join(timeout=20)
    ((received, commands),) = got
    assert [c.id for c in commands] == [queued.id]
    assert (commands[0].kind, commands[0].conf, commands[0].run_id) == (
        CommandKind.TRIGGER_RUN,
        {"x": 1},
        "m1",
    )
    assert received - sent < 0.5


def test_pending_commands_are_answered_at_once_and_in_queue_order(broker: Broker) -> None:
    app = _holder(broker)
    admin = broker.client()
    kinds = [CommandKind.PAUSE, CommandKind.CLEAR_TASKS, CommandKind.UNPAUSE]
    ids = [admin.enqueue_command(Command(kind, "dag_a", task_ids=["t1"])).id for kind in kinds]
    start = time.monotonic()
    commands = app.poll_commands(wait=20)
    assert time.monotonic() - start < 5
    assert [(c.id, c.kind) for c in commands] == list(zip(ids, kinds, strict=True))
    assert ids == sorted(ids)


def test_a_poll_with_nothing_queued_returns_empty_after_its_wait(broker: Broker) -> None:
    app = _holder(broker)
    start = time.monotonic()
    assert app.poll_commands(wait=0.5) == []
    assert time.monotonic() - start >= 0.45


def test_commands_are_delivered_again_until_acknowledged(broker: Broker) -> None:
    app = _holder(broker)
    first = broker.client().enqueue_command(
        Command(CommandKind.KILL_TASK, "dag_a", run_id="r", task_ids=["t"])
    )
    assert [c.id for c in app.poll_commands(wait=0)] == [first.id]
    assert [c.id for c in app.poll_commands(wait=0)] == [first.id]
    second = broker.client().enqueue_command(Command(CommandKind.PAUSE, "dag_a"))
    assert [c.id for c in app.poll_commands(wait=0, ack=[first.id])] == [second.id]
    assert app.poll_commands(wait=0, ack=[second.id]) == []


def test_commands_go_only_to_the_lease_holder_and_follow_the_lease(broker: Broker) -> None:
    holder = _holder(broker)
    standby = _holder(broker, lease=False)
    assert not standby.acquire_lease("dag_a").held
    queued = broker.client().enqueue_command(
        Command(CommandKind.MARK_STATE, "dag_a", run_id="r", state="success")
    )
    assert standby.poll_commands(wait=0) == []
    assert [c.id for c in holder.poll_commands(wait=0)] == [queued.id]
    holder.release_lease("dag_a")  # e.g. the holder drains before acknowledging
    assert standby.acquire_lease("dag_a").held
    assert [c.id for c in standby.poll_commands(wait=0)] == [queued.id]


def test_commands_of_other_dags_are_not_delivered(broker: Broker) -> None:
    app = _holder(broker)
    broker.client().enqueue_command(Command(CommandKind.PAUSE, "dag_b"))
    assert app.poll_commands(wait=0) == []


def test_a_command_carries_its_typed_payload(broker: Broker) -> None:
    app = _holder(broker)
    logical = pendulum.datetime(2024, 5, 1, tz="Europe/Paris")
    broker.client().enqueue_command(
        Command(
            CommandKind.TRIGGER_RUN,
            "dag_a",
            run_id="manual__1",
            logical_date=logical,
            conf={"n": [1]},
            note="hi",
        )
    )
    (command,) = app.poll_commands(wait=0)
    assert command.logical_date == logical and command.logical_date.timezone_name == "UTC"
    assert (command.conf, command.note) == ({"n": [1]}, "hi")
    assert command.created_at == broker.clock.now()


def test_only_admin_or_op_users_may_queue_commands(broker: Broker) -> None:
    app = _holder(broker)
    with pytest.raises(Forbidden):
        app.enqueue_command(Command(CommandKind.PAUSE, "dag_a"))
    with pytest.raises(Forbidden):
        broker.client(broker.jwt("viewer")).enqueue_command(Command(CommandKind.PAUSE, "dag_a"))
    assert broker.client(broker.jwt("op")).enqueue_command(Command(CommandKind.PAUSE, "dag_a")).id > 0


def test_another_apps_token_cannot_poll_an_app(broker: Broker) -> None:
    app = _holder(broker)
    thief = broker.client(broker.app_token("dag_b"))
    status, body = http("GET", f"{broker.url}/internal/v1/apps/{app.app_id}/commands?wait=0",
                        token=thief._http.token)  # fmt: skip
    assert status == 403 and body["error"]["type"] == "Forbidden"


def test_a_long_poll_ends_with_410_when_the_app_was_declared_gone(broker: Broker) -> None:
    from riir_airflow.broker.reaper import reap

    app = _holder(broker)
    broker.clock.advance(datetime.timedelta(seconds=61))
    reap(broker.ctx)
    status, body = http(
        "GET", f"{broker.url}/internal/v1/apps/{app.app_id}/commands?wait=0", token=app._http.token
    )
    assert status == 410 and body["error"]["type"] == "AppGone"


def test_pause_and_unpause_commands_also_set_the_dags_pause_state(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a"))
    answer = app.register([SerializedDag("dag_a", "/a.py", is_paused_upon_creation=False)], code_hash="h")
    assert answer.paused == {"dag_a": False}
    broker.client().enqueue_command(Command(CommandKind.PAUSE, "dag_a"))
    assert broker.registry.get_dag("dag_a").is_paused
    assert app.register([SerializedDag("dag_a", "/a.py")], code_hash="h").paused == {"dag_a": True}
    broker.client().enqueue_command(Command(CommandKind.UNPAUSE, "dag_a"))
    assert not broker.registry.get_dag("dag_a").is_paused


def test_registration_answers_each_dags_code_version(broker: Broker) -> None:
    app = broker.client(broker.app_token("dag_a", "dag_b"))
    dags = [SerializedDag("dag_a", "/a.py"), SerializedDag("dag_b", "/a.py")]
    assert app.register(dags, code_hash="v1").versions == {"dag_a": 1, "dag_b": 1}
    assert app.register(dags, code_hash="v1").versions == {"dag_a": 1, "dag_b": 1}
    assert app.register(dags, code_hash="v2").versions == {"dag_a": 2, "dag_b": 2}


def test_a_parked_poll_sees_commands_of_a_lease_its_app_takes_while_it_waits(make_broker) -> None:
    broker = make_broker(command_recheck_seconds=30.0)
    app = broker.client(broker.app_token("dag_a", "dag_b"))
    app.register([SerializedDag("dag_a", "/a.py"), SerializedDag("dag_b", "/a.py")], code_hash="h")
    app.acquire_lease("dag_a")
    got: list[list[Command]] = []
    poller = threading.Thread(target=lambda: got.append(app.poll_commands(wait=20)))
    poller.start()
    time.sleep(0.3)
    app.acquire_lease("dag_b")  # from another thread of the app, while the poll is parked
    start = time.monotonic()
    queued = broker.client().enqueue_command(Command(CommandKind.PAUSE, "dag_b"))
    poller.join(timeout=20)
    assert [c.id for c in got[0]] == [queued.id]
    assert time.monotonic() - start < 5
