"""`Database`: an engine plus the transaction that metastore calls in the current context join.

Why: the broker must make some pairs of operations atomic, above all "check the fencing token,
then write": if the lease could change hands between the check and the write, a stale app's
write would land after a newer holder took over. `MetastoreStore` and `MetastoreRegistry` built
on the same `Database` therefore share its transactions:

    db = Database(engine)
    store, registry = MetastoreStore(db), MetastoreRegistry(db)
    with db.transaction():                       # or store.transaction() / registry.transaction()
        registry.check_fence(dag_id, token, now)  # locks the lease row (FOR SHARE on PostgreSQL)
        store.put_task_instances(records)         # joins the same transaction

Contract:
- `tx(write=False)` yields the connection of the transaction open in this context (thread /
  asyncio task, via a ContextVar), or opens one for the duration of the block: committed on
  normal exit, rolled back on an exception. `transaction()` is `tx(write=True)`.
- On SQLite a write transaction starts with BEGIN IMMEDIATE (see `engine.WRITE`), so every
  read-then-write block is serialized against other writers instead of failing on lock upgrade.
  Within one process, writers also queue on a lock before BEGIN IMMEDIATE: SQLite's own busy
  handler polls with sleeps of up to 100 ms, which under a burst of concurrent writes (a DAG
  app's fan-out) made a write wait far longer than the writes ahead of it took.
- `memo()`: a dict that lives as long as the transaction open in this context (None outside
  one), for facts checked under the transaction's locks that stay true until it ends (a lease
  checked FOR SHARE, a run that exists): several calls applied in one transaction (a batch)
  check each once. `savepoint()` runs a block that may fail on its own inside the transaction.
- `single_statement()` (PostgreSQL, outside any `tx()`): a pooled connection in autocommit mode
  for a block that runs exactly one statement. That statement is its own transaction (atomic,
  its row locks held until it ends), without the BEGIN and COMMIT round trips: the broker's
  one-statement fenced write (`store_fenced.py`) is one round trip.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa

from riir_airflow.metastore.engine import WRITE

__all__ = ["Database"]


class Database:
    """An engine and the per-context transaction its users share; see the module docstring."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._current: ContextVar[sa.Connection | None] = ContextVar(f"metastore_tx_{id(self)}", default=None)
        self._memo: ContextVar[dict | None] = ContextVar(f"metastore_memo_{id(self)}", default=None)
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        """The dialect name: postgresql or sqlite."""
        return self.engine.dialect.name

    def in_transaction(self) -> bool:
        """True inside a `tx()` / `transaction()` block of this context."""
        return self._current.get() is not None

    @contextmanager
    def tx(self, write: bool = False) -> Iterator[sa.Connection]:
        """Join the transaction open in this context, or run the block in a new one."""
        current = self._current.get()
        if current is not None:
            yield current
            return
        queue = self._write_lock if write and self._write_lock is not None else contextlib.nullcontext()
        with queue, self.engine.connect() as conn:
            if write:
                conn = conn.execution_options(**{WRITE: True})
            with conn.begin():
                token, memo = self._current.set(conn), self._memo.set({})
                try:
                    yield conn
                finally:
                    self._memo.reset(memo)
                    self._current.reset(token)

    def memo(self) -> dict | None:
        """The open transaction's memo (see the module docstring), None outside a transaction."""
        return self._memo.get()

    @contextmanager
    def savepoint(self) -> Iterator[sa.Connection]:
        """The block in a SAVEPOINT of the open write transaction (one is opened if none is):
        if it raises, only its own changes are undone and the transaction goes on."""
        with self.tx(write=True) as conn, conn.begin_nested():
            yield conn

    @contextmanager
    def single_statement(self) -> Iterator[sa.Connection]:
        """A connection in autocommit mode for one statement (see the module docstring)."""
        if self._current.get() is not None:
            raise RuntimeError("single_statement() inside a transaction would not be atomic with it")
        with self.engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A write transaction that metastore calls made inside the block join."""
        with self.tx(write=True) as conn:
            yield conn

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()
