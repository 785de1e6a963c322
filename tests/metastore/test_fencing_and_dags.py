"""What the metastore adds beyond the Registry protocol: atomic fenced writes, concurrent lease
grants, DAG code versions recorded by runs, retiring a DAG, and pools shared across apps."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pendulum
import pytest
import sqlalchemy as sa

from riir_airflow.metastore import tables
from riir_airflow.metastore.pools import PoolRecord
from riir_airflow.metastore.registry import MetastoreRegistry, StaleFencingToken
from riir_airflow.metastore.store import MetastoreStore
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import AppInfo, AppState, Command, CommandKind, SerializedDag

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")
TTL = datetime.timedelta(seconds=30)


def at(seconds: float) -> pendulum.DateTime:
    return T0 + datetime.timedelta(seconds=seconds)


def register(reg: MetastoreRegistry, app_id: str, *dag_ids: str, code_hash: str = "h1", **dag: Any) -> None:
    dag_ids = dag_ids or ("dag_a",)
    reg.register_app(
        AppInfo(app_id, list(dag_ids), code_hash, "0.1", "host", 1, "/dags/a.py", AppState.ALIVE, T0, T0),
        [SerializedDag(d, "/dags/a.py", **dag) for d in dag_ids],
    )


def run(run_id: str = "r1", dag_id: str = "dag_a") -> DagRunRecord:
    return DagRunRecord(dag_id, run_id, "manual", DagRunState.QUEUED, run_after=T0)


def in_threads(n: int, fn: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * n
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


# -- fencing --------------------------------------------------------------------------------
def test_a_fenced_write_with_the_live_token_commits(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    register(registry, "a1")
    token = registry.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token
    with registry.transaction():
        registry.check_fence("dag_a", token, at(1))
        store.create_dag_run(run())
    assert store.get_dag_run("dag_a", "r1") is not None


def test_a_stale_token_is_refused_and_nothing_of_the_transaction_is_written(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    register(registry, "a1")
    register(registry, "a2")
    old = registry.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token
    registry.acquire_lease("dag_a", "a2", at(31), TTL)  # a1's lease expired: a2 took over
    with pytest.raises(StaleFencingToken, match="stale"), registry.transaction():
        store.create_dag_run(run("written_first"))
        registry.check_fence("dag_a", old, at(32))
    assert store.get_dag_run("dag_a", "written_first") is None
    with pytest.raises(StaleFencingToken, match="no live lease"):
        registry.check_fence("dag_b", 1, at(32))


def test_concurrent_acquires_grant_the_lease_to_exactly_one_app(registry: MetastoreRegistry) -> None:
    for i in range(6):
        register(registry, f"a{i}")
    grants = in_threads(6, lambda i: registry.acquire_lease("dag_a", f"a{i}", at(0), TTL))
    assert not [g for g in grants if isinstance(g, Exception)]
    held = [g for g in grants if g.held]
    assert len(held) == 1 and held[0].fencing_token == 1
    assert {g.holder_app_id for g in grants} == {held[0].holder_app_id}


def test_a_takeover_waits_for_a_fenced_write_in_progress(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    """On PostgreSQL the lease row is locked FOR SHARE by the fence check, so the new holder's
    grant happens after the old holder's write; on SQLite writers serialize anyway."""
    register(registry, "a1")
    register(registry, "a2")
    token = registry.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def fenced_write() -> None:
        with registry.transaction():
            registry.check_fence("dag_a", token, at(29))
            inside.set()
            release.wait(5)
            store.create_dag_run(run())
            order.append("write")

    writer = threading.Thread(target=fenced_write)
    writer.start()
    inside.wait(5)
    taker = threading.Thread(
        target=lambda: order.append(f"takeover:{registry.acquire_lease('dag_a', 'a2', at(31), TTL).held}")
    )
    taker.start()
    taker.join(0.5)
    release.set()
    writer.join(10)
    taker.join(10)
    assert order == ["write", "takeover:True"]


