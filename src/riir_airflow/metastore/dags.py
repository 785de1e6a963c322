"""DAGs as the broker knows them: rows, code versions, pause state, import errors, retirement.

Contract:
- `sync_dags(dags, code_hash=..., app_id=..., now=...)` (called when an app registers) upserts a
  `dag` row per `wire.messages.SerializedDag` and records a code version: a new `dag_version`
  (version_number = previous + 1) when the DAG's code hash or its serialized structure differs
  from its newest version, else the newest version is kept; the assets its tasks produce (their
  outlets) replace its `task_outlet_asset_reference` rows. New runs are stamped with the newest
  version (`MetastoreStore.create_dag_run`), so every run records which code it ran.
- A new DAG starts paused as `is_paused_upon_creation` says, or else as `[core]
  dags_are_paused_at_creation` (Airflow's rule); re-registering never changes the pause state.
- Registering a file's DAGs clears that file's import error; `record_import_error` (re)places
  the error of a file (one per fileloc) and flags the DAGs from that file.
- `retire_dag(dag_id)` removes the DAG's metadata in one transaction: its runs (and so all their
  task instances, history, XComs, rendered fields, logs, held pool slots), its versions, app
  links, asset schedule and queue, and pending commands; its lease is released (the row, and so
  the fencing token's growth, stays). Asset events it emitted stay (lineage outlives
  producers), as does the audit log.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc, upsert, utc_now
from riir_airflow.metastore.database import Database
from riir_airflow.metastore.store_assets import sync_task_outlets
from riir_airflow.wire.codec import decode, encode
from riir_airflow.wire.messages import ImportErrorReport, SerializedDag

__all__ = ["DagMethods", "DagRecord", "DagVersionRecord"]


@dataclass(frozen=True, slots=True)
class DagRecord:
    """A DAG's row, with its newest code version number (None if it has none)."""

    dag_id: str
    is_paused: bool
    is_stale: bool
    fileloc: str | None
    description: str | None
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    timetable_summary: str | None
    max_active_runs: int | None
    max_active_tasks: int | None
    has_import_errors: bool
    last_parsed_time: datetime.datetime | None
    latest_version: int | None = None


@dataclass(frozen=True, slots=True)
class DagVersionRecord:
    id: int
    dag_id: str
    version_number: int
    source_hash: str
    app_id: str | None
    created_at: datetime.datetime


def _paused_at_creation() -> bool:
    from riir_airflow.compat.config import conf

    return conf.getboolean("core", "dags_are_paused_at_creation", fallback=True)


def _dag_query() -> sa.Select[Any]:
    v = t.dag_version.c
    latest = sa.select(sa.func.max(v.version_number)).where(v.dag_id == t.dag.c.dag_id).scalar_subquery()
    return sa.select(t.dag, latest.label("latest_version"))


def _dag(row: Any) -> DagRecord:
    return DagRecord(
        dag_id=row["dag_id"], is_paused=row["is_paused"], is_stale=row["is_stale"], fileloc=row["fileloc"],
        description=row["description"], owners=tuple(row["owners"]), tags=tuple(row["tags"]),
        timetable_summary=row["timetable_summary"], max_active_runs=row["max_active_runs"],
        max_active_tasks=row["max_active_tasks"], has_import_errors=row["has_import_errors"],
        last_parsed_time=row["last_parsed_time"], latest_version=row["latest_version"],
    )  # fmt: skip


def _version(row: Any) -> DagVersionRecord:
    return DagVersionRecord(
        id=row["id"], dag_id=row["dag_id"], version_number=row["version_number"],
        source_hash=row["source_hash"], app_id=row["app_id"], created_at=row["created_at"],
    )  # fmt: skip


