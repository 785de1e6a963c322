"""Fixtures for the metastore tests: `engine` (a migrated, empty metastore) on both databases.

Tests taking `engine` run twice, on SQLite (a fresh file per test) and on the real PostgreSQL at
RIIR_TEST_POSTGRES_URL (this session's private schema, emptied before each test); the
PostgreSQL ones fail, never skip, when the server is not reachable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from store.metastore_support import new_store, pg_engine, pg_url, sqlite_template, sqlite_url, wipe

from riir_airflow.metastore.database import Database
from riir_airflow.metastore.engine import create_engine
from riir_airflow.metastore.registry import MetastoreRegistry
from riir_airflow.metastore.store import MetastoreStore

__all__ = ["pg_engine", "pg_url", "sqlite_template", "sqlite_url"]


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """A migrated metastore with no rows but the default pool, on each database in turn."""
    if request.param == "sqlite":
        e = create_engine(request.getfixturevalue("sqlite_url"))
        yield e
        e.dispose()
    else:
        e = request.getfixturevalue("pg_engine")
        wipe(e)
        yield e


@pytest.fixture
def db(engine: sa.Engine) -> Database:
    return Database(engine)


@pytest.fixture
def store(db: Database) -> MetastoreStore:
    """A MetastoreStore encrypting secrets with a fresh key, sharing `db` with `registry`."""
    return new_store(db)


@pytest.fixture
def registry(db: Database) -> MetastoreRegistry:
    return MetastoreRegistry(db)