# -- DAG versions and retiring -------------------------------------------------------------
def test_runs_record_the_code_version_they_were_created_under(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    register(registry, "a1", code_hash="v1")
    store.create_dag_run(run("r1"))
    register(registry, "a2", code_hash="v1")  # same code: same version
    assert [v.version_number for v in registry.dag_versions("dag_a")] == [1]
    register(registry, "a3", code_hash="v2")
    store.create_dag_run(run("r2"))
    assert registry.dag_run_version("dag_a", "r1").source_hash == "v1"
    assert (
        registry.dag_run_version("dag_a", "r2").version_number,
        registry.get_dag("dag_a").latest_version,
    ) == (2, 2)
    store.create_dag_run(run("other", dag_id="never_registered"))
    assert registry.dag_run_version("never_registered", "other") is None


def test_a_new_dag_follows_is_paused_upon_creation_and_re_registering_keeps_the_pause_state(
    registry: MetastoreRegistry,
) -> None:
    register(registry, "a1", is_paused_upon_creation=False, tags=["x"], owner="ops", schedule="@daily")
    dag = registry.get_dag("dag_a")
    assert (dag.is_paused, dag.tags, dag.owners, dag.timetable_summary) == (False, ("x",), ("ops",), "@daily")
    assert registry.set_dag_paused("dag_a", True) and not registry.set_dag_paused("nope", True)
    register(registry, "a2", is_paused_upon_creation=False)
    assert registry.get_dag("dag_a").is_paused


def test_retiring_a_dag_removes_its_metadata_but_keeps_events_and_token_growth(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    from riir_airflow.store.records import AssetEventRecord

    register(registry, "a1", "dag_a", "dag_b")
    first = registry.acquire_lease("dag_a", "a1", at(0), TTL).fencing_token
    for dag_id in ("dag_a", "dag_b"):
        store.create_dag_run(run(dag_id=dag_id))
        store.put_task_instances(
            [TaskInstanceRecord(dag_id, "r1", "t1", state=TaskInstanceState.RUNNING, try_number=1)]
        )
    registry.acquire_pool_slots("dag_a", "r1", "t1")
    store.record_asset_event(AssetEventRecord("a", "s3://a", source_dag_id="dag_a", source_run_id="r1"))
    registry.enqueue_command(Command(CommandKind.PAUSE, "dag_a"), at(1))
    assert registry.retire_dag("dag_a") == 1
    assert store.get_dag_run("dag_a", "r1") is None and registry.get_dag("dag_a") is None
    assert registry.dag_versions("dag_a") == [] and registry.pending_commands(["dag_a"]) == []
    assert registry.pool_usage("default_pool").occupied == 0
    assert [e.source_dag_id for e in store.get_asset_events()] == ["dag_a"]
    assert store.get_dag_run("dag_b", "r1") is not None and registry.get_dag("dag_b") is not None
    register(registry, "a2", "dag_a")
    assert registry.acquire_lease("dag_a", "a2", at(2), TTL).fencing_token > first


# -- pools ----------------------------------------------------------------------------------
def test_pool_slots_are_granted_up_to_the_pool_size_idempotently(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    registry.set_pool(PoolRecord("small", 2, "two slots"))
    store.create_dag_run(run())
    assert registry.acquire_pool_slots("dag_a", "r1", "t1", pool="small")
    assert registry.acquire_pool_slots("dag_a", "r1", "t1", pool="small")  # a retry: still one grant
    assert not registry.acquire_pool_slots("dag_a", "r1", "big", pool="small", slots=2)
    assert registry.acquire_pool_slots("dag_a", "r1", "t2", pool="small")
    assert not registry.acquire_pool_slots("dag_a", "r1", "t3", pool="small")
    assert (registry.pool_usage("small").occupied, registry.pool_usage("small").open) == (2, 0)
    assert registry.release_pool_slots("dag_a", "r1", "t1") and not registry.release_pool_slots(
        "dag_a", "r1", "t1"
    )
    assert registry.acquire_pool_slots("dag_a", "r1", "t3", pool="small")
    store.delete_task_instance("dag_a", "r1", "t3")
    assert registry.pool_usage("small").occupied == 1
    with pytest.raises(KeyError):
        registry.acquire_pool_slots("dag_a", "r1", "t4", pool="nope")
    with pytest.raises(KeyError):
        registry.acquire_pool_slots("dag_a", "no_run", "t4", pool="small")
    with pytest.raises(ValueError):
        registry.delete_pool("default_pool")
    assert [p.pool for p in registry.list_pools()] == ["default_pool", "small"]


def test_concurrent_requests_never_oversubscribe_a_pool(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    registry.set_pool(PoolRecord("three", 3))
    store.create_dag_run(run())
    granted = in_threads(8, lambda i: registry.acquire_pool_slots("dag_a", "r1", f"t{i}", pool="three"))
    assert granted.count(True) == 3 and granted.count(False) == 5
    assert registry.pool_usage("three").occupied == 3


# -- audit ----------------------------------------------------------------------------------
def test_audit_log_appends_and_filters(registry: MetastoreRegistry, engine: sa.Engine) -> None:
    registry.record_audit("trigger", owner="ann", dag_id="dag_a", run_id="r1", now=at(1))
    registry.record_audit("pause", owner="bob", dag_id="dag_b", now=at(2))
    registry.record_audit("clear", owner="ann", dag_id="dag_a", extra='{"task_ids": ["t1"]}', now=at(3))
    assert [e.event for e in registry.audit_log()] == ["clear", "pause", "trigger"]
    assert [e.event for e in registry.audit_log(dag_id="dag_a", descending=False)] == ["trigger", "clear"]
    assert [e.event for e in registry.audit_log(owner="ann", after=at(1))] == ["clear"]
    assert [e.event for e in registry.audit_log(limit=1)] == ["clear"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.audit_log)).scalar() == 3


def test_retiring_a_dag_removes_its_deferrals_and_keeps_other_dags(
    store: MetastoreStore, registry: MetastoreRegistry
) -> None:
    from riir_airflow.store.records import DeferralRecord

    register(registry, "a1", "dag_a", "dag_b")
    for dag_id in ("dag_a", "dag_b"):
        store.create_dag_run(run(dag_id=dag_id))
        store.set_deferral(DeferralRecord(dag_id, "r1", "t1", "x.Trigger", "{}", "execute_complete"))
    registry.retire_dag("dag_a")
    with store.engine.connect() as conn:
        d = tables.task_deferral.c
        left = conn.execute(sa.select(d.dag_id)).scalars().all()
    assert left == ["dag_b"]
    assert [r.task_id for r in store.get_deferrals("dag_b", "r1")] == ["t1"]
