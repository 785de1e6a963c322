"""Migrations: upgrade from an empty database gives exactly `tables.metadata`, on SQLite and on
PostgreSQL; each later revision upgrades a database of the one before keeping its data, and
downgrades again; `check` reports reachability and revision; `reset` drops data and recreates;
two brokers migrating one PostgreSQL database at once do not collide."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from store.metastore_support import postgres_schema

from riir_airflow.metastore import migrate, tables
from riir_airflow.metastore.engine import WRITE, create_engine
from riir_airflow.metastore.store import MetastoreStore
from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.records import DagRunRecord, DeferralRecord


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database (no schema at all), on each database in turn."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'sub' / 'airflow.db'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema() as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


def _table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_from_empty_creates_exactly_the_declared_schema(empty_engine: sa.Engine) -> None:
    before, after = migrate.upgrade(empty_engine)
    assert (before, after) == (None, migrate.head_revision())
    assert _table_names(empty_engine) == set(tables.metadata.tables) | {"alembic_version"}
    with empty_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata
        )
    assert diff == []


def test_upgrade_seeds_the_default_pool(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.select(tables.slot_pool.c.pool, tables.slot_pool.c.slots)).all()
    assert rows == [("default_pool", 128)]


def test_upgrade_again_is_a_no_op_that_keeps_data(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(tables.variable.insert().values(key="k", val="v", is_encrypted=False))
    assert migrate.upgrade(empty_engine) == (migrate.head_revision(),) * 2
    with empty_engine.connect() as conn:
        assert conn.execute(sa.select(tables.variable.c.val)).scalar() == "v"


def _downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE: True})
        with conn.begin():
            command.downgrade(migrate.alembic_config(conn), revision)


def test_0002_adds_task_deferral_to_a_0001_database_keeping_its_runs_and_downgrades_again(
    empty_engine: sa.Engine,
) -> None:
    assert migrate.upgrade(empty_engine, "0001") == (None, "0001")
    assert "task_deferral" not in _table_names(empty_engine)
    t0 = pendulum.datetime(2024, 1, 1, tz="UTC")
    store = MetastoreStore(empty_engine)
    store.create_dag_run(DagRunRecord("dag_a", "r1", "manual", DagRunState.RUNNING, run_after=t0))

    assert migrate.upgrade(empty_engine, "0002") == ("0001", "0002")
    deferral = DeferralRecord("dag_a", "r1", "t1", "x.Trigger", "{}", "execute_complete", timeout_at=t0)
    store.set_deferral(deferral)
    assert store.get_deferrals("dag_a", "r1") == [deferral]
    store.delete_dag_run("dag_a", "r1")  # the new table cascades from dag_run like the others
    assert store.get_deferrals("dag_a", "r1") == []

    store.create_dag_run(DagRunRecord("dag_a", "r2", "manual", DagRunState.RUNNING, run_after=t0))
    store.set_deferral(DeferralRecord("dag_a", "r2", "t1", "x.Trigger", "{}", "execute_complete"))
    _downgrade(empty_engine, "0001")
    with empty_engine.connect() as conn:
        assert migrate.current_revision(conn) == "0001"
    assert "task_deferral" not in _table_names(empty_engine)
    assert store.get_dag_run("dag_a", "r2") is not None
    assert migrate.upgrade(empty_engine) == ("0001", migrate.head_revision())
    assert store.get_deferrals("dag_a", "r2") == []


def test_check_reports_no_schema_then_ok_at_head(empty_engine: sa.Engine) -> None:
    status = migrate.check(empty_engine)
    assert not status.ok and status.reachable and status.current is None
    assert "db migrate" in status.reason
    migrate.upgrade(empty_engine)
    status = migrate.check(empty_engine)
    assert status.ok and status.current == migrate.head_revision()


def test_check_reports_a_database_migrated_by_a_newer_release(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    status = migrate.check(empty_engine)
    assert not status.ok and status.current == "9999"
    assert "newer riir-airflow" in status.reason


def test_check_of_an_unreachable_server_says_so_without_raising() -> None:
    engine = create_engine(
        "postgresql://nobody:secret@127.0.0.1:1/nothing", connect_args={"connect_timeout": 2}
    )
    status = migrate.check(engine)
    assert not status.ok and not status.reachable
    assert "cannot reach" in status.reason and "secret" not in status.reason


def test_reset_drops_every_row_and_recreates_the_schema(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(tables.variable.insert().values(key="k", val="v", is_encrypted=False))
        conn.execute(sa.text("CREATE TABLE not_ours (x INTEGER)"))
    assert migrate.reset(empty_engine) == migrate.head_revision()
    with empty_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.variable)).scalar() == 0
    assert migrate.check(empty_engine).ok
    assert "not_ours" in _table_names(empty_engine)  # only the metastore's own tables are dropped


def test_two_brokers_migrating_postgres_at_once_both_succeed() -> None:
    with postgres_schema() as url:
        engines = [create_engine(url) for _ in range(2)]
        results: list[object] = []

        def run(engine: sa.Engine) -> None:
            try:
                results.append(migrate.upgrade(engine))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                results.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        head = migrate.head_revision()
        assert sorted(results, key=str) == sorted([(None, head), (head, head)], key=str)
        assert migrate.check(engines[0]).ok
        for engine in engines:
            engine.dispose()


def test_migrations_are_shipped_inside_the_package() -> None:
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert any(migrate.MIGRATIONS_DIR.joinpath("versions").glob("0001_*.py"))
    assert migrate.MIGRATIONS_DIR.is_relative_to(Path(migrate.__file__).parent)
