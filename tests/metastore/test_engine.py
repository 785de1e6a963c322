"""The engine: URLs from `[database] sql_alchemy_conn` (psycopg 3 for PostgreSQL), SQLite pragmas
and write transactions, UTC datetimes through both databases, and that nothing outside the
metastore imports SQLAlchemy."""

from __future__ import annotations

import datetime
import subprocess
import sys
import threading
from pathlib import Path

import pendulum
import pytest
import sqlalchemy as sa

from riir_airflow.compat.config import load_config
from riir_airflow.metastore import coltypes
from riir_airflow.metastore.database import Database
from riir_airflow.metastore.engine import create_engine, database_url, normalize_url, safe_url


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:////tmp/a.db", "sqlite"),
    ],
)
def test_normalize_url_uses_psycopg_3_for_postgres(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+asyncpg://u@h/db", "mssql+pyodbc://h/db"])
def test_other_databases_and_drivers_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        normalize_url(url)


def test_database_url_defaults_to_sqlite_under_airflow_home(tmp_path: Path) -> None:
    assert database_url(load_config(tmp_path, {})) == f"sqlite:///{tmp_path}/airflow.db"
    env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://x@y/z"}
    assert database_url(load_config(tmp_path, env)) == "postgresql://x@y/z"


def test_safe_url_hides_the_password() -> None:
    assert "hunter2" not in safe_url("postgresql://me:hunter2@h/db")


def test_sqlite_engine_creates_the_folder_and_sets_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'airflow.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert (tmp_path / "a" / "b" / "airflow.db").is_file()
    engine.dispose()


def test_sqlite_write_transactions_queue_instead_of_failing(tmp_path: Path) -> None:
    """Two threads each read then write in one transaction: with BEGIN IMMEDIATE the second waits
    for the first instead of failing with "database is locked" on lock upgrade."""
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    db, errors = Database(engine), []

    def bump() -> None:
        try:
            for _ in range(20):
                with db.transaction() as conn:
                    n = conn.exec_driver_sql("SELECT n FROM counter").scalar()
                    conn.exec_driver_sql(f"UPDATE counter SET n = {n + 1}")
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 80
    engine.dispose()


def test_nested_transactions_join_and_roll_back_together(engine: sa.Engine) -> None:
    from riir_airflow.metastore import tables

    db = Database(engine)
    with pytest.raises(RuntimeError), db.transaction():
        with db.tx(write=True) as conn:
            conn.execute(tables.variable.insert().values(key="k", val="v", is_encrypted=False))
        assert db.in_transaction()
        raise RuntimeError("roll back everything")
    assert not db.in_transaction()
    with db.tx() as conn:
        assert conn.execute(sa.select(tables.variable)).first() is None


def test_utc_datetimes_round_trip_exactly_on_both_databases(engine: sa.Engine) -> None:
    meta = sa.MetaData()
    table = sa.Table(
        "dt_probe", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", coltypes.UtcDateTime)
    )
    meta.create_all(engine)
    paris = pendulum.datetime(2024, 3, 31, 2, 30, 0, tz="Europe/Paris").add(microseconds=123456)
    with engine.begin() as conn:
        conn.execute(table.insert().values(id=1, at=paris))
        got = conn.execute(sa.select(table.c.at)).scalar_one()
        ordered = conn.execute(
            sa.select(table.c.id).where(table.c.at < paris + datetime.timedelta(microseconds=1))
        ).all()
    meta.drop_all(engine)
    assert got == paris and got.timezone_name == "UTC" and isinstance(got, pendulum.DateTime)
    assert ordered == [(1,)]
    with pytest.raises(ValueError, match="naive"):
        coltypes.to_utc(datetime.datetime(2024, 1, 1))


def test_the_cli_and_the_sdk_do_not_import_sqlalchemy_or_alembic() -> None:
    code = (
        "import sys, riir_airflow, riir_airflow.sdk, riir_airflow.store\n"
        "from riir_airflow.cli.main import build_parser\n"
        "build_parser().parse_args(['db', 'check'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'psycopg', 'cryptography'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
