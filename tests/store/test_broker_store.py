"""The Store contract suite against `BrokerStore` talking to a real `riir-airflow broker` process.

The broker runs as a subprocess on a free 127.0.0.1 port, configured by environment only, over
the metastore: a migrated SQLite file in a tmp dir, and this session's private schema on the
real PostgreSQL at RIIR_TEST_POSTGRES_URL (fails, never skips, when unreachable). One broker
process per backend and module; before each test the metastore's rows are wiped from the test
process, so every test starts from an empty store. The client authenticates with an admin JWT
signed with the broker's configured `[api_auth] jwt_secret` (wiping removes users, not JWTs).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest
import sqlalchemy as sa
from broker.support import BrokerProcess, broker_env

from riir_airflow.broker.auth import issue_jwt
from riir_airflow.broker.registry import UserInfo
from riir_airflow.metastore.crypto import generate_key
from riir_airflow.metastore.engine import create_engine
from riir_airflow.store import Store
from riir_airflow.store.broker_client import BrokerStore

from .contract import StoreContract
from .metastore_support import pg_engine, pg_url, sqlite_template, wipe

__all__ = ["pg_engine", "pg_url", "sqlite_template"]

JWT_SECRET = "contract-secret-" + "z" * 64


def _serve(tmp: Path, database_url: str) -> BrokerProcess:
    env = broker_env(
        tmp / "home",
        database_url,
        api_auth__jwt_secret=JWT_SECRET,
        core__fernet_key=generate_key(),
        riir__app_rate_limit="0",
    )
    return BrokerProcess(env, tmp / "broker.log")


def _admin_client(url: str) -> BrokerStore:
    token = issue_jwt(UserInfo("admin", "admin"), JWT_SECRET, 3600, pendulum.now("UTC"))
    return BrokerStore(url, token)


@pytest.fixture(scope="module")
def sqlite_broker(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[str, sa.Engine]]:
    tmp = tmp_path_factory.mktemp("broker_sqlite")
    shutil.copyfile(sqlite_template, tmp / "airflow.db")
    url = f"sqlite:///{tmp / 'airflow.db'}"
    engine = create_engine(url)
    with _serve(tmp, url) as broker:
        yield broker.url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgres_broker(
    tmp_path_factory: pytest.TempPathFactory, pg_url: str, pg_engine: sa.Engine
) -> Iterator[tuple[str, sa.Engine]]:
    with _serve(tmp_path_factory.mktemp("broker_pg"), pg_url) as broker:
        yield broker.url, pg_engine


class TestBrokerStoreOnSqlite(StoreContract):
    @pytest.fixture
    def store(self, sqlite_broker: tuple[str, sa.Engine]) -> Iterator[Store]:
        url, engine = sqlite_broker
        wipe(engine)
        client = _admin_client(url)
        yield client
        client.close()


class TestBrokerStoreOnPostgres(StoreContract):
    @pytest.fixture
    def store(self, postgres_broker: tuple[str, sa.Engine]) -> Iterator[Store]:
        url, engine = postgres_broker
        wipe(engine)
        client = _admin_client(url)
        yield client
        client.close()
