"""The audit log: who did what to which DAG, run or task, and when (Airflow's event log).

Contract: `record_audit` appends one event (never updates or deletes one) and returns its id;
`audit_log` lists events filtered by DAG, event name, owner and an exclusive time window,
newest first by default, cut to `limit`. `extra` is free text (typically JSON of the request's
parameters, secrets already masked by the caller). Events outlive what they describe: retiring a
DAG keeps its audit trail.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc, utc_now
from riir_airflow.metastore.database import Database

__all__ = ["AuditMethods", "AuditRecord"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    dttm: datetime.datetime
    event: str
    owner: str | None = None
    dag_id: str | None = None
    run_id: str | None = None
    task_id: str | None = None
    map_index: int | None = None
    extra: str | None = None


class AuditMethods:
    """Appending to and reading the audit log; mixed into `MetastoreRegistry`."""

    db: Database

    def record_audit(
        self,
        event: str,
        *,
        owner: str | None = None,
        dag_id: str | None = None,
        run_id: str | None = None,
        task_id: str | None = None,
        map_index: int | None = None,
        extra: str | None = None,
        now: datetime.datetime | None = None,
    ) -> int:
        """Append one event; its id."""
        values = {
            "dttm": to_utc(now) or utc_now(), "event": event, "owner": owner, "dag_id": dag_id, "run_id": run_id,
            "task_id": task_id, "map_index": map_index, "extra": extra,
        }  # fmt: skip
        with self.db.tx(write=True) as conn:
            return int(conn.execute(t.audit_log.insert().values(values)).inserted_primary_key[0])

    def audit_log(
        self,
        *,
        dag_id: str | None = None,
        event: str | None = None,
        owner: str | None = None,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
        limit: int | None = 100,
        descending: bool = True,
    ) -> list[AuditRecord]:
        """Events matching every given filter, ordered by (dttm, id) (newest first unless
        `descending=False`), then cut to `limit` (None: all)."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        a = t.audit_log.c
        query = sa.select(t.audit_log)
        for column, value in ((a.dag_id, dag_id), (a.event, event), (a.owner, owner)):
            if value is not None:
                query = query.where(column == value)
        if after is not None:
            query = query.where(a.dttm > to_utc(after))
        if before is not None:
            query = query.where(a.dttm < to_utc(before))
        order = [a.dttm, a.id]
        query = query.order_by(*(col.desc() for col in order) if descending else order)
        if limit is not None:
            query = query.limit(limit)
        with self.db.tx() as conn:
            return [AuditRecord(**row) for row in conn.execute(query).mappings()]
