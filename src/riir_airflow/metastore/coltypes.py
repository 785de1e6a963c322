"""Column types that mean the same on PostgreSQL and SQLite, and the SQL helpers both dialects share.

Why: one schema (and one set of migrations) serves both databases, so every column type must
round-trip identically on both. The contract of each type:

- `UtcDateTime`: timezone-aware datetimes in, `pendulum.DateTime` in UTC out. PostgreSQL keeps
  `timestamp with time zone`; SQLite keeps SQLAlchemy's fixed-width text in UTC, whose text
  order equals time order (so ORDER BY, <, UNIQUE work). Naive datetimes are refused: guessing a
  zone would silently shift history. Callers should check with `to_utc` before executing, so the
  error is a plain ValueError rather than SQLAlchemy's wrapped StatementError.
- `JsonText`: any JSON-compatible value, stored as text (portable, exact round trip, and
  `extra`/`conf` never need to be queried inside).
- `IdText`: identifiers (dag_id, run_id, task_id, keys...): unbounded text, with the "C"
  collation on PostgreSQL so ordering is bytewise, as on SQLite, whatever the server's locale.
- `BigId`: an auto-increment primary key (BIGINT on PostgreSQL; SQLite's rowid INTEGER).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pendulum
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

__all__ = [
    "BigId",
    "IdText",
    "JsonText",
    "UtcDateTime",
    "insert_ignore",
    "to_utc",
    "upsert",
    "utc_now",
]

IdText = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def to_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """A timezone-aware datetime as an aware UTC datetime; None stays None; naive -> ValueError."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: the metastore only accepts timezone-aware datetimes")
    utc = value.astimezone(datetime.UTC)
    # A plain datetime (not a pendulum one, whose arithmetic can drop a stdlib tzinfo).
    return datetime.datetime.combine(utc.date(), utc.time(), tzinfo=datetime.UTC)


def utc_now() -> datetime.datetime:
    """The current instant as an aware UTC datetime."""
    return datetime.datetime.now(datetime.UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime.datetime]):
    """Aware datetimes stored as UTC; read back as UTC `pendulum.DateTime` (see module docstring)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime.datetime | None, dialect: Dialect) -> Any:
        utc = to_utc(value)
        if utc is not None and dialect.name == "sqlite":
            return utc.replace(tzinfo=None)  # SQLite has no zones: the text is always UTC
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> pendulum.DateTime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw text from SQLite (e.g. through COALESCE)
            value = datetime.datetime.fromisoformat(value)
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return pendulum.instance(value, tz=pendulum.UTC)


class JsonText(sa.types.TypeDecorator[Any]):
    """A JSON-compatible value kept as JSON text; None is SQL NULL."""

    impl = sa.Text()
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's INSERT construct that knows ON CONFLICT (PostgreSQL and SQLite spell it alike)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the metastore supports postgresql and sqlite, not {dialect}")


# Upsert statements, built once per (dialect, table, columns, key): building one costs more than
# running it (ON CONFLICT's `excluded` alias proxies every column anew), and the broker runs
# several per task try (bench/broker_load.py, app_latency.py). Statements are immutable: shared.
_UPSERTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    key: Sequence[str],
) -> None:
    """Insert each row, or update every non-key column of the row with the same `key` (which must
    be a primary key or unique constraint). Rows apply in order; give no two rows the same key in
    one call (PostgreSQL refuses to update a row twice in one statement). Rows of one call have
    the same columns."""
    many = not isinstance(rows, Mapping)
    if many and not rows:
        return
    columns = tuple(rows[0] if many else rows)
    cache_key = (conn.dialect.name, table.name, columns, tuple(key))
    stmt = _UPSERTS.get(cache_key)
    if stmt is None:
        insert = _insert(conn, table)
        updates = {col: insert.excluded[col] for col in columns if col not in key}
        stmt = (
            insert.on_conflict_do_update(index_elements=list(key), set_=updates)
            if updates
            else insert.on_conflict_do_nothing(index_elements=list(key))
        )
        _UPSERTS[cache_key] = stmt
    conn.execute(stmt, list(rows) if many else dict(rows))


def insert_ignore(
    conn: sa.Connection,
    table: sa.Table,
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    key: Sequence[str] | None = None,
) -> int:
    """Insert the rows, skipping any that clash with an existing row on `key` (default: any unique
    constraint); the number of rows inserted."""
    many = not isinstance(rows, Mapping)
    if many and not rows:
        return 0
    stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=list(key) if key else None)
    return conn.execute(stmt, list(rows) if many else dict(rows)).rowcount
