"""`LocalStore`: the `Store` over one SQLite file, for `dags test`, standalone and local history.

Contract (beyond `store.protocol.Store`, which it implements in full):
- One file, WAL mode, foreign keys on; the schema is created or migrated forward on open
  (`sqlite_schema.connect`). A file from a newer riir-airflow is refused (`SchemaTooNew`).
- Thread-safe: one connection guarded by a re-entrant lock, so calls from several threads of a
  process serialize; a forked child (task worker) transparently opens its own connection.
- Several processes (or several `LocalStore`s) may open the same file: every write runs in a
  `BEGIN IMMEDIATE` transaction and waits up to `busy_timeout` seconds for the file lock, so
  concurrent writers queue instead of failing or deadlocking on lock upgrade.
- Each method is one transaction: a call either happens entirely or not at all.
- Datetimes must be timezone-aware (naive ones raise ValueError); they are stored as UTC and
  returned as `pendulum.DateTime` in UTC. `conf`, rendered fields are stored as JSON.
- Writes that belong to a DAG run (task instances, XComs, rendered fields, logs, deferrals)
  raise KeyError when the run does not exist; `update_dag_run` does too. Reads of missing things
  return None / [] / "" and deletes of missing things do nothing, so retries are harmless.
- Sequence filters: None means "no filter", an empty sequence matches nothing.
- Try history: every `put_task_instances` record with try_number >= 1 also becomes the history
  entry of that try (the last one written wins), so the history holds the latest state each try
  reached. try_number 0 means "never tried" and has no history entry.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import pendulum

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store import cross_dag
from riir_airflow.store.records import (
    AssetEventRecord,
    ConnectionRecord,
    DagRunAlreadyExists,
    DagRunRecord,
    DeferralRecord,
    TaskInstanceRecord,
    VariableRecord,
    XComRecord,
)
from riir_airflow.store.sqlite_schema import (
    ASSET_EVENT_COLUMNS,
    RUN_COLUMNS,
    TI_COLUMNS,
    connect,
    decode_asset_event,
    decode_dt,
    decode_run,
    decode_ti,
    decode_xcom,
    encode_asset_event,
    encode_dt,
    encode_run,
    encode_ti,
    in_clause,
    upsert_sql,
    where_in,
)

__all__ = ["LOCAL_DB_NAME", "LocalStore"]

LOCAL_DB_NAME = "riir-local.db"

_TI_KEY = ("dag_id", "run_id", "task_id", "map_index")
_TI_WHERE = "dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?"
_CONN_COLUMNS = tuple(f.name for f in dataclasses.fields(ConnectionRecord))
_XCOM_COLUMNS = (*_TI_KEY, "key", "value", "timestamp")
_DEFERRAL_COLUMNS = tuple(f.name for f in dataclasses.fields(DeferralRecord))


@functools.lru_cache(maxsize=256)
def _condition(text: str) -> tuple[Any, frozenset[str]]:
    """A registered condition JSON as (condition, the queue keys it mentions); cached, pure."""
    from riir_airflow.sdk.assets import condition_from_json, status_key

    try:
        condition = condition_from_json(text)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an asset condition: {text!r} ({exc})") from None
    keys = {status_key(a) for a in condition.iter_assets()}
    keys |= {status_key(a) for a in condition.iter_asset_aliases()}
    return condition, frozenset(keys)


def _event_keys(event: AssetEventRecord) -> set[str]:
    """The queue keys news of `event` goes under: its uri and `alias:<name>` per source alias."""
    from riir_airflow.sdk.assets import ALIAS_KEY_PREFIX

    return {event.uri, *(ALIAS_KEY_PREFIX + alias for alias in event.source_aliases or [])}


def _decode_deferral(row: sqlite3.Row) -> DeferralRecord:
    fields = {col: row[col] for col in _DEFERRAL_COLUMNS}
    return DeferralRecord(**{**fields, "timeout_at": decode_dt(fields["timeout_at"])})


class LocalStore:
    """The `Store` over one SQLite file; see the module docstring for the full contract."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._open()

    def _open(self) -> None:
        self._lock = threading.RLock()
        self._conn = connect(self.path, self._busy_timeout)
        self._pid = os.getpid()

    @classmethod
    def for_home(cls, airflow_home: Path | str) -> LocalStore:
        """The local store of an $AIRFLOW_HOME: `$AIRFLOW_HOME/riir-local.db` (directory created)."""
        home = Path(airflow_home)
        home.mkdir(parents=True, exist_ok=True)
        return cls(home / LOCAL_DB_NAME)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; further calls raise sqlite3.ProgrammingError. Idempotent."""
        with self._lock:
            self._conn.close()

    # -- other DAGs (store.cross_dag): nothing runs the runs this store triggers ---------------
    runs_triggered_dags = False

    def count_dag_runs(self, dag_id: str, **filters: Any) -> int:
        return cross_dag.count_dag_runs(self, dag_id, **filters)

    def count_task_instances(self, dag_id: str, **filters: Any) -> int:
        return cross_dag.count_task_instances(self, dag_id, **filters)

    def dag_run_state(self, dag_id: str, run_id: str) -> DagRunState | None:
        return cross_dag.dag_run_state(self, dag_id, run_id)

    def trigger_dag_run(self, run: DagRunRecord, *, replace: bool = False) -> DagRunRecord:
        return cross_dag.trigger_dag_run(self, run, replace=replace)

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock. Writes take the file's write lock up front
        (IMMEDIATE) so two writers queue on the busy timeout instead of deadlocking."""
        if self._pid != os.getpid():  # forked: SQLite forbids using the parent's connection, and
            self._open()  # the inherited lock may be held by a thread that does not exist here
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        """Run one read query in its own transaction."""
        with self._tx() as conn:
            return conn.execute(sql, params).fetchall()

    def _write(self, sql: str, params: Sequence[Any], run: tuple[str, str] | None = None) -> int:
        """One write statement in its own transaction, after checking `run` exists; rowcount."""
        with self._tx(write=True) as conn:
            if run is not None:
                self._require_run(conn, *run)
            return conn.execute(sql, params).rowcount

    @staticmethod
    def _require_run(conn: sqlite3.Connection, dag_id: str, run_id: str) -> None:
        if not conn.execute(
            "SELECT 1 FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
        ).fetchone():
            raise KeyError(f"no dag run {dag_id!r} / {run_id!r}")

    # -- DAG runs -------------------------------------------------------------------------
    def create_dag_run(self, run: DagRunRecord) -> DagRunRecord:
        """Insert a run and return it as stored; DagRunAlreadyExists if its run_id or its
        non-null logical_date is already taken in that DAG (None logical dates never clash)."""
        values = encode_run(run)
        logical_date = values[RUN_COLUMNS.index("logical_date")]
        with self._tx(write=True) as conn:
            taken = conn.execute(
                "SELECT run_id FROM dag_run WHERE dag_id = ? AND (run_id = ? OR logical_date = ?)",
                (run.dag_id, run.run_id, logical_date),  # NULL = NULL is not true: None never clashes
            ).fetchone()
            if taken:
                raise DagRunAlreadyExists(
                    f"dag {run.dag_id!r} already has run {taken[0]!r} (run_id {run.run_id!r}, "
                    f"logical date {logical_date})"
                )
            conn.execute(
                f"INSERT INTO dag_run ({', '.join(RUN_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
                values,
            )
            row = conn.execute(
                "SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?", (run.dag_id, run.run_id)
            ).fetchone()
        return decode_run(row)

    def get_dag_run(self, dag_id: str, run_id: str) -> DagRunRecord | None:
        rows = self._rows("SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))
        return decode_run(rows[0]) if rows else None

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
            "start_date": encode_dt(start_date),
            "end_date": encode_dt(end_date),
            "note": note,
        }
        changes = {col: value for col, value in given.items() if value is not None}
        with self._tx(write=True) as conn:
            self._require_run(conn, dag_id, run_id)
            if changes:
                assignments = ", ".join(f"{col} = ?" for col in changes)
                conn.execute(
                    f"UPDATE dag_run SET {assignments} WHERE dag_id = ? AND run_id = ?",
                    [*changes.values(), dag_id, run_id],
                )

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
        then cut to `limit`. Date bounds are exclusive and compare logical_date, so a run without
        a logical date is excluded whenever a bound is given."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        state_values = None if states is None else [DagRunState(s).value for s in states]
        where, params = where_in([("dag_id", [dag_id]), ("state", state_values), ("run_type", run_types)])
        if logical_date_before is not None:
            where.append("logical_date < ?")
            params.append(encode_dt(logical_date_before))
        if logical_date_after is not None:
            where.append("logical_date > ?")
            params.append(encode_dt(logical_date_after))
        order = "DESC" if descending else "ASC"
        sql = (
            f"SELECT * FROM dag_run WHERE {' AND '.join(where)} "
            f"ORDER BY COALESCE(logical_date, run_after) {order}, run_id {order}"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [decode_run(row) for row in self._rows(sql, params)]

    def delete_dag_run(self, dag_id: str, run_id: str) -> None:
        """Delete the run; foreign keys cascade to its task instances, their history, XComs,
        rendered fields, logs and deferrals. A missing run is not an error."""
        self._write("DELETE FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))

    def requeue_dag_run(
        self,
        dag_id: str,
        run_id: str,
        *,
        run_type: str | None = None,
        triggered_by: str | None = None,
        conf: dict[str, Any] | None = None,
    ) -> DagRunRecord:
        """State queued, start/end dates NULL, clear_number + 1, and run_type / triggered_by /
        conf when given, in one transaction; the run as stored; KeyError if it is missing."""
        assignments = ["state = ?", "start_date = NULL", "end_date = NULL", "clear_number = clear_number + 1"]
        params: list[Any] = [DagRunState.QUEUED.value]
        for column, value in (("run_type", run_type), ("triggered_by", triggered_by)):
            if value is not None:
                assignments.append(f"{column} = ?")
                params.append(str(getattr(value, "value", value)))
        if conf is not None:
            assignments.append("conf = ?")
            params.append(json.dumps(conf))
        with self._tx(write=True) as conn:
            self._require_run(conn, dag_id, run_id)
            conn.execute(
                f"UPDATE dag_run SET {', '.join(assignments)} WHERE dag_id = ? AND run_id = ?",
                [*params, dag_id, run_id],
            )
            row = conn.execute(
                "SELECT * FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
            ).fetchone()
        return decode_run(row)

    # -- task instances -------------------------------------------------------------------
    def put_task_instances(self, records: Sequence[TaskInstanceRecord]) -> None:
        """Upsert each record (later records win) and its try's history entry, in one
        transaction; KeyError, and nothing written, if any record's run does not exist."""
        encoded = [encode_ti(ti) for ti in records]  # validate before touching the file
        upsert_ti = upsert_sql("task_instance", TI_COLUMNS, _TI_KEY)
        upsert_try = upsert_sql("task_instance_history", TI_COLUMNS, (*_TI_KEY, "try_number"))
        with self._tx(write=True) as conn:
            for run_key in {(ti.dag_id, ti.run_id) for ti in records}:
                self._require_run(conn, *run_key)
            for ti, values in zip(records, encoded, strict=True):
                conn.execute(upsert_ti, values)
                if ti.try_number >= 1:
                    conn.execute(upsert_try, values)

    def delete_task_instance(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        tables = (
            "task_instance", "task_instance_history", "xcom", "rendered_fields", "task_log", "task_deferral",
        )  # fmt: skip
        with self._tx(write=True) as conn:
            for table in tables:
                conn.execute(f"DELETE FROM {table} WHERE {_TI_WHERE}", (dag_id, run_id, task_id, map_index))

    def get_task_instances(self, dag_id: str, run_id: str) -> list[TaskInstanceRecord]:
        """Every task instance of the run, ordered by (task_id, map_index)."""
        sql = "SELECT * FROM task_instance WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index"
        return [decode_ti(row) for row in self._rows(sql, (dag_id, run_id))]

    def get_task_instance(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> TaskInstanceRecord | None:
        rows = self._rows(
            f"SELECT * FROM task_instance WHERE {_TI_WHERE}", (dag_id, run_id, task_id, map_index)
        )
        return decode_ti(rows[0]) if rows else None

    def get_task_instance_tries(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> list[TaskInstanceRecord]:
        """One record per try (try_number >= 1), in try order: the latest state each try reached."""
        sql = f"SELECT * FROM task_instance_history WHERE {_TI_WHERE} ORDER BY try_number"
        return [decode_ti(row) for row in self._rows(sql, (dag_id, run_id, task_id, map_index))]

    def clear_task_instances(
        self,
        dag_id: str,
        run_id: str,
        task_ids: Sequence[str],
        map_indexes: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """For every map index of those tasks (only the listed ones of a task `map_indexes`
        names): state -> none, next_attempt_at and note -> None (they described the old state),
        try_number, max_tries, dates and try history kept; their XComs and deferrals deleted.
        Unknown task ids are ignored."""
        clause, values = _clear_clause(task_ids, map_indexes)
        with self._tx(write=True) as conn:
            conn.execute(
                "UPDATE task_instance SET state = ?, next_attempt_at = NULL, note = NULL "
                f"WHERE dag_id = ? AND run_id = ? AND ({clause})",
                [TaskInstanceState.NONE.value, dag_id, run_id, *values],
            )
            for table in ("xcom", "task_deferral"):
                conn.execute(
                    f"DELETE FROM {table} WHERE dag_id = ? AND run_id = ? AND ({clause})",
                    [dag_id, run_id, *values],
                )

    # -- XCom -----------------------------------------------------------------------------
    def set_xcom(self, xcom: XComRecord) -> None:
        """Insert or replace (dag_id, run_id, task_id, map_index, key); a missing timestamp is
        set to now. The record's logical_date is ignored (it is the run's, filled on read)."""
        timestamp = encode_dt(xcom.timestamp or pendulum.now("UTC"))
        self._write(
            upsert_sql("xcom", _XCOM_COLUMNS, (*_TI_KEY, "key")),
            (xcom.dag_id, xcom.run_id, xcom.task_id, xcom.map_index, xcom.key, xcom.value, timestamp),
            run=(xcom.dag_id, xcom.run_id),
        )

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
        date is <= this run's (a run without a logical date: only itself). Newest run first,
        then task_id, map_index, key. An unknown run gives []."""
        where, params = where_in(
            [("x.dag_id", [dag_id]), ("x.task_id", task_ids), ("x.key", keys), ("x.map_index", map_indexes)]
        )
        with self._tx() as conn:
            run = conn.execute(
                "SELECT logical_date FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
            ).fetchone()
            if run is None:
                return []
            if include_prior_dates and run["logical_date"] is not None:
                where.append("r.logical_date <= ?")
                params.append(run["logical_date"])
            else:
                where.append("x.run_id = ?")
                params.append(run_id)
            rows = conn.execute(
                "SELECT x.*, r.logical_date AS run_logical_date FROM xcom AS x "
                "JOIN dag_run AS r ON r.dag_id = x.dag_id AND r.run_id = x.run_id "
                f"WHERE {' AND '.join(where)} "
                "ORDER BY COALESCE(r.logical_date, r.run_after) DESC, x.run_id DESC, "
                "x.task_id, x.map_index, x.key",
                params,
            ).fetchall()
        return [decode_xcom(row) for row in rows]

    def delete_xcoms(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """Delete every key of one task instance's XComs (before a retry pushes anew)."""
        self._write(f"DELETE FROM xcom WHERE {_TI_WHERE}", (dag_id, run_id, task_id, map_index))

    # -- rendered template fields ---------------------------------------------------------
    def set_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, fields: dict[str, str]
    ) -> None:
        """Replace the task instance's rendered fields as a whole (stored as JSON)."""
        self._write(
            upsert_sql("rendered_fields", (*_TI_KEY, "fields"), _TI_KEY),
            (dag_id, run_id, task_id, map_index, json.dumps(fields)),
            run=(dag_id, run_id),
        )

    def get_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, str] | None:
        sql = f"SELECT fields FROM rendered_fields WHERE {_TI_WHERE}"
        rows = self._rows(sql, (dag_id, run_id, task_id, map_index))
        return json.loads(rows[0]["fields"]) if rows else None

    # -- task logs ------------------------------------------------------------------------
    def append_log(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int, text: str
    ) -> None:
        """Append a chunk to one try's log; chunks are read back in append order."""
        self._write(
            "INSERT INTO task_log (dag_id, run_id, task_id, map_index, try_number, text) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (dag_id, run_id, task_id, map_index, try_number, text),
            run=(dag_id, run_id),
        )

    def read_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
        """The try's whole log (chunks concatenated in append order); "" if there is none."""
        sql = f"SELECT text FROM task_log WHERE {_TI_WHERE} AND try_number = ? ORDER BY id"
        return "".join(
            row["text"] for row in self._rows(sql, (dag_id, run_id, task_id, map_index, try_number))
        )

    # -- deferred tasks' triggers --------------------------------------------------------
    def set_deferral(self, record: DeferralRecord) -> None:
        """Insert or replace the task instance's deferral; KeyError if its run is missing."""
        values = [
            encode_dt(record.timeout_at) if col == "timeout_at" else getattr(record, col)
            for col in _DEFERRAL_COLUMNS
        ]
        self._write(
            upsert_sql("task_deferral", _DEFERRAL_COLUMNS, _TI_KEY),
            values,
            run=(record.dag_id, record.run_id),
        )

    def get_deferrals(self, dag_id: str, run_id: str) -> list[DeferralRecord]:
        """Every deferral of the run, ordered by (task_id, map_index)."""
        sql = "SELECT * FROM task_deferral WHERE dag_id = ? AND run_id = ? ORDER BY task_id, map_index"
        return [_decode_deferral(row) for row in self._rows(sql, (dag_id, run_id))]

    def delete_deferral(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        self._write(f"DELETE FROM task_deferral WHERE {_TI_WHERE}", (dag_id, run_id, task_id, map_index))

    # -- assets ---------------------------------------------------------------------------
    # Triggering works as Airflow's scheduler does: recording an event puts a row
    # (dag_id, asset key) into `asset_dag_run_queue` for every registered DAG whose condition
    # mentions the asset (key: its uri) or one of the aliases it came through (key:
    # `alias:<name>`); a DAG is triggered when its condition evaluates true over its queued keys;
    # creating its asset-triggered run consumes (deletes) its rows. A row remembers the first
    # event that queued it, so consuming returns every event since then.
    def record_asset_event(self, event: AssetEventRecord) -> AssetEventRecord:
        """Insert the event (timestamp defaults to now), queue it for the registered DAGs that
        wait on it, and return it as stored (with its id)."""
        if event.timestamp is None:
            event = dataclasses.replace(event, timestamp=pendulum.now("UTC"))
        values = encode_asset_event(event)  # validates before touching the file
        keys = _event_keys(event)
        with self._tx(write=True) as conn:
            event_id = conn.execute(
                f"INSERT INTO asset_event ({', '.join(ASSET_EVENT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(ASSET_EVENT_COLUMNS))})",
                values,
            ).lastrowid
            for row in conn.execute("SELECT dag_id, condition FROM asset_dag_schedule").fetchall():
                for key in sorted(keys & _condition(row["condition"])[1]):
                    conn.execute(
                        "INSERT OR IGNORE INTO asset_dag_run_queue (dag_id, asset, created, first_event_id) "
                        "VALUES (?, ?, ?, ?)",
                        (row["dag_id"], key, values[-1], event_id),
                    )
            stored = conn.execute("SELECT * FROM asset_event WHERE id = ?", (event_id,)).fetchone()
        return decode_asset_event(stored)

    def get_asset_events(
        self,
        *,
        name: str | None = None,
        uri: str | None = None,
        source_dag_id: str | None = None,
        source_run_id: str | None = None,
        source_alias: str | None = None,
        after: datetime.datetime | None = None,
        before: datetime.datetime | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[AssetEventRecord]:
        """Events matching every given filter, ordered by (timestamp, id) (reversed if
        descending), then cut to `limit`; `after`/`before` are exclusive timestamp bounds."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be >= 0, not {limit}")
        where: list[str] = ["1"]
        params: list[Any] = []
        for column, value in (
            ("name", name),
            ("uri", uri),
            ("source_dag_id", source_dag_id),
            ("source_run_id", source_run_id),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if source_alias is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(source_aliases) WHERE value = ?)")
            params.append(source_alias)
        if after is not None:
            where.append("timestamp > ?")
            params.append(encode_dt(after))
        if before is not None:
            where.append("timestamp < ?")
            params.append(encode_dt(before))
        order = "DESC" if descending else "ASC"
        sql = f"SELECT * FROM asset_event WHERE {' AND '.join(where)} ORDER BY timestamp {order}, id {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [decode_asset_event(row) for row in self._rows(sql, params)]

    def register_dag_schedule(self, dag_id: str, condition_json: str | None) -> None:
        """Replace the DAG's registered condition (None: forget it and its queue); queued keys
        the new condition does not mention are dropped. ValueError if the text is no condition."""
        keys = None if condition_json is None else _condition(condition_json)[1]
        with self._tx(write=True) as conn:
            if keys is None:
                conn.execute("DELETE FROM asset_dag_schedule WHERE dag_id = ?", (dag_id,))
                conn.execute("DELETE FROM asset_dag_run_queue WHERE dag_id = ?", (dag_id,))
                return
            conn.execute(
                upsert_sql("asset_dag_schedule", ("dag_id", "condition"), ("dag_id",)),
                (dag_id, condition_json),
            )
            clause, values = in_clause("asset", sorted(keys))
            conn.execute(
                f"DELETE FROM asset_dag_run_queue WHERE dag_id = ? AND NOT ({clause})", [dag_id, *values]
            )

    def get_dag_schedule(self, dag_id: str) -> str | None:
        rows = self._rows("SELECT condition FROM asset_dag_schedule WHERE dag_id = ?", (dag_id,))
        return rows[0]["condition"] if rows else None

    def dags_triggered_by(self, event: AssetEventRecord | None = None) -> list[str]:
        """Sorted ids of registered DAGs whose condition holds over their queued keys; with
        `event`, only those whose condition mentions the event's uri or aliases."""
        with self._tx() as conn:
            schedules = conn.execute(
                "SELECT dag_id, condition FROM asset_dag_schedule ORDER BY dag_id"
            ).fetchall()
            queued: dict[str, set[str]] = {}
            for row in conn.execute("SELECT dag_id, asset FROM asset_dag_run_queue").fetchall():
                queued.setdefault(row["dag_id"], set()).add(row["asset"])
        wanted = None if event is None else _event_keys(event)
        triggered: list[str] = []
        for row in schedules:
            condition, keys = _condition(row["condition"])
            statuses = dict.fromkeys(queued.get(row["dag_id"], ()), True)
            if wanted is not None and not wanted & keys:
                continue
            if statuses and condition.evaluate(statuses):
                triggered.append(row["dag_id"])
        return triggered

    def consume_asset_dag_run_queue(
        self, dag_id: str, *, run_id: str | None = None
    ) -> list[AssetEventRecord]:
        """Delete the DAG's queue rows and return the events since each row was queued (for an
        asset key: events of that uri; for an alias key: events through that alias), ordered by
        (timestamp, id); with `run_id` they are linked to that run (KeyError if it is missing)."""
        from riir_airflow.sdk.assets import ALIAS_KEY_PREFIX

        with self._tx(write=True) as conn:
            if run_id is not None:
                self._require_run(conn, dag_id, run_id)
            rows: dict[int, sqlite3.Row] = {}
            for queued in conn.execute(
                "SELECT asset, first_event_id FROM asset_dag_run_queue WHERE dag_id = ?", (dag_id,)
            ).fetchall():
                key = queued["asset"]
                if key.startswith(ALIAS_KEY_PREFIX):
                    match = "EXISTS (SELECT 1 FROM json_each(source_aliases) WHERE value = ?)"
                    key = key[len(ALIAS_KEY_PREFIX) :]
                else:
                    match = "uri = ?"
                for row in conn.execute(
                    f"SELECT * FROM asset_event WHERE {match} AND id >= ?", (key, queued["first_event_id"])
                ):
                    rows[row["id"]] = row
            conn.execute("DELETE FROM asset_dag_run_queue WHERE dag_id = ?", (dag_id,))
            if run_id is not None:
                conn.executemany(
                    "INSERT OR IGNORE INTO dag_run_asset_event (dag_id, run_id, event_id) VALUES (?, ?, ?)",
                    [(dag_id, run_id, event_id) for event_id in rows],
                )
        events = [decode_asset_event(row) for row in rows.values()]
        return sorted(events, key=lambda e: (e.timestamp, e.id))

    def get_dag_run_asset_events(self, dag_id: str, run_id: str) -> list[AssetEventRecord]:
        rows = self._rows(
            "SELECT e.* FROM asset_event AS e JOIN dag_run_asset_event AS l ON l.event_id = e.id "
            "WHERE l.dag_id = ? AND l.run_id = ? ORDER BY e.timestamp, e.id",
            (dag_id, run_id),
        )
        return [decode_asset_event(row) for row in rows]

    # -- variables and connections --------------------------------------------------------
    def get_variable(self, key: str) -> VariableRecord | None:
        rows = self._rows("SELECT * FROM variable WHERE key = ?", (key,))
        return VariableRecord(rows[0]["key"], rows[0]["value"], rows[0]["description"]) if rows else None

    def set_variable(self, record: VariableRecord) -> None:
        """Insert or replace the variable (value and description)."""
        sql = upsert_sql("variable", ("key", "value", "description"), ("key",))
        self._write(sql, (record.key, record.value, record.description))

    def delete_variable(self, key: str) -> bool:
        """Delete the variable; True if it existed."""
        return self._write("DELETE FROM variable WHERE key = ?", (key,)) > 0

    def get_connection(self, conn_id: str) -> ConnectionRecord | None:
        rows = self._rows("SELECT * FROM connection WHERE conn_id = ?", (conn_id,))
        return ConnectionRecord(**{col: rows[0][col] for col in _CONN_COLUMNS}) if rows else None

    def set_connection(self, record: ConnectionRecord) -> None:
        """Insert or replace the connection (every field)."""
        sql = upsert_sql("connection", _CONN_COLUMNS, ("conn_id",))
        self._write(sql, [getattr(record, col) for col in _CONN_COLUMNS])

    def delete_connection(self, conn_id: str) -> bool:
        """Delete the connection; True if it existed."""
        return self._write("DELETE FROM connection WHERE conn_id = ?", (conn_id,)) > 0


def _clear_clause(
    task_ids: Sequence[str], map_indexes: Mapping[str, Sequence[int]] | None
) -> tuple[str, list[Any]]:
    """The WHERE clause of `clear_task_instances`: every map index of the tasks `map_indexes`
    does not name, the named indexes of those it does (an empty clause list matches nothing)."""
    named = map_indexes or {}
    whole = [task_id for task_id in dict.fromkeys(task_ids) if task_id not in named]
    clauses: list[str] = []
    values: list[Any] = []
    if whole:
        clause, params = in_clause("task_id", whole)
        clauses.append(clause)
        values += params
    for task_id in dict.fromkeys(task_ids):
        if task_id in named:
            clause, params = in_clause("map_index", list(named[task_id]))
            clauses.append(f"(task_id = ? AND {clause})")
            values += [task_id, *params]
    return " OR ".join(clauses) or "0", values