class DagMethods:
    """DAG rows, versions, pausing, import errors and retiring; mixed into `MetastoreRegistry`."""

    db: Database

    def sync_dags(
        self,
        dags: Sequence[SerializedDag],
        *,
        code_hash: str,
        app_id: str | None = None,
        now: datetime.datetime | None = None,
    ) -> list[DagVersionRecord]:
        """Upsert the DAGs and their code versions (see the module docstring); the version of
        each DAG after the call, in the given order."""
        now = to_utc(now) or utc_now()
        d, v = t.dag.c, t.dag_version.c
        versions: list[DagVersionRecord] = []
        with self.db.tx(write=True) as conn:
            for dag in dags:
                values = {
                    "dag_id": dag.dag_id, "is_stale": False, "fileloc": dag.fileloc, "description": dag.description,
                    "owners": [dag.owner] if dag.owner else [], "tags": list(dag.tags),
                    "timetable_summary": dag.schedule, "max_active_runs": dag.max_active_runs,
                    "max_active_tasks": dag.max_active_tasks, "has_import_errors": False,
                    "last_parsed_time": now, "updated_at": now,
                }  # fmt: skip
                if conn.execute(t.dag.update().where(d.dag_id == dag.dag_id).values(values)).rowcount == 0:
                    paused = dag.is_paused_upon_creation
                    paused = _paused_at_creation() if paused is None else paused
                    conn.execute(
                        t.dag.insert().values(
                            **values, is_paused=paused, created_at=now, max_consecutive_failed_dag_runs=0
                        )
                    )
                serialized = encode(dag, SerializedDag)
                newest = conn.execute(
                    sa.select(t.dag_version).where(v.dag_id == dag.dag_id).order_by(v.version_number.desc()).limit(1)
                ).mappings().first()  # fmt: skip
                if (
                    newest is None
                    or newest["source_hash"] != code_hash
                    or newest["serialized_dag"] != serialized
                ):
                    number = 1 if newest is None else newest["version_number"] + 1
                    new = {"dag_id": dag.dag_id, "version_number": number, "source_hash": code_hash,
                           "serialized_dag": serialized, "app_id": app_id, "created_at": now}  # fmt: skip
                    new_id = conn.execute(t.dag_version.insert().values(new)).inserted_primary_key[0]
                    newest = {**new, "id": new_id}
                sync_task_outlets(conn, dag.dag_id, {task.task_id: task.outlets for task in dag.tasks}, now)
                versions.append(_version(newest))
            filelocs = sorted({dag.fileloc for dag in dags if dag.fileloc})
            if filelocs:
                conn.execute(t.import_error.delete().where(t.import_error.c.filename.in_(filelocs)))
        return versions

    def serialized_dag(self, dag_id: str) -> SerializedDag | None:
        """The DAG as most recently registered (its newest version), None if never registered."""
        v = t.dag_version.c
        query = (
            sa.select(v.serialized_dag).where(v.dag_id == dag_id).order_by(v.version_number.desc()).limit(1)
        )
        with self.db.tx() as conn:
            data = conn.execute(query).scalar()
        return None if data is None else decode(data, SerializedDag)

    def get_dag(self, dag_id: str) -> DagRecord | None:
        with self.db.tx() as conn:
            row = conn.execute(_dag_query().where(t.dag.c.dag_id == dag_id)).mappings().first()
        return _dag(row) if row else None

    def list_dags(
        self, *, dag_ids: Sequence[str] | None = None, include_stale: bool = True
    ) -> list[DagRecord]:
        """The DAGs (only `dag_ids` if given; stale ones unless excluded), by dag_id."""
        query = _dag_query().order_by(t.dag.c.dag_id)
        if dag_ids is not None:
            query = query.where(t.dag.c.dag_id.in_(list(dag_ids)))
        if not include_stale:
            query = query.where(t.dag.c.is_stale.is_(False))
        with self.db.tx() as conn:
            return [_dag(row) for row in conn.execute(query).mappings()]

    def set_dag_paused(self, dag_id: str, paused: bool, now: datetime.datetime | None = None) -> bool:
        """Pause or unpause; False if the DAG is unknown."""
        query = t.dag.update().where(t.dag.c.dag_id == dag_id)
        with self.db.tx(write=True) as conn:
            return (
                conn.execute(query.values(is_paused=paused, updated_at=to_utc(now) or utc_now())).rowcount > 0
            )

    def dag_versions(self, dag_id: str) -> list[DagVersionRecord]:
        """Every code version of the DAG, oldest first."""
        v = t.dag_version.c
        with self.db.tx() as conn:
            rows = conn.execute(sa.select(t.dag_version).where(v.dag_id == dag_id).order_by(v.version_number))
            return [_version(row) for row in rows.mappings()]

    def dag_run_version(self, dag_id: str, run_id: str) -> DagVersionRecord | None:
        """The code version a run was created under (None if the DAG had none registered then)."""
        r = t.dag_run.c
        query = (
            sa.select(t.dag_version)
            .join(t.dag_run, r.dag_version_id == t.dag_version.c.id)
            .where(r.dag_id == dag_id, r.run_id == run_id)
        )
        with self.db.tx() as conn:
            row = conn.execute(query).mappings().first()
        return _version(row) if row else None

    def retire_dag(self, dag_id: str) -> int:
        """Remove the DAG's metadata (see the module docstring); the number of runs deleted."""
        with self.db.tx(write=True) as conn:
            runs = conn.execute(t.dag_run.delete().where(t.dag_run.c.dag_id == dag_id)).rowcount
            for table in (t.task_outlet_asset_reference, t.dag, t.app_dag, t.asset_dag_schedule,
                          t.asset_dag_run_queue, t.app_command):
                conn.execute(table.delete().where(table.c.dag_id == dag_id))
            # The lease row stays (released): its fencing token must keep growing if the dag_id
            # comes back, so a write from an app of the retired DAG can never pass the fence.
            lease = t.dag_lease.update().where(t.dag_lease.c.dag_id == dag_id)
            conn.execute(lease.values(app_id=None, expires_at=None))
        return runs

    # -- import errors ------------------------------------------------------------------------
    def record_import_error(self, report: ImportErrorReport, app_id: str | None = None) -> None:
        """Record (replace) the import error of `report.fileloc` and flag the file's DAGs."""
        values = {
            "filename": report.fileloc, "app_id": app_id, "stacktrace": report.stacktrace,
            "timestamp": to_utc(report.timestamp) or utc_now(),
        }  # fmt: skip
        with self.db.tx(write=True) as conn:
            upsert(conn, t.import_error, values, ("filename",))
            conn.execute(
                t.dag.update().where(t.dag.c.fileloc == report.fileloc).values(has_import_errors=True)
            )

    def import_errors(self) -> list[ImportErrorReport]:
        """Every file's current import error, by fileloc."""
        e = t.import_error.c
        with self.db.tx() as conn:
            rows = conn.execute(sa.select(e.filename, e.stacktrace, e.timestamp).order_by(e.filename))
            return [ImportErrorReport(fileloc=f, stacktrace=s, timestamp=ts) for f, s, ts in rows]

    def clear_import_error(self, fileloc: str) -> bool:
        """Forget the file's import error; False if it had none."""
        with self.db.tx(write=True) as conn:
            conn.execute(t.dag.update().where(t.dag.c.fileloc == fileloc).values(has_import_errors=False))
            return (
                conn.execute(t.import_error.delete().where(t.import_error.c.filename == fileloc)).rowcount > 0
            )
