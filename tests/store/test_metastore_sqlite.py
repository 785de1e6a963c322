"""The Store contract suite against `MetastoreStore` on SQLite (a fresh migrated file per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from riir_airflow.metastore.engine import create_engine
from riir_airflow.store import Store

from .contract import StoreContract
from .metastore_support import new_store, sqlite_template, sqlite_url

__all__ = ["sqlite_template", "sqlite_url"]


class TestMetastoreStoreOnSqlite(StoreContract):
    @pytest.fixture
    def store(self, sqlite_url: str) -> Iterator[Store]:
        engine = create_engine(sqlite_url)
        s = new_store(engine)
        yield s
        s.close()
        engine.dispose()
