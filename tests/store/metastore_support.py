"""Databases for the metastore tests: a private PostgreSQL schema per test session, SQLite files.

PostgreSQL is the real server at `RIIR_TEST_POSTGRES_URL` (default
`postgresql://postgres@127.0.0.1:5432/test`). A test that needs it fails loudly when it is not
reachable, never skips: a green run must mean the PostgreSQL path was exercised. Each test
session (each pytest-xdist worker) works in its own `riir_test_<random>` schema, selected through
the connection URL's `options=-csearch_path=...`, and drops it at the end, so parallel workers and
runs never see each other's rows.

The fixtures are imported by the modules that use them (tests/store/test_metastore_*.py and
tests/metastore/conftest.py).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from riir_airflow.metastore import migrate, tables
from riir_airflow.metastore.crypto import SecretCipher, generate_key
from riir_airflow.metastore.database import Database
from riir_airflow.metastore.engine import create_engine
from riir_airflow.metastore.store import MetastoreStore

__all__ = [
    "DEFAULT_POSTGRES_URL",
    "pg_engine",
    "pg_url",
    "postgres_base_url",
    "postgres_schema",
    "sqlite_template",
    "sqlite_url",
    "wipe",
]

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("RIIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test server; yields a URL whose connections use it; drops it after."""
    base = postgres_base_url()
    admin = create_engine(base, poolclass=sa.NullPool)
    schema = f"riir_test_{secrets.token_hex(6)}"
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {base} is not reachable ({exc.orig}); the metastore tests need it. Start it "
            "(pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set "
            "RIIR_TEST_POSTGRES_URL",
            pytrace=False,
        )
    try:
        yield _with_search_path(base, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def wipe(engine: sa.Engine) -> None:
    """Delete every row of every metastore table (keeping the default pool), children first."""
    with engine.begin() as conn:
        for table in reversed(tables.metadata.sorted_tables):
            if table is tables.slot_pool:
                conn.execute(table.delete().where(table.c.pool != "default_pool"))
            else:
                conn.execute(table.delete())


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of an empty private schema on the test PostgreSQL server (session-wide)."""
    with postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    """An engine on the session's schema, migrated to head (tests wipe rows, not the schema)."""
    engine = create_engine(pg_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests copy it instead of migrating."""
    path = tmp_path_factory.mktemp("metastore") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()  # checkpoints the WAL: the file alone is the whole database
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """URL of a fresh, migrated SQLite metastore file for this test."""
    path = tmp_path / "airflow.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def new_store(engine: sa.Engine | Database, *, fernet_key: str | None = "generate") -> MetastoreStore:
    """A MetastoreStore on `engine` encrypting with a new key (None: no key, plain text)."""
    key = generate_key() if fernet_key == "generate" else fernet_key
    return MetastoreStore(engine, cipher=SecretCipher(key))
