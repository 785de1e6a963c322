"""The Store contract suite against `MetastoreStore` on the real PostgreSQL server.

One private schema per test session (see metastore_support); each test starts from empty tables.
Fails, never skips, when the server at RIIR_TEST_POSTGRES_URL is not reachable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from riir_airflow.store import Store

from .contract import StoreContract
from .metastore_support import new_store, pg_engine, pg_url, wipe

__all__ = ["pg_engine", "pg_url"]


class TestMetastoreStoreOnPostgres(StoreContract):
    @pytest.fixture
    def store(self, pg_engine: sa.Engine) -> Iterator[Store]:
        wipe(pg_engine)
        s = new_store(pg_engine)
        yield s
        s.close()
