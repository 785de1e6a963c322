"""Backfills in the metastore: the `backfill` rows and the runs each one holds, in order.

A backfill (Airflow 3's REST API `/api/v2/backfills`) is one row of `backfill` plus one row of
`backfill_dag_run` per logical date of its range, in backfill order (`sort_ordinal`, 1-based),
naming the run that holds the date, or, when the backfill made none, why (`exception_reason`:
"already exists" / "in flight", Airflow's words). The runs themselves are ordinary `dag_run`
rows (run_type backfill) written through the Store in the same transaction.

Contract (`BackfillTable(db)`; every call joins the transaction open in this context):
- `create(...)` inserts a backfill and its entries; `AlreadyRunningBackfill` when the DAG has a
  backfill not completed yet (the DAG's row is locked first, so two creations cannot both pass).
- A backfill is *completed* once none of its runs is queued or running. `settle(dag_id)` writes
  that down (`completed_at` = the latest end of its runs, or now if it has none); every read of
  this class settles first, so callers never see a finished backfill as active. Nothing else
  has to watch for runs ending.
- `set_paused` flips `is_paused`; `cancel` pauses, fails the backfill's queued runs (their
  `end_date` now; running runs go on, as in Airflow) and completes it now.
- `active(dag_id)` gives the DAG's active backfills with their run ids in backfill order, which
  is what the DAG's app needs to start their runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc, utc_now
from riir_airflow.metastore.database import Database
from riir_airflow.sdk.state import DagRunState

__all__ = ["AlreadyRunningBackfill", "BackfillEntryRow", "BackfillRow", "BackfillTable"]

_UNFINISHED = (DagRunState.QUEUED.value, DagRunState.RUNNING.value)


class AlreadyRunningBackfill(Exception):
    """The DAG already has a backfill that is not completed (Airflow allows one at a time)."""


@dataclass(frozen=True, slots=True)
class BackfillRow:
    """One backfill as stored, with its DAG's display name."""

    id: int
    dag_id: str
    dag_display_name: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    dag_run_conf: dict[str, Any]
    is_paused: bool
    reprocess_behavior: str
    max_active_runs: int
    run_backwards: bool
    triggering_user_name: str | None
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    updated_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class BackfillEntryRow:
    """One logical date of a backfill: the run holding it, or why the backfill made none."""

    sort_ordinal: int
    logical_date: datetime.datetime | None
    run_id: str | None
    exception_reason: str | None = None


