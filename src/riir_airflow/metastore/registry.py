"""`MetastoreRegistry`: the broker's `Registry` in SQL, so several broker replicas share it.

It implements `riir_airflow.broker.registry.Registry` (apps, leases, commands, tokens, users,
import errors; the contract is that protocol's docstring, pinned by the broker's registry tests)
and adds what the broker needs beyond it: DAG rows and code versions (`dags.py`), pools
(`pools.py`), the audit log (`audit.py`), user and token administration (`users.py`,
`tokens.py`) and `check_fence`.

This module holds the apps and the leases:
- `register_app` (re)writes the app as alive with its dag_ids, and syncs its DAGs and their code
  version (`DagMethods.sync_dags`) in the same transaction. `heartbeat` refreshes an alive app
  (a gone app stays gone and must register again). `mark_gone` flips alive -> gone exactly once
  (the UPDATE is conditional, so among concurrent reapers one wins; the others get None) and
  releases the app's leases in the same transaction.
- Leases: one row per dag_id. Taking a free or expired lease hands out `fencing_token + 1`;
  the holder renewing keeps its token. The row is locked FOR UPDATE while deciding, so two
  replicas granting the same lease serialize. The row is never deleted, so tokens only grow.
- Fencing atomically: built on the same `Database` as the `MetastoreStore`, the check and the
  write share one transaction; inside it, `lease()` and `check_fence()` lock the lease row
  FOR SHARE (PostgreSQL), so a takeover waits until the fenced write has committed:

      with registry.transaction():
          registry.check_fence(dag_id, token, now)   # raises StaleFencingToken
          store.put_task_instances(records)
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.audit import AuditMethods
from riir_airflow.metastore.coltypes import insert_ignore, to_utc, upsert
from riir_airflow.metastore.commands import CommandMethods
from riir_airflow.metastore.dags import DagMethods
from riir_airflow.metastore.database import Database
from riir_airflow.metastore.engine import create_engine
from riir_airflow.metastore.pools import PoolMethods
from riir_airflow.metastore.tokens import TokenMethods
from riir_airflow.metastore.users import UserMethods
from riir_airflow.wire.messages import AppInfo, AppState, LeaseGrant, SerializedDag

__all__ = ["MetastoreRegistry", "StaleFencingToken"]


class StaleFencingToken(Exception):
    """A write carried a fencing token that is not the live lease's: nothing was written."""


def _grant(dag_id: str, row: Any, asker: str | None, now: datetime.datetime) -> LeaseGrant:
    """The lease as seen by `asker`: held only while live and theirs; a dead lease shows no holder."""
    if row is None or row["app_id"] is None or row["expires_at"] is None or row["expires_at"] <= now:
        return LeaseGrant(dag_id=dag_id, held=False)
    mine = asker is not None and row["app_id"] == asker
    return LeaseGrant(
        dag_id=dag_id,
        held=mine,
        holder_app_id=row["app_id"],
        fencing_token=row["fencing_token"] if mine else None,
        expires_at=row["expires_at"],
    )


