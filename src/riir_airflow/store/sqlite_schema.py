"""The SQLite file format of `LocalStore`: tables, forward migrations and value encodings.

Why a separate module: the on-disk format outlives any one version of the code. Every change to
it is a new step appended to `MIGRATIONS` (never an edit of an old step), so a file written by an
older riir-airflow is brought forward on open, and a file written by a newer one is refused
instead of being misread.

Encodings (the contract `local.py` relies on; `encode_*` / `decode_*` map records to rows):
- datetimes are UTC ISO-8601 text with microseconds and an explicit `+00:00`
  (`2024-01-02T03:04:05.000000+00:00`). The fixed width makes text order equal time order, so
  SQL can sort and compare them; equal instants always encode to equal text, so UNIQUE works.
- naive datetimes are rejected (the records promise timezone-aware values; guessing a zone for
  a naive one would silently shift history).
- read back, datetimes are `pendulum.DateTime` in UTC, as Airflow exposes them.
- states are their string values (validated through the enums on write); `conf` is JSON.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pendulum

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.records import AssetEventRecord, DagRunRecord, TaskInstanceRecord, XComRecord

__all__ = [
    "ASSET_EVENT_COLUMNS",
    "MIGRATIONS",
    "RUN_COLUMNS",
    "SCHEMA_VERSION",
    "TI_COLUMNS",
    "SchemaTooNew",
    "connect",
    "decode_asset_event",
    "decode_dt",
    "decode_run",
    "decode_ti",
    "decode_xcom",
    "encode_asset_event",
    "encode_dt",
    "encode_run",
    "encode_ti",
    "in_clause",
    "migrate",
    "upsert_sql",
    "where_in",
]

# Columns shared by the current task-instance table and its per-try history.
_TI_COLUMNS_DDL = """
    dag_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    map_index INTEGER NOT NULL,
    state TEXT NOT NULL,
    try_number INTEGER NOT NULL,
    max_tries INTEGER NOT NULL,
    start_date TEXT,
    end_date TEXT,
    next_attempt_at TEXT,
    operator TEXT NOT NULL,
    pool TEXT NOT NULL,
    queue TEXT NOT NULL,
    priority_weight INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    note TEXT,
