"""`MetastoreRegistry` keeps the broker's `Registry` contract (riir_airflow.broker.registry) on
SQLite and on PostgreSQL.

Covers apps (register, heartbeat, gone), leases (grant, standby, renew, expiry, release, growing
fencing tokens), commands (ids, per-DAG delivery, acks), app tokens, users and import errors.
"""

from __future__ import annotations

import datetime
from typing import Any

import pendulum
import pytest

from riir_airflow.broker.registry import AppToken, Registry, UserInfo
from riir_airflow.metastore.registry import MetastoreRegistry
from riir_airflow.wire.messages import (
    AppInfo,
    AppState,
    Command,
    CommandKind,
    ImportErrorReport,
    SerializedDag,
    SerializedTask,
)

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")
TTL = datetime.timedelta(seconds=30)


def at(seconds: float) -> pendulum.DateTime:
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture
def reg(registry: MetastoreRegistry) -> MetastoreRegistry:
    return registry


def info(app_id: str, *dag_ids: str, when: float = 0, code_hash: str = "h1") -> AppInfo:
    return AppInfo(
        app_id=app_id, dag_ids=list(dag_ids or ("dag_a",)), code_hash=code_hash, version="0.1.0",
        hostname="host", pid=42, fileloc=f"/dags/{app_id}.py", state=AppState.ALIVE,
        registered_at=at(when), last_heartbeat=at(when),
    )  # fmt: skip


def register(reg: Any, app_id: str, *dag_ids: str, when: float = 0) -> AppInfo:
    app = info(app_id, *dag_ids, when=when)
    reg.register_app(app, [SerializedDag(d, app.fileloc, tasks=[SerializedTask("t1")]) for d in app.dag_ids])
    return app


def test_metastore_registry_has_every_method_of_the_broker_protocol() -> None:
    wanted = {name for name in dir(Registry) if not name.startswith("_")}
    assert wanted <= set(dir(MetastoreRegistry))


# -- apps ---------------------------------------------------------------------------------
def test_registered_app_reads_back_with_its_dag_ids_in_order(reg: Any) -> None:
    app = register(reg, "a1", "dag_b", "dag_a")
    assert reg.get_app("a1") == app
    assert reg.get_app("nope") is None
    register(reg, "a0")
    assert [a.app_id for a in reg.list_apps()] == ["a0", "a1"]


def test_serialized_dag_is_the_latest_registration(reg: Any) -> None:
    assert reg.serialized_dag("dag_a") is None
    register(reg, "a1")
    reg.register_app(info("a2"), [SerializedDag("dag_a", "/dags/new.py", description="v2")])
    got = reg.serialized_dag("dag_a")
    assert (got.fileloc, got.description) == ("/dags/new.py", "v2")


def test_heartbeat_refreshes_an_alive_app_and_a_gone_app_stays_gone(reg: Any) -> None:
    register(reg, "a1")
    assert reg.heartbeat("a1", at(10)).last_heartbeat == at(10)
    assert reg.heartbeat("nope", at(10)) is None
    assert reg.mark_gone("a1", at(20)) == []
    beat = reg.heartbeat("a1", at(30))
    assert beat.state is AppState.GONE and beat.last_heartbeat == at(10)


def test_stale_apps_are_the_alive_ones_silent_since_the_cutoff(reg: Any) -> None:
    register(reg, "old")
    register(reg, "fresh")
    register(reg, "gone")
    reg.heartbeat("fresh", at(50))
    reg.mark_gone("gone", at(1))
    assert [a.app_id for a in reg.stale_apps(at(40))] == ["old"]


def test_mark_gone_happens_once_and_releases_the_apps_leases(reg: Any) -> None:
    register(reg, "a1", "dag_a", "dag_b")
    register(reg, "a2", "dag_a")
    first = reg.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token
    reg.acquire_lease("dag_b", "a1", at(0), TTL)
    assert reg.mark_gone("a1", at(5)) == ["dag_a", "dag_b"]
    assert reg.mark_gone("a1", at(6)) is None
    assert not reg.lease("dag_a", at(6)).held
    takeover = reg.acquire_lease("dag_a", "a2", at(6), TTL)
    assert takeover.held and takeover.fencing_token > first


# -- leases -------------------------------------------------------------------------------
def test_first_app_gets_the_lease_and_a_second_waits_as_standby(reg: Any) -> None:
    register(reg, "a1")
    register(reg, "a2")
    grant = reg.acquire_lease("dag_a", "a1", at(0), TTL)
    assert (grant.held, grant.holder_app_id, grant.expires_at) == (True, "a1", at(30))
    standby = reg.acquire_lease("dag_a", "a2", at(1), TTL)
    assert (standby.held, standby.holder_app_id, standby.fencing_token) == (False, "a1", None)
    seen = reg.lease("dag_a", at(2))
    assert (seen.held, seen.holder_app_id, seen.fencing_token) == (True, "a1", grant.fencing_token)


