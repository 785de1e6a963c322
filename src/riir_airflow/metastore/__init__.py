"""The metastore: the broker's database layer (SQLAlchemy 2 Core + Alembic; PostgreSQL or SQLite).

Server side only: imported by the broker and by `riir-airflow db ...`, never by the DAG app or
the authoring SDK (it needs the `broker` extra: SQLAlchemy, Alembic, psycopg, cryptography).

Modules, and what the broker calls in them:
- `engine`: `create_engine(url=None, *, config=None, **kwargs)` from `[database] sql_alchemy_conn`.
- `migrate`: `upgrade(engine)`, `check(engine) -> SchemaStatus`, `reset(engine)`, `head_revision()`.
- `store`: `MetastoreStore(engine, *, cipher=None)`: the runtime's `Store` protocol in full, and
  `transaction()` to compose Store calls with the broker-only operations below atomically.
- `registry`: DAG apps, the dag_ids they serve, heartbeats, gone apps and their zombie task
  instances, scheduling leases with fencing tokens.
- `dags`: DAG rows, code versions, pause/unpause, import errors, retiring a DAG.
- `pools`: pools and pool-slot acquisition. `commands`: the durable queue of broker -> app commands.
- `users`, `tokens`: users with hashed passwords; API/app tokens stored only as hashes.
- `audit`: the event log. `crypto`: Fernet for secrets at rest. `tables`: the schema.

Broker-only functions take an open `sqlalchemy.Connection` first (from
`MetastoreStore.transaction()` or `engine.begin()`), so the caller decides the transaction.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MetastoreStore", "SchemaStatus", "check", "create_engine", "reset", "upgrade"]

_LAZY = {
    "MetastoreStore": "riir_airflow.metastore.store",
    "SchemaStatus": "riir_airflow.metastore.migrate",
    "check": "riir_airflow.metastore.migrate",
    "create_engine": "riir_airflow.metastore.engine",
    "reset": "riir_airflow.metastore.migrate",
    "upgrade": "riir_airflow.metastore.migrate",
}


def __getattr__(name: str) -> Any:
    # Lazy, so `import riir_airflow.metastore.crypto` does not pull in Alembic.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