class MetastoreRegistry(DagMethods, PoolMethods, CommandMethods, TokenMethods, UserMethods, AuditMethods):
    """The broker's registry over the metastore; see the module docstring."""

    def __init__(self, engine: sa.Engine | Database) -> None:
        self.db = engine if isinstance(engine, Database) else Database(engine)

    @classmethod
    def from_config(cls, config: Any = None) -> MetastoreRegistry:
        """A registry on the configured metastore (`[database] sql_alchemy_conn`)."""
        return cls(create_engine(config=config))

    def transaction(self) -> AbstractContextManager[sa.Connection]:
        """A write transaction that registry and store calls in this context join."""
        return self.db.transaction()

    # -- apps -------------------------------------------------------------------------------
    def register_app(self, info: AppInfo, dags: Sequence[SerializedDag]) -> None:
        """(Re)write the app as alive with its dag_ids, and sync its DAGs' rows and versions."""
        values = {
            "app_id": info.app_id, "state": AppState.ALIVE.value, "hostname": info.hostname, "pid": info.pid,
            "code_hash": info.code_hash, "riir_version": info.version, "fileloc": info.fileloc,
            "registered_at": to_utc(info.registered_at), "last_heartbeat": to_utc(info.last_heartbeat),
            "gone_at": None,
        }  # fmt: skip
        links = [{"app_id": info.app_id, "dag_id": d, "position": i} for i, d in enumerate(info.dag_ids)]
        with self.db.tx(write=True) as conn:
            upsert(conn, t.app, values, ("app_id",))
            conn.execute(t.app_dag.delete().where(t.app_dag.c.app_id == info.app_id))
            if links:
                conn.execute(t.app_dag.insert(), links)
            self.sync_dags(dags, code_hash=info.code_hash, app_id=info.app_id, now=info.registered_at)

    @staticmethod
    def _apps(conn: sa.Connection, where: Any) -> list[AppInfo]:
        rows = list(conn.execute(sa.select(t.app).where(where).order_by(t.app.c.app_id)).mappings())
        dag_ids: dict[str, list[str]] = {row["app_id"]: [] for row in rows}
        if dag_ids:
            d = t.app_dag.c
            links = (
                sa.select(d.app_id, d.dag_id)
                .where(d.app_id.in_(list(dag_ids)))
                .order_by(d.app_id, d.position)
            )
            for app_id, dag_id in conn.execute(links):
                dag_ids[app_id].append(dag_id)
        return [
            AppInfo(
                app_id=row["app_id"],
                dag_ids=dag_ids[row["app_id"]],
                code_hash=row["code_hash"],
                version=row["riir_version"],
                hostname=row["hostname"],
                pid=row["pid"] or 0,
                fileloc=row["fileloc"],
                state=AppState(row["state"]),
                registered_at=row["registered_at"],
                last_heartbeat=row["last_heartbeat"],
            )
            for row in rows
        ]

    def get_app(self, app_id: str) -> AppInfo | None:
        with self.db.tx() as conn:
            found = self._apps(conn, t.app.c.app_id == app_id)
        return found[0] if found else None

    def heartbeat(self, app_id: str, now: datetime.datetime) -> AppInfo | None:
        """Refresh an alive app's last heartbeat; the app's entry (None if unknown)."""
        a = t.app.c
        with self.db.tx(write=True) as conn:
            conn.execute(
                t.app.update()
                .where(a.app_id == app_id, a.state == AppState.ALIVE.value)
                .values(last_heartbeat=to_utc(now))
            )
            found = self._apps(conn, a.app_id == app_id)
        return found[0] if found else None

    def list_apps(self) -> list[AppInfo]:
        """Every app the registry knows (alive and gone), by app_id."""
        with self.db.tx() as conn:
            return self._apps(conn, sa.true())

    def apps_serving(self, dag_id: str) -> list[AppInfo]:
        """The apps registered for `dag_id` (alive and gone), by app_id."""
        served = sa.select(t.app_dag.c.app_id).where(t.app_dag.c.dag_id == dag_id)
        with self.db.tx() as conn:
            return self._apps(conn, t.app.c.app_id.in_(served))

    def stale_apps(self, cutoff: datetime.datetime) -> list[AppInfo]:
        """Alive apps whose last heartbeat is before `cutoff`."""
        a = t.app.c
        with self.db.tx() as conn:
            return self._apps(
                conn, sa.and_(a.state == AppState.ALIVE.value, a.last_heartbeat < to_utc(cutoff))
            )

    def mark_gone(self, app_id: str, now: datetime.datetime) -> list[str] | None:
        """Alive -> gone, releasing the app's leases; the dag_ids it held (None if it was not alive)."""
        a, lease = t.app.c, t.dag_lease.c
        with self.db.tx(write=True) as conn:
            flipped = conn.execute(
                t.app.update()
                .where(a.app_id == app_id, a.state == AppState.ALIVE.value)
                .values(state=AppState.GONE.value, gone_at=to_utc(now))
            ).rowcount
            if not flipped:
                return None
            held = sorted(
                conn.execute(
                    sa.select(lease.dag_id).where(lease.app_id == app_id).with_for_update()
                ).scalars()
            )
            conn.execute(
                t.dag_lease.update().where(lease.app_id == app_id).values(app_id=None, expires_at=None)
            )
        return held

    def forget_app(self, app_id: str) -> bool:
        """Delete a (gone) app's entry and its links; its leases are released. False if unknown."""
        with self.db.tx(write=True) as conn:
            return conn.execute(t.app.delete().where(t.app.c.app_id == app_id)).rowcount > 0

    # -- leases -----------------------------------------------------------------------------
    def _lease_row(self, conn: sa.Connection, dag_id: str, *, lock: str | None) -> Any:
        query = sa.select(t.dag_lease).where(t.dag_lease.c.dag_id == dag_id)
        if lock is not None:
            query = query.with_for_update(read=lock == "share")
        return conn.execute(query).mappings().first()

    def acquire_lease(
        self, dag_id: str, app_id: str, now: datetime.datetime, ttl: datetime.timedelta
    ) -> LeaseGrant:
        """Take the lease if free or expired (a new, larger fencing token), renew it if the
        caller holds it (same token, later expiry); the lease as it then stands for the caller."""
        now = to_utc(now)
        c = t.dag_lease.c
        with self.db.tx(write=True) as conn:
            insert_ignore(
                conn, t.dag_lease, {"dag_id": dag_id, "app_id": None, "fencing_token": 0}, ("dag_id",)
            )
            row = self._lease_row(conn, dag_id, lock="update")
            live = row["app_id"] is not None and row["expires_at"] is not None and row["expires_at"] > now
            if row["app_id"] == app_id:
                # Renewed, or resumed by its holder after it expired unclaimed (the app could not
                # reach the broker for a while): the same token, so its writes in flight still pass.
                changes = {"expires_at": now + ttl}
            elif not live:
                changes = {"app_id": app_id, "fencing_token": row["fencing_token"] + 1, "acquired_at": now,
                           "expires_at": now + ttl}  # fmt: skip
            else:
                return _grant(dag_id, row, app_id, now)
            conn.execute(t.dag_lease.update().where(c.dag_id == dag_id).values(changes))
            return _grant(dag_id, self._lease_row(conn, dag_id, lock=None), app_id, now)

    def release_lease(self, dag_id: str, app_id: str) -> LeaseGrant:
        """Give up the lease if `app_id` holds it (its token stays spent); the caller no longer holds it."""
        c = t.dag_lease.c
        with self.db.tx(write=True) as conn:
            conn.execute(
                t.dag_lease.update()
                .where(c.dag_id == dag_id, c.app_id == app_id)
                .values(app_id=None, expires_at=None)
            )
        return LeaseGrant(dag_id=dag_id, held=False)

    def lease(self, dag_id: str, now: datetime.datetime) -> LeaseGrant:
        """The lease as its holder sees it (held=True, with token, while live), else held=False.
        Inside an enclosing transaction the row is locked FOR SHARE until that transaction ends."""
        in_tx = self.db.in_transaction()
        with self.db.tx() as conn:
            row = self._lease_row(conn, dag_id, lock="share" if in_tx else None)
        return _grant(dag_id, row, None if row is None else row["app_id"], to_utc(now))

    def check_fence(self, dag_id: str, fencing_token: int | None, now: datetime.datetime) -> None:
        """StaleFencingToken unless `fencing_token` is `dag_id`'s current token and the lease is
        live, or expired without anyone taking it since (its holder could not reach the broker
        for a while: no newer holder can have written, so its writes are still safe to take).
        Call it inside `transaction()` before the fenced write (it locks the lease row until the
        transaction ends: a token that passed stays good in it, so it is checked once there)."""
        in_tx = self.db.in_transaction()
        memo = self.db.memo()
        if memo is not None and fencing_token is not None and memo.get(("fence", dag_id)) == fencing_token:
            return
        with self.db.tx() as conn:
            row = self._lease_row(conn, dag_id, lock="share" if in_tx else None)
        if row is None or row["app_id"] is None:
            raise StaleFencingToken(f"no live lease on dag {dag_id!r}: acquire it first")
        if fencing_token is None or fencing_token != row["fencing_token"]:
            raise StaleFencingToken(
                f"fencing token {fencing_token} for dag {dag_id!r} is stale: the lease is held by "
                f"{row['app_id']} with token {row['fencing_token']}"
            )
        if memo is not None:
            memo["fence", dag_id] = fencing_token
