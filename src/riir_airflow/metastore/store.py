"""`MetastoreStore`: the runtime's `Store` over the metastore (SQLAlchemy Core, PostgreSQL or SQLite).

This is what the broker serves its internal API from. It passes the same contract suite as the
local store (tests/store/contract*.py) and keeps the local store's stricter promises too:
- each method is one transaction (all or nothing);
- writes that belong to a DAG run (task instances, XComs, rendered fields, logs) and
  `update_dag_run` raise KeyError, writing nothing, when the run does not exist; reads of missing
  things give None / [] / "", deletes of missing things do nothing;
- datetimes must be timezone-aware (ValueError otherwise) and come back as UTC `pendulum.DateTime`;
- the try history keeps the latest record of each try_number >= 1;
- connection passwords/extras and variable values are encrypted at rest with `[core] fernet_key`.

Composing with the registry: a store and a `MetastoreRegistry` built on the same `Database`
share its transactions (`database.py`), so a fenced write is atomic:

    with store.transaction():
        registry.check_fence(dag_id, token, now)     # StaleFencingToken: nothing is written
        store.put_task_instances(records)

The runs of a DAG also record the DAG's code version: `create_dag_run` stamps the newest
`dag_version` registered for the DAG (if any) into `dag_run.dag_version_id`.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Self

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.codec import (
    TI_KEY,
    run_from_row,
    run_values,
    ti_from_row,
    ti_values,
    ti_where,
    xcom_from_row,
)
from riir_airflow.metastore.coltypes import to_utc, upsert, utc_now
from riir_airflow.metastore.crypto import SecretCipher, cipher_from_config
from riir_airflow.metastore.database import Database
from riir_airflow.metastore.engine import create_engine
from riir_airflow.metastore.store_assets import AssetMethods
from riir_airflow.metastore.store_data import DataMethods
from riir_airflow.metastore.store_deferrals import DeferralMethods
from riir_airflow.metastore.store_fenced import fenced_put_task_instances
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import (
    DagRunAlreadyExists,
    DagRunRecord,
    TaskInstanceRecord,
    XComRecord,
)

__all__ = ["MetastoreStore"]

class MetastoreStore(DataMethods, AssetMethods, DeferralMethods):
    """The `Store` over a SQLAlchemy engine; see the module docstring for the contract."""

    def __init__(
        self, engine: sa.Engine | Database, *, cipher: SecretCipher | None = None, owns_engine: bool = False
    ) -> None:
        self.db = engine if isinstance(engine, Database) else Database(engine)
        self.engine = self.db.engine
        self.cipher = cipher if cipher is not None else cipher_from_config()
        self._owns_engine = owns_engine
        self._tx = self.db.tx

    @classmethod
    def from_config(cls, config: Any = None) -> MetastoreStore:
        """The store of the configured metastore (`[database] sql_alchemy_conn`, `[core]
        fernet_key`); it owns its engine and disposes of it on `close()`."""
        return cls(create_engine(config=config), cipher=cipher_from_config(config), owns_engine=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Dispose of the engine's pool if this store created the engine; idempotent."""
        if self._owns_engine:
            self.engine.dispose()

    def transaction(self) -> AbstractContextManager[sa.Connection]:
        """One write transaction that Store (and registry) calls in this context join; commits on
        normal exit, rolls back on an exception. Nested calls join the outer transaction."""
        return self.db.transaction()

    def _require_run(self, conn: sa.Connection, dag_id: str, run_id: str) -> None:
        """KeyError unless the run exists (checked once per transaction: `Database.memo`)."""
        memo = self.db.memo()
        if memo is not None and ("run", dag_id, run_id) in memo:
            return
        r = t.dag_run.c
        if conn.execute(sa.select(1).where(r.dag_id == dag_id, r.run_id == run_id)).first() is None:
            raise KeyError(f"no dag run {dag_id!r} / {run_id!r}")
        if memo is not None:
            memo["run", dag_id, run_id] = True

    # -- DAG runs -------------------------------------------------------------------------
    def create_dag_run(self, run: DagRunRecord) -> DagRunRecord:
        """Insert the run (stamped with the DAG's newest code version) and return it as stored;
        DagRunAlreadyExists if its run_id or non-null logical_date is taken in that DAG."""
        values = run_values(run)
        r = t.dag_run.c
        clash = r.run_id == run.run_id
        if values["logical_date"] is not None:
            clash = sa.or_(clash, r.logical_date == values["logical_date"])
        newest = sa.select(sa.func.max(t.dag_version.c.id)).where(t.dag_version.c.dag_id == run.dag_id)
        with self._tx(write=True) as conn:
            taken = conn.execute(sa.select(r.run_id).where(r.dag_id == run.dag_id, clash)).first()
            if taken is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            t.dag_run.insert().values(**values, dag_version_id=newest.scalar_subquery())
                        )
                except sa.exc.IntegrityError:
                    taken = (run.run_id,)  # a concurrent writer won the race
            if taken is not None:
                raise DagRunAlreadyExists(
                    f"dag {run.dag_id!r} already has run {taken[0]!r} (run_id {run.run_id!r}, "
                    f"logical date {values['logical_date']})"
                )
            row = conn.execute(sa.select(t.dag_run).where(r.dag_id == run.dag_id, r.run_id == run.run_id))
            return run_from_row(row.mappings().one())

    def get_dag_run(self, dag_id: str, run_id: str) -> DagRunRecord | None:
        r = t.dag_run.c
        with self._tx() as conn:
            row = conn.execute(sa.select(t.dag_run).where(r.dag_id == dag_id, r.run_id == run_id))
            found = row.mappings().first()
        return run_from_row(found) if found else None

    def update_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        state: DagRunState | None = None,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        note: str | None = None,
    ) -> None:
        """Set the given fields (None leaves a field unchanged); KeyError if the run is missing."""
        given = {
            "state": None if state is None else DagRunState(state).value,
            "start_date": to_utc(start_date),
            "end_date": to_utc(end_date),
            "note": note,
        }
        changes = {col: value for col, value in given.items() if value is not None}
        r = t.dag_run.c
        with self._tx(write=True) as conn:
            self._require_run(conn, dag_id, run_id)
            if changes:
                conn.execute(t.dag_run.update().where(r.dag_id == dag_id, r.run_id == run_id).values(changes))

    def list_dag_runs(
        self,
        dag_id: str,
        *,
        states: Sequence[DagRunState] | None = None,
        run_types: Sequence[str] | None = None,
        logical_date_before: datetime.datetime | None = None,
        logical_date_after: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[DagRunRecord]:
        """Runs of one DAG ordered by (logical_date or run_after, run_id), reversed if descending,
        then cut to `limit`; date bounds are exclusive (runs without logical date fall out)."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        r = t.dag_run.c
        query = sa.select(t.dag_run).where(r.dag_id == dag_id)
        if states is not None:
            query = query.where(r.state.in_([DagRunState(s).value for s in states]))
        if run_types is not None:
            query = query.where(r.run_type.in_(list(run_types)))
        if logical_date_before is not None:
            query = query.where(r.logical_date < to_utc(logical_date_before))
        if logical_date_after is not None:
            query = query.where(r.logical_date > to_utc(logical_date_after))
        order = [sa.func.coalesce(r.logical_date, r.run_after), r.run_id]
        query = query.order_by(*(col.desc() for col in order) if descending else order)
        if limit is not None:
            query = query.limit(limit)
        with self._tx() as conn:
            return [run_from_row(row) for row in conn.execute(query).mappings()]

    def delete_dag_run(self, dag_id: str, run_id: str) -> None:
        """Delete the run; the schema cascades to everything of it. A missing run is no error."""
        r = t.dag_run.c
        with self._tx(write=True) as conn:
            conn.execute(t.dag_run.delete().where(r.dag_id == dag_id, r.run_id == run_id))

    def requeue_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        run_type: str | None = None,
        triggered_by: str | None = None,
        conf: dict[str, Any] | None = None,
    ) -> DagRunRecord:
        """Queue the run again (start/end dates unset, clear_number + 1; run_type, triggered_by,
        conf replaced when given), task instances untouched; the run as stored, or KeyError."""
        r = t.dag_run.c
        changes: dict[str, Any] = {
            "state": DagRunState.QUEUED.value,
            "start_date": None,
            "end_date": None,
            "clear_number": r.clear_number + 1,
        }
        given = {"run_type": run_type, "triggered_by": triggered_by, "conf": copy.deepcopy(conf)}
        changes.update({col: value for col, value in given.items() if value is not None})
        where = (r.dag_id == dag_id, r.run_id == run_id)
        with self._tx(write=True) as conn:
            if conn.execute(t.dag_run.update().where(*where).values(changes)).rowcount == 0:
                raise KeyError(f"no dag run {dag_id!r} / {run_id!r}")
            return run_from_row(conn.execute(sa.select(t.dag_run).where(*where)).mappings().one())

    # -- task instances -------------------------------------------------------------------
    def put_task_instances(self, records: Sequence[TaskInstanceRecord]) -> None:
        """Upsert each record (later records of the same key win) and its try's history entry,
        in one transaction; KeyError, and nothing written, if any record's run is missing."""
        current: dict[tuple[Any, ...], dict[str, Any]] = {}
        history: dict[tuple[Any, ...], dict[str, Any]] = {}
        for ti in records:
            values = ti_values(ti)
            key = tuple(values[k] for k in TI_KEY)
            current[key] = values
            if ti.try_number >= 1:
                history[(*key, ti.try_number)] = values
        if not current:
            return
        with self._tx(write=True) as conn:
            for dag_id, run_id in {key[:2] for key in current}:
                self._require_run(conn, dag_id, run_id)
            upsert(conn, t.task_instance, list(current.values()), TI_KEY)
            upsert(conn, t.task_instance_history, list(history.values()), (*TI_KEY, "try_number"))

    def fenced_write(
        self, op: str, kwargs: dict[str, Any], fencing: dict[str, int | None], now: datetime.datetime
    ) -> bool | None:
        """Apply an app's fenced write in one statement where this store knows how (today:
        `put_task_instances` of one run, on PostgreSQL): True if applied, False if the fence or the
        run check refused it (nothing written), None if not attempted. The broker then takes the
        general path (`scopes.fenced` + the method), which raises the precise error; see
        `store_fenced.py`. The lease is the registry's row in this same database: only for a
        broker whose registry shares this store's `Database`."""
        if op != "put_task_instances" or len(fencing) != 1 or self.db.in_transaction():
            return None
        ((_dag_id, token),) = fencing.items()
        return fenced_put_task_instances(
            self.db.single_statement, self.engine.dialect, kwargs["records"], token, to_utc(now)
        )

    def get_task_instances(self, dag_id: str, run_id: str) -> list[TaskInstanceRecord]:
        """Every task instance of the run, ordered by (task_id, map_index)."""
        c = t.task_instance.c
        query = (
            sa.select(t.task_instance)
            .where(c.dag_id == dag_id, c.run_id == run_id)
            .order_by(c.task_id, c.map_index)
        )
        with self._tx() as conn:
            return [ti_from_row(row) for row in conn.execute(query).mappings()]

    def get_task_instance(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> TaskInstanceRecord | None:
        query = sa.select(t.task_instance).where(
            ti_where(t.task_instance, dag_id, run_id, task_id, map_index)
        )
        with self._tx() as conn:
            row = conn.execute(query).mappings().first()
        return ti_from_row(row) if row else None

    def get_task_instance_tries(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> list[TaskInstanceRecord]:
        """One record per try (try_number >= 1), in try order: the latest state each try reached."""
        h = t.task_instance_history
        query = sa.select(h).where(ti_where(h, dag_id, run_id, task_id, map_index)).order_by(h.c.try_number)
        with self._tx() as conn:
            return [ti_from_row(row) for row in conn.execute(query).mappings()]

    def delete_task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """Remove one task instance with its history, XComs, rendered fields, logs, pool slots and
        deferral."""
        tables = (
            t.task_instance,
            t.task_instance_history,
            t.xcom,
            t.rendered_fields,
            t.task_log,
            t.pool_slot,
            t.task_deferral,
        )
        with self._tx(write=True) as conn:
            for table in tables:
                conn.execute(table.delete().where(ti_where(table, dag_id, run_id, task_id, map_index)))

    def clear_task_instances(
        self,
        dag_id: str,
        run_id: str,
        task_ids: Sequence[str],
        map_indexes: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """Every map index of those tasks (only the listed ones of a task `map_indexes` names):
        state none, next_attempt_at and note dropped (try number, max tries, dates and history
        kept), XComs and deferrals deleted. Unknown ids are ignored."""
        named = map_indexes or {}
        ids = list(dict.fromkeys(task_ids))

        def which(table: sa.Table) -> sa.ColumnElement[bool]:
            c = table.c
            whole = [task_id for task_id in ids if task_id not in named]
            parts = [c.task_id.in_(whole)] if whole else []
            parts += [
                sa.and_(c.task_id == task_id, c.map_index.in_(list(named[task_id])))
                for task_id in ids
                if task_id in named
            ]
            return sa.and_(c.dag_id == dag_id, c.run_id == run_id, sa.or_(sa.false(), *parts))

        with self._tx(write=True) as conn:
            conn.execute(
                t.task_instance.update()
                .where(which(t.task_instance))
                .values(state=TaskInstanceState.NONE.value, next_attempt_at=None, note=None)
            )
            for table in (t.xcom, t.task_deferral):
                conn.execute(table.delete().where(which(table)))

    # -- XCom -----------------------------------------------------------------------------
    def set_xcom(self, xcom: XComRecord) -> None:
        """Insert or replace (dag_id, run_id, task_id, map_index, key); a missing timestamp is
        now. The record's logical_date is ignored (it is the run's, filled on read)."""
        values = {
            "dag_id": xcom.dag_id,
            "run_id": xcom.run_id,
            "task_id": xcom.task_id,
            "map_index": xcom.map_index,
            "key": xcom.key,
            "value": xcom.value,
            "timestamp": to_utc(xcom.timestamp) or utc_now(),
        }
        with self._tx(write=True) as conn:
            self._require_run(conn, xcom.dag_id, xcom.run_id)
            upsert(conn, t.xcom, values, (*TI_KEY, "key"))

    def get_xcoms(
        self,
        dag_id: str,
        *,
        run_id: str,
        task_ids: Sequence[str] | None = None,
        keys: Sequence[str] | None = None,
        map_indexes: Sequence[int] | None = None,
        include_prior_dates: bool = False,
    ) -> list[XComRecord]:
        """XComs of the run, or with include_prior_dates of every run of the DAG whose logical
        date is <= this run's (a run without one: only itself); newest run first, then task_id,
        map_index, key. An unknown run gives []."""
        x, r = t.xcom.c, t.dag_run.c
        query = (
            sa.select(t.xcom, r.logical_date.label("run_logical_date"))
            .join(t.dag_run, sa.and_(r.dag_id == x.dag_id, r.run_id == x.run_id))
            .where(x.dag_id == dag_id)
            .order_by(
                sa.func.coalesce(r.logical_date, r.run_after).desc(),
                x.run_id.desc(),
                x.task_id,
                x.map_index,
                x.key,
            )
        )
        for column, values in ((x.task_id, task_ids), (x.key, keys), (x.map_index, map_indexes)):
            if values is not None:
                query = query.where(column.in_(list(values)))
        with self._tx() as conn:
            run = conn.execute(
                sa.select(r.logical_date).where(r.dag_id == dag_id, r.run_id == run_id)
            ).first()
            if run is None:
                return []
            if include_prior_dates and run.logical_date is not None:
                query = query.where(r.logical_date <= run.logical_date)
            else:
                query = query.where(x.run_id == run_id)
            return [xcom_from_row(row) for row in conn.execute(query).mappings()]

    def delete_xcoms(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """Delete every key of one task instance's XComs (before a retry pushes anew)."""
        with self._tx(write=True) as conn:
            conn.execute(t.xcom.delete().where(ti_where(t.xcom, dag_id, run_id, task_id, map_index)))
