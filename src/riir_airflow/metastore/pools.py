"""Pools and their slots: how many task instances of a pool may run at once, across all apps.

Why explicit slot rows: in riir every DAG app schedules its own tasks, so a pool shared by DAGs
in different apps needs one place that grants slots atomically. A task instance asks for its
slots before it runs and gives them back when it ends; the grant is a `pool_slot` row.

Contract:
- `slot_pool` holds the pools; `default_pool` is created by the first migration
  (`[core] default_pool_task_slot_count`, 128) and cannot be deleted. `slots = -1` is unlimited.
- `acquire_pool_slots(...)` grants `slots` to one task instance if the pool has that many free,
  atomically (the pool row is locked FOR UPDATE on PostgreSQL; SQLite serializes writers):
  True if granted or already held by that task instance (idempotent, so retried requests are
  harmless), False if the pool is full (or asks more slots than the pool has). KeyError for an
  unknown pool or a task instance whose run does not exist.
- `release_pool_slots(...)` gives them back (True if it held any). Deleting the run, or the task
  instance through the Store, releases them too (cascade).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.codec import ti_where
from riir_airflow.metastore.coltypes import to_utc, upsert, utc_now
from riir_airflow.metastore.database import Database

__all__ = ["DEFAULT_POOL", "PoolMethods", "PoolRecord", "PoolUsage"]

DEFAULT_POOL = "default_pool"


@dataclass(frozen=True, slots=True)
class PoolRecord:
    pool: str
    slots: int
    description: str | None = None
    include_deferred: bool = False


@dataclass(frozen=True, slots=True)
class PoolUsage:
    """A pool's size and how many of its slots are granted (`open` is None when unlimited)."""

    pool: str
    slots: int
    occupied: int

    @property
    def open(self) -> int | None:
        return None if self.slots < 0 else max(self.slots - self.occupied, 0)


class PoolMethods:
    """Pools and slot grants; mixed into `MetastoreRegistry`."""

    db: Database

    def get_pool(self, pool: str) -> PoolRecord | None:
        with self.db.tx() as conn:
            row = conn.execute(sa.select(t.slot_pool).where(t.slot_pool.c.pool == pool)).mappings().first()
        return PoolRecord(**row) if row else None

    def list_pools(self) -> list[PoolRecord]:
        """Every pool, by name."""
        with self.db.tx() as conn:
            rows = conn.execute(sa.select(t.slot_pool).order_by(t.slot_pool.c.pool)).mappings()
            return [PoolRecord(**row) for row in rows]

    def set_pool(self, record: PoolRecord) -> None:
        """Create or replace a pool (shrinking it revokes no granted slot; it only blocks new ones)."""
        if record.slots < -1:
            raise ValueError(f"pool slots must be >= -1 (-1: unlimited), not {record.slots}")
        values = {
            "pool": record.pool, "slots": record.slots, "description": record.description,
            "include_deferred": record.include_deferred,
        }  # fmt: skip
        with self.db.tx(write=True) as conn:
            upsert(conn, t.slot_pool, values, ("pool",))

    def delete_pool(self, pool: str) -> bool:
        """Delete a pool and its grants; False if unknown; ValueError for the default pool."""
        if pool == DEFAULT_POOL:
            raise ValueError("the default pool cannot be deleted")
        with self.db.tx(write=True) as conn:
            return conn.execute(t.slot_pool.delete().where(t.slot_pool.c.pool == pool)).rowcount > 0

    def pool_usage(self, pool: str) -> PoolUsage | None:
        """The pool's size and granted slots; None for an unknown pool."""
        with self.db.tx() as conn:
            return self._usage(conn, pool, lock=False)

    @staticmethod
    def _usage(conn: sa.Connection, pool: str, *, lock: bool) -> PoolUsage | None:
        query = sa.select(t.slot_pool.c.slots).where(t.slot_pool.c.pool == pool)
        size = conn.execute(query.with_for_update() if lock else query).scalar()
        if size is None:
            return None
        occupied = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(t.pool_slot.c.slots), 0)).where(t.pool_slot.c.pool == pool)
        ).scalar_one()
        return PoolUsage(pool, size, int(occupied))

    def acquire_pool_slots(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int = -1,
        *,
        pool: str = DEFAULT_POOL,
        slots: int = 1,
        now: datetime.datetime | None = None,
    ) -> bool:
        """Grant `slots` of `pool` to the task instance if they are free (see the module docstring)."""
        if slots < 1:
            raise ValueError(f"a task needs at least one pool slot, not {slots}")
        key = ti_where(t.pool_slot, dag_id, run_id, task_id, map_index)
        with self.db.tx(write=True) as conn:
            usage = self._usage(conn, pool, lock=True)
            if usage is None:
                raise KeyError(f"no pool {pool!r}")
            if conn.execute(sa.select(t.pool_slot.c.pool).where(key)).first() is not None:
                return True
            r = t.dag_run.c
            if conn.execute(sa.select(1).where(r.dag_id == dag_id, r.run_id == run_id)).first() is None:
                raise KeyError(f"no dag run {dag_id!r} / {run_id!r}")
            if usage.open is not None and usage.open < slots:
                return False
            conn.execute(
                t.pool_slot.insert().values(
                    dag_id=dag_id,
                    run_id=run_id,
                    task_id=task_id,
                    map_index=map_index,
                    pool=pool,
                    slots=slots,
                    acquired_at=to_utc(now) or utc_now(),
                )
            )
            return True

    def release_pool_slots(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> bool:
        """Give back the task instance's slots; True if it held any."""
        with self.db.tx(write=True) as conn:
            query = t.pool_slot.delete().where(ti_where(t.pool_slot, dag_id, run_id, task_id, map_index))
            return conn.execute(query).rowcount > 0