class BackfillTable:
    """The backfill queries over one metastore `Database` (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes ----------------------------------------------------------------------------------
    def check_none_active(self, dag_id: str, now: datetime.datetime) -> None:
        """AlreadyRunningBackfill if the DAG has a backfill not completed (the DAG's row is locked
        for the rest of the transaction, so a creation in it cannot race another)."""
        with self.db.tx(write=True) as conn:
            conn.execute(sa.select(t.dag.c.dag_id).where(t.dag.c.dag_id == dag_id).with_for_update())
            self._settle(conn, [dag_id], now)
            b = t.backfill.c
            active = conn.execute(
                sa.select(sa.func.count()).where(b.dag_id == dag_id, b.completed_at.is_(None))
            ).scalar_one()
            if active:
                raise AlreadyRunningBackfill(
                    f"Another backfill is running for Dag {dag_id}. There can be only one running backfill per Dag."
                )

    def create(
        self,
        *,
        dag_id: str,
        from_date: datetime.datetime,
        to_date: datetime.datetime,
        dag_run_conf: dict[str, Any],
        reprocess_behavior: str,
        max_active_runs: int,
        run_backwards: bool,
        triggering_user_name: str | None,
        entries: Sequence[BackfillEntryRow],
        now: datetime.datetime,
    ) -> BackfillRow:
        """Insert the backfill and its entries (see the module docstring); the row as stored."""
        now = to_utc(now) or utc_now()
        with self.db.tx(write=True) as conn:
            self.check_none_active(dag_id, now)
            values = {
                "dag_id": dag_id, "from_date": to_utc(from_date), "to_date": to_utc(to_date),
                "dag_run_conf": dict(dag_run_conf), "is_paused": False, "reprocess_behavior": reprocess_behavior,
                "max_active_runs": max_active_runs, "run_backwards": run_backwards,
                "triggering_user_name": triggering_user_name, "created_at": now, "completed_at": None,
                "updated_at": now,
            }  # fmt: skip
            backfill_id = conn.execute(t.backfill.insert().values(values)).inserted_primary_key[0]
            if entries:
                conn.execute(
                    t.backfill_dag_run.insert(),
                    [
                        {"backfill_id": backfill_id, "sort_ordinal": e.sort_ordinal, "run_id": e.run_id,
                         "exception_reason": e.exception_reason, "logical_date": to_utc(e.logical_date)}
                        for e in entries
                    ],
                )  # fmt: skip
            self._settle(conn, [dag_id], now)
            row = self._get(conn, backfill_id)
        assert row is not None
        return row

    def set_paused(self, backfill_id: int, paused: bool, now: datetime.datetime) -> BackfillRow | None:
        """Pause or unpause; the backfill as it is now (None if unknown; a completed one unchanged)."""
        with self.db.tx(write=True) as conn:
            row = self._get(conn, backfill_id, settle_at=now)
            if row is None or row.completed_at is not None or row.is_paused == paused:
                return row
            b = t.backfill.c
            conn.execute(
                t.backfill.update().where(b.id == backfill_id).values(is_paused=paused, updated_at=now)
            )
            return self._get(conn, backfill_id)

    def cancel(self, backfill_id: int, now: datetime.datetime) -> BackfillRow | None:
        """Pause, fail the queued runs, complete (see the module docstring); None if unknown."""
        with self.db.tx(write=True) as conn:
            row = self._get(conn, backfill_id, settle_at=now)
            if row is None or row.completed_at is not None:
                return row
            r, e = t.dag_run.c, t.backfill_dag_run.c
            runs = sa.select(e.run_id).where(e.backfill_id == backfill_id, e.run_id.is_not(None))
            conn.execute(
                t.dag_run.update()
                .where(r.dag_id == row.dag_id, r.run_id.in_(runs), r.state == DagRunState.QUEUED.value)
                .values(state=DagRunState.FAILED.value, end_date=now)
            )
            conn.execute(
                t.backfill.update()
                .where(t.backfill.c.id == backfill_id)
                .values(is_paused=True, completed_at=now, updated_at=now)
            )
            return self._get(conn, backfill_id)

    # -- reads -----------------------------------------------------------------------------------
    def get(self, backfill_id: int, now: datetime.datetime) -> BackfillRow | None:
        """The backfill, or None when there is none with that id (one past the database's
        64-bit integers included: it cannot exist, and binding it would overflow)."""
        if not 0 <= backfill_id < 2**63:
            return None
        with self.db.tx(write=True) as conn:
            return self._get(conn, backfill_id, settle_at=now)

    def page(
        self, dag_id: str, *, descending: bool, limit: int, offset: int, now: datetime.datetime
    ) -> tuple[list[BackfillRow], int]:
        """The DAG's backfills ordered by id, one page of them, and how many there are in all."""
        b = t.backfill.c
        with self.db.tx(write=True) as conn:
            self._settle(conn, [dag_id], now)
            total = conn.execute(sa.select(sa.func.count()).where(b.dag_id == dag_id)).scalar_one()
            query = _select().where(b.dag_id == dag_id).order_by(b.id.desc() if descending else b.id)
            rows = conn.execute(query.limit(limit).offset(offset)).mappings()
            return [_row(row) for row in rows], total

    def active(self, dag_id: str, now: datetime.datetime) -> list[tuple[BackfillRow, list[str]]]:
        """The DAG's backfills not completed, oldest first, each with its run ids in backfill order."""
        b, e = t.backfill.c, t.backfill_dag_run.c
        with self.db.tx(write=True) as conn:
            self._settle(conn, [dag_id], now)
            rows = [_row(r) for r in conn.execute(_select().where(b.dag_id == dag_id, b.completed_at.is_(None)))
                    .mappings()]  # fmt: skip
            out = []
            for row in rows:
                query = sa.select(e.run_id).where(e.backfill_id == row.id, e.run_id.is_not(None))
                out.append((row, list(conn.execute(query.order_by(e.sort_ordinal)).scalars())))
            return out

    def entries(self, backfill_id: int) -> list[BackfillEntryRow]:
        """The backfill's logical dates in backfill order."""
        e = t.backfill_dag_run.c
        query = sa.select(e.sort_ordinal, e.logical_date, e.run_id, e.exception_reason)
        with self.db.tx() as conn:
            rows = conn.execute(query.where(e.backfill_id == backfill_id).order_by(e.sort_ordinal))
            return [BackfillEntryRow(*row) for row in rows]

    # -- inside -----------------------------------------------------------------------------------
    def _get(
        self, conn: sa.Connection, backfill_id: int, settle_at: datetime.datetime | None = None
    ) -> BackfillRow | None:
        query = _select().where(t.backfill.c.id == backfill_id)
        if settle_at is not None:
            dag_id = conn.execute(
                sa.select(t.backfill.c.dag_id).where(t.backfill.c.id == backfill_id)
            ).scalar()
            if dag_id is not None:
                self._settle(conn, [dag_id], settle_at)
        row = conn.execute(query).mappings().first()
        return _row(row) if row is not None else None

    def _settle(self, conn: sa.Connection, dag_ids: Sequence[str], now: datetime.datetime) -> None:
        """Complete the DAGs' active backfills none of whose runs is queued or running."""
        b, e, r = t.backfill.c, t.backfill_dag_run.c, t.dag_run.c
        open_ids = list(
            conn.execute(
                sa.select(b.id).where(b.dag_id.in_(list(dag_ids)), b.completed_at.is_(None))
            ).scalars()
        )
        for backfill_id in open_ids:
            runs = (
                sa.select(r.state, r.end_date)
                .join(t.backfill_dag_run, sa.and_(e.run_id == r.run_id, e.backfill_id == backfill_id))
                .where(r.dag_id == sa.select(b.dag_id).where(b.id == backfill_id).scalar_subquery())
            )
            states = conn.execute(runs).all()
            if any(state in _UNFINISHED for state, _ in states):
                continue
            ends = [to_utc(end) for _, end in states if end is not None]
            done = max(ends) if ends else to_utc(now)
            conn.execute(
                t.backfill.update().where(b.id == backfill_id).values(completed_at=done, updated_at=now)
            )


def _select() -> sa.Select:
    d = t.dag.c
    name = sa.func.coalesce(d.dag_display_name, t.backfill.c.dag_id).label("dag_display_name")
    return sa.select(t.backfill, name).outerjoin(t.dag, d.dag_id == t.backfill.c.dag_id)


def _row(row: sa.RowMapping) -> BackfillRow:
    return BackfillRow(
        id=row["id"], dag_id=row["dag_id"], dag_display_name=row["dag_display_name"],
        from_date=to_utc(row["from_date"]), to_date=to_utc(row["to_date"]),  # type: ignore[arg-type]
        dag_run_conf=dict(row["dag_run_conf"] or {}), is_paused=bool(row["is_paused"]),
        reprocess_behavior=row["reprocess_behavior"], max_active_runs=row["max_active_runs"],
        run_backwards=bool(row["run_backwards"]), triggering_user_name=row["triggering_user_name"],
        created_at=to_utc(row["created_at"]), completed_at=to_utc(row["completed_at"]),  # type: ignore[arg-type]
        updated_at=to_utc(row["updated_at"]),  # type: ignore[arg-type]
    )  # fmt: skip