def test_renewing_keeps_the_token_and_moves_the_expiry(reg: Any) -> None:
    register(reg, "a1")
    token = reg.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token
    renewed = reg.acquire_lease("dag_a", "a1", at(20), TTL)
    assert (renewed.fencing_token, renewed.expires_at) == (token, at(50))


def test_an_expired_lease_goes_to_the_next_asker_with_a_larger_token(reg: Any) -> None:
    register(reg, "a1")
    register(reg, "a2")
    tokens = [reg.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token]
    assert not reg.acquire_lease("dag_a", "a2", at(29), TTL).held
    assert not reg.lease("dag_a", at(30)).held  # expired: nobody holds it
    tokens.append(reg.acquire_lease("dag_a", "a2", at(30), TTL).fencing_token)
    reg.release_lease("dag_a", "a2")
    tokens.append(reg.acquire_lease("dag_a", "a1", at(31), TTL).fencing_token)
    assert tokens == sorted(set(tokens))


def test_release_by_a_non_holder_changes_nothing(reg: Any) -> None:
    register(reg, "a1")
    register(reg, "a2")
    grant = reg.acquire_lease("dag_a", "a1", at(0), TTL)
    assert not reg.release_lease("dag_a", "a2").held
    assert reg.lease("dag_a", at(1)).fencing_token == grant.fencing_token
    assert not reg.lease("unknown_dag", at(1)).held


def test_leases_are_per_dag_id(reg: Any) -> None:
    register(reg, "a1", "dag_a", "dag_b")
    register(reg, "a2", "dag_a", "dag_b")
    assert reg.acquire_lease("dag_a", "a1", at(0), TTL).held
    assert reg.acquire_lease("dag_b", "a2", at(0), TTL).held


# -- commands -----------------------------------------------------------------------------
def test_commands_get_increasing_ids_and_are_delivered_per_dag_until_acked(reg: Any) -> None:
    first = reg.enqueue_command(
        Command(CommandKind.TRIGGER_RUN, "dag_a", run_id="r1", conf={"x": [1]}), at(1)
    )
    other = reg.enqueue_command(Command(CommandKind.PAUSE, "dag_b"), at(2))
    second = reg.enqueue_command(
        Command(
            CommandKind.CLEAR_TASKS, "dag_a", run_id="r1", task_ids=["t1"], map_index=2, only_failed=True
        ),
        at(3),
    )
    assert first.id < other.id < second.id and first.created_at == at(1)
    pending = reg.pending_commands(["dag_a"])
    assert pending == [first, second]
    assert (pending[0].conf, pending[1].task_ids, pending[1].only_failed) == ({"x": [1]}, ["t1"], True)
    reg.ack_commands(["dag_a"], [first.id, other.id])  # other is dag_b's: not this caller's to ack
    assert reg.pending_commands(["dag_a", "dag_b"]) == [other, second]
    assert reg.pending_commands([]) == []


# -- tokens and users ---------------------------------------------------------------------
def test_app_tokens_authenticate_with_their_scope_until_revoked(reg: Any) -> None:
    token_id, secret = reg.create_app_token(["dag_a", "dag_b"], at(0), description="test")
    assert secret.startswith("riir_app_") and token_id in secret
    assert reg.authenticate_app_token(secret, at(1)) == AppToken(token_id, frozenset({"dag_a", "dag_b"}))
    assert reg.authenticate_app_token(secret + "x", at(1)) is None
    assert reg.revoke_app_token(token_id, at(2)) is True
    assert reg.revoke_app_token(token_id, at(3)) is False
    assert reg.authenticate_app_token(secret, at(4)) is None


def test_users_authenticate_with_their_password_only(reg: Any) -> None:
    created = reg.create_user("ann", "pw-1", "admin", at(0), email="ann@example.com")
    assert created == UserInfo("ann", "admin", "ann@example.com")
    assert reg.authenticate_user("ann", "pw-1") == created
    assert reg.authenticate_user("ann", "pw-2") is None
    assert reg.authenticate_user("bob", "pw-1") is None
    with pytest.raises(ValueError, match="exists"):
        reg.create_user("ann", "other", "viewer", at(1))
    with pytest.raises(ValueError, match="role"):
        reg.create_user("bob", "pw", "superuser", at(1))


def test_import_errors_are_kept_per_file_latest_first_wins(reg: Any) -> None:
    reg.record_import_error(ImportErrorReport("/dags/b.py", "Traceback b", at(1)), None)
    reg.record_import_error(ImportErrorReport("/dags/a.py", "Traceback a1", at(2)), "app-1")
    reg.record_import_error(ImportErrorReport("/dags/a.py", "Traceback a2", at(3)), "app-1")
    assert reg.import_errors() == [
        ImportErrorReport("/dags/a.py", "Traceback a2", at(3)),
        ImportErrorReport("/dags/b.py", "Traceback b", at(1)),
    ]
