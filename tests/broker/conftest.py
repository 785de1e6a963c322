"""Fixtures for the broker tests: in-thread brokers over a real metastore, a FakeClock, credentials.

`make_broker(backend=..., **settings)` starts a broker (uvicorn in a thread, a real HTTP server on
127.0.0.1) over `MetastoreStore` + `MetastoreRegistry` sharing one `Database`, exactly as
`riir-airflow broker` builds them, with a FakeClock the test moves. Backends: "sqlite" (a fresh
migrated file) and "postgres" (this session's private schema on RIIR_TEST_POSTGRES_URL, emptied
first; fails, never skips, when the server is unreachable). `broker` runs a test on both;
`sqlite_broker` on SQLite only (for behaviour that does not depend on the database).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import pytest
from store.metastore_support import new_store, pg_engine, pg_url, sqlite_template, wipe

from riir_airflow.broker import BrokerSettings
from riir_airflow.broker.auth import issue_jwt
from riir_airflow.broker.registry import UserInfo
from riir_airflow.metastore.database import Database
from riir_airflow.metastore.engine import create_engine
from riir_airflow.metastore.registry import MetastoreRegistry
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.store.broker_client import BrokerStore

from .support import ThreadBroker

__all__ = ["pg_engine", "pg_url", "sqlite_template"]

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")
JWT_SECRET = "test-secret-" + "x" * 64


@dataclass
class Broker:
    """A running in-thread broker and what tests need to talk to it."""

    server: ThreadBroker
    clock: FakeClock
    registry: MetastoreRegistry
    store: Any

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ctx(self) -> Any:
        return self.server.ctx

    def jwt(self, role: str = "admin", username: str | None = None) -> str:
        return issue_jwt(UserInfo(username or role, role), JWT_SECRET, 3600, self.clock.now())

    def app_token(self, *dag_ids: str) -> str:
        return self.registry.create_app_token(list(dag_ids), self.clock.now())[1]

    def client(self, token: str | None = None, **kwargs: Any) -> BrokerStore:
        return BrokerStore(self.url, token if token is not None else self.jwt(), **kwargs)


def settings(**overrides: Any) -> BrokerSettings:
    values: dict[str, Any] = {"jwt_secret": JWT_SECRET, "token_cache_seconds": 0.0, "app_rate_limit": 0.0}
    values.update(overrides)
    return BrokerSettings(**values)


@pytest.fixture
def make_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Start in-thread brokers on a fresh metastore each (see the module docstring)."""
    started: list[ThreadBroker] = []
    engines: list[Any] = []

    def make(*, backend: str = "sqlite", reaper: bool = False, **overrides: Any) -> Broker:
        if backend == "sqlite":
            path = tmp_path / f"airflow{len(started)}.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            engine = create_engine(f"sqlite:///{path}")
            engines.append(engine)
        else:
            engine = request.getfixturevalue("pg_engine")
            wipe(engine)
        db = Database(engine)
        clock = FakeClock(T0)
        registry = MetastoreRegistry(db)
        store = new_store(db)
        server = ThreadBroker(store, registry, settings(**overrides), clock=clock, reaper=reaper).__enter__()
        started.append(server)
        return Broker(server, clock, registry, store)

    yield make
    for server in started:
        server.__exit__(None, None, None)
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def broker(request: pytest.FixtureRequest, make_broker: Callable[..., Broker]) -> Broker:
    """An in-thread broker with default test settings, on SQLite and on PostgreSQL in turn."""
    return make_broker(backend=request.param)


@pytest.fixture
def sqlite_broker(make_broker: Callable[..., Broker]) -> Broker:
    """An in-thread broker with default test settings on SQLite."""
    return make_broker()