"""

_RUN_FK = "FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE"

# Step N brings a file from version N-1 to version N. Append only; never edit a shipped step.
MIGRATIONS: list[list[str]] = [
    # 1: initial schema
    [
        """CREATE TABLE dag_run (
            dag_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            run_type TEXT NOT NULL,
            state TEXT NOT NULL,
            run_after TEXT NOT NULL,
            logical_date TEXT,
            data_interval_start TEXT,
            data_interval_end TEXT,
            start_date TEXT,
            end_date TEXT,
            conf TEXT NOT NULL DEFAULT '{}',
            triggered_by TEXT,
            note TEXT,
            clear_number INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (dag_id, run_id),
            UNIQUE (dag_id, logical_date)
        )""",
        "CREATE INDEX dag_run_order ON dag_run (dag_id, COALESCE(logical_date, run_after), run_id)",
        f"""CREATE TABLE task_instance ({_TI_COLUMNS_DDL}
            PRIMARY KEY (dag_id, run_id, task_id, map_index),
            {_RUN_FK}
        )""",
        f"""CREATE TABLE task_instance_history ({_TI_COLUMNS_DDL}
            PRIMARY KEY (dag_id, run_id, task_id, map_index, try_number),
            {_RUN_FK}
        )""",
        f"""CREATE TABLE xcom (
            dag_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            map_index INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            PRIMARY KEY (dag_id, run_id, task_id, map_index, key),
            {_RUN_FK}
        )""",
        f"""CREATE TABLE rendered_fields (
            dag_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            map_index INTEGER NOT NULL,
            fields TEXT NOT NULL,
            PRIMARY KEY (dag_id, run_id, task_id, map_index),
            {_RUN_FK}
        )""",
        f"""CREATE TABLE task_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            dag_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            map_index INTEGER NOT NULL,
            try_number INTEGER NOT NULL,
            text TEXT NOT NULL,
            {_RUN_FK}
        )""",
        "CREATE INDEX task_log_key ON task_log (dag_id, run_id, task_id, map_index, try_number, id)",
        """CREATE TABLE variable (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            description TEXT
        )""",
        """CREATE TABLE connection (
            conn_id TEXT PRIMARY KEY,
            conn_type TEXT,
            description TEXT,
            host TEXT,
            login TEXT,
            password TEXT,
            schema TEXT,
            port INTEGER,
            extra TEXT
        )""",
    ],
    # 2: asset events, the registry of asset-scheduled DAGs, their run queue, and which events
    # each asset-triggered run consumed. Events outlive the runs that emitted them.
    [
        """CREATE TABLE asset_event (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            uri TEXT NOT NULL,
            asset_group TEXT NOT NULL,
            extra TEXT NOT NULL DEFAULT '{}',
            source_dag_id TEXT,
            source_run_id TEXT,
            source_task_id TEXT,
            source_map_index INTEGER NOT NULL DEFAULT -1,
            source_aliases TEXT NOT NULL DEFAULT '[]',
            timestamp TEXT NOT NULL
        )""",
        "CREATE INDEX asset_event_uri ON asset_event (uri, timestamp, id)",
        "CREATE INDEX asset_event_name ON asset_event (name, timestamp, id)",
        "CREATE INDEX asset_event_source ON asset_event (source_dag_id, source_run_id)",
        """CREATE TABLE asset_dag_schedule (
            dag_id TEXT PRIMARY KEY,
            condition TEXT NOT NULL
        )""",
        """CREATE TABLE asset_dag_run_queue (
            dag_id TEXT NOT NULL,
            asset TEXT NOT NULL,
            created TEXT NOT NULL,
            first_event_id INTEGER NOT NULL,
            PRIMARY KEY (dag_id, asset)
        )""",
        f"""CREATE TABLE dag_run_asset_event (
            dag_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES asset_event (id) ON DELETE CASCADE,
            PRIMARY KEY (dag_id, run_id, event_id),
            {_RUN_FK}
        )""",
    ],
    # 3: the trigger each deferred task instance waits on (one per task instance), so a
    # restarted DAG app resumes it; goes with its run.
    [
        f"""CREATE TABLE task_deferral (
            dag_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            map_index INTEGER NOT NULL,
            try_number INTEGER NOT NULL,
            classpath TEXT NOT NULL,
            trigger_kwargs TEXT NOT NULL,
            method_name TEXT NOT NULL,
            kwargs TEXT,
            timeout_at TEXT,
            PRIMARY KEY (dag_id, run_id, task_id, map_index),
            {_RUN_FK}
        )""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The file was written by a newer riir-airflow; reading it could misinterpret data."""


def connect(path: Path | str, busy_timeout: float) -> sqlite3.Connection:
    """Open the file for `LocalStore`: autocommit mode (the store issues BEGIN/COMMIT itself),
    usable from any thread (the store serializes calls), rows by name, WAL, foreign keys on,
    waiting up to `busy_timeout` seconds for other connections' locks; schema migrated."""
    conn = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Create the schema or bring it forward to the last MIGRATIONS step; return the version
    found on disk (0 for a fresh file).

    Runs in one IMMEDIATE transaction so two processes opening a fresh file at once cannot both
    apply step 1 (the second waits on the busy timeout, then sees the finished schema). The
    connection must be in autocommit mode (isolation_level=None) so BEGIN/COMMIT are ours.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        found = 0 if row is None else int(row[0])
        target = len(MIGRATIONS)  # read at call time, so tests can append a step
        if found > target:
            raise SchemaTooNew(
                f"store schema version {found} is newer than this riir-airflow supports "
                f"({target}); upgrade riir-airflow"
            )
        for step in MIGRATIONS[found:]:
            for statement in step:
                conn.execute(statement)
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
        elif found != target:
            conn.execute("UPDATE schema_version SET version = ?", (target,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def encode_dt(value: datetime.datetime | None) -> str | None:
    """Timezone-aware datetime -> fixed-width UTC ISO text; None stays None; naive -> ValueError."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the store only accepts timezone-aware datetimes")
    utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "+00:00"


def decode_dt(text: str | None) -> pendulum.DateTime | None:
    """Stored UTC ISO text -> `pendulum.DateTime` in UTC; None stays None."""
    if text is None:
        return None
    parsed = datetime.datetime.fromisoformat(text)
    return pendulum.instance(parsed.astimezone(datetime.UTC).replace(tzinfo=None), tz=pendulum.UTC)


# Column order of the record <-> row mappings (the table column names equal the field names).
RUN_COLUMNS = (
    "dag_id", "run_id", "run_type", "state", "run_after", "logical_date", "data_interval_start",
    "data_interval_end", "start_date", "end_date", "conf", "triggered_by", "note", "clear_number",
)  # fmt: skip
_RUN_DATES = frozenset(
    {"run_after", "logical_date", "data_interval_start", "data_interval_end", "start_date", "end_date"}
)
TI_COLUMNS = (
    "dag_id", "run_id", "task_id", "map_index", "state", "try_number", "max_tries", "start_date",
    "end_date", "next_attempt_at", "operator", "pool", "queue", "priority_weight", "hostname", "note",
)  # fmt: skip
_TI_DATES = frozenset({"start_date", "end_date", "next_attempt_at"})


def encode_run(run: DagRunRecord) -> list[Any]:
    """A DagRunRecord as the values of RUN_COLUMNS."""
    values: list[Any] = []
    for col in RUN_COLUMNS:
        value = getattr(run, col)
        if col in _RUN_DATES:
            value = encode_dt(value)
        elif col == "state":
            value = DagRunState(value).value
        elif col == "conf":
            value = json.dumps(value if value is not None else {})
        values.append(value)
    return values


def decode_run(row: sqlite3.Row) -> DagRunRecord:
    """A fresh DagRunRecord from a dag_run row (nothing shared with other reads)."""
    kwargs: dict[str, Any] = {col: row[col] for col in RUN_COLUMNS}
    for col in _RUN_DATES:
        kwargs[col] = decode_dt(kwargs[col])
    kwargs["state"] = DagRunState(kwargs["state"])
    kwargs["conf"] = json.loads(kwargs["conf"])
    return DagRunRecord(**kwargs)


def encode_ti(ti: TaskInstanceRecord) -> list[Any]:
    """A TaskInstanceRecord as the values of TI_COLUMNS."""
    values: list[Any] = []
    for col in TI_COLUMNS:
        value = getattr(ti, col)
        if col in _TI_DATES:
            value = encode_dt(value)
        elif col == "state":
            value = TaskInstanceState(value).value
        values.append(value)
    return values


def decode_ti(row: sqlite3.Row) -> TaskInstanceRecord:
    """A fresh TaskInstanceRecord from a task_instance or task_instance_history row."""
    kwargs: dict[str, Any] = {col: row[col] for col in TI_COLUMNS}
    for col in _TI_DATES:
        kwargs[col] = decode_dt(kwargs[col])
    kwargs["state"] = TaskInstanceState(kwargs["state"])
    return TaskInstanceRecord(**kwargs)


def decode_xcom(row: sqlite3.Row) -> XComRecord:
    """An XComRecord from an xcom row joined with its run's logical date as `run_logical_date`."""
    return XComRecord(
        dag_id=row["dag_id"],
        run_id=row["run_id"],
        task_id=row["task_id"],
        key=row["key"],
        value=row["value"],
        map_index=row["map_index"],
        timestamp=decode_dt(row["timestamp"]),
        logical_date=decode_dt(row["run_logical_date"]),
    )


ASSET_EVENT_COLUMNS = (
    "name", "uri", "asset_group", "extra", "source_dag_id", "source_run_id", "source_task_id",
    "source_map_index", "source_aliases", "timestamp",
)  # fmt: skip


def encode_asset_event(event: AssetEventRecord) -> list[Any]:
    """An AssetEventRecord as the values of ASSET_EVENT_COLUMNS (the id is the table's); a
    missing timestamp must be filled in by the caller."""
    return [
        event.name,
        event.uri,
        event.group,
        json.dumps(event.extra if event.extra is not None else {}, sort_keys=True),
        event.source_dag_id,
        event.source_run_id,
        event.source_task_id,
        int(event.source_map_index),
        json.dumps(list(event.source_aliases or [])),
        encode_dt(event.timestamp),
    ]


def decode_asset_event(row: sqlite3.Row) -> AssetEventRecord:
    """A fresh AssetEventRecord from an asset_event row."""
    return AssetEventRecord(
        id=row["id"],
        name=row["name"],
        uri=row["uri"],
        group=row["asset_group"],
        extra=json.loads(row["extra"]),
        source_dag_id=row["source_dag_id"],
        source_run_id=row["source_run_id"],
        source_task_id=row["source_task_id"],
        source_map_index=row["source_map_index"],
        source_aliases=json.loads(row["source_aliases"]),
        timestamp=decode_dt(row["timestamp"]),
    )


def upsert_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """An upsert of every column, keyed on `key` (the table's primary key)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


def in_clause(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (...)`; an empty sequence gives a clause that matches no row."""
    if not values:
        return "0", []
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def where_in(filters: Sequence[tuple[str, Sequence[Any] | None]]) -> tuple[list[str], list[Any]]:
    """WHERE clauses and parameters for `column IN values`, skipping filters whose values are
    None (no filter); an empty sequence matches no row."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in filters:
        if values is not None:
            clause, clause_params = in_clause(column, list(values))
            clauses.append(clause)
            params += clause_params
    return clauses, params
