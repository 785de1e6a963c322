"""An app's fenced task-instance write as one PostgreSQL statement (the broker's hottest call).

The general path of a fenced `put_task_instances` (broker/scopes.py `fenced`, then the store) is
one transaction of six round trips: BEGIN, the lease row locked FOR SHARE and checked
(`MetastoreRegistry.check_fence`), the run checked (`MetastoreStore._require_run`), the two
upserts (task_instance, task_instance_history), COMMIT; and SQLAlchemy and psycopg work for each.
`fenced_put_task_instances` does the same work in one statement, sent in autocommit mode (the
statement is its own transaction: one round trip in all, `Database.single_statement`):

    WITH ok AS (the lease row: live, held, with the caller's token, and the run exists;
                locked FOR SHARE, exactly as check_fence locks it),
         cur AS (INSERT INTO task_instance ... SELECT ... FROM json_populate_recordset(rows)
                 WHERE EXISTS ok ON CONFLICT ... DO UPDATE ...),
         hist AS (the same for task_instance_history)
    SELECT whether ok had its row

Contract: it applies the write only when the fence and the run check both pass, and then exactly
as `put_task_instances` would (later records of a key win, a history row per try >= 1). When
either check fails it writes nothing and answers False: the caller then takes the general path,
which raises the precise error (`StaleFencingToken`, `KeyError`) or, if the lease changed hands
in between, applies the write under the new state. So a refusal is never decided here, only an
acceptance, under the same row lock as the general path. Only one dag run per call and only on
PostgreSQL; otherwise it answers None (not attempted) without touching the database.

The rows travel as one JSON parameter per table (`json_populate_recordset` types them by the
table's own row type): json.dumps is far cheaper than adapting a parameter per column and row.
The statement text is built once from the table definitions and is constant, so psycopg prepares
it on each pooled connection after a few uses (PostgreSQL then skips parsing and planning too).
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.codec import TI_FIELDS, TI_KEY
from riir_airflow.metastore.coltypes import UtcDateTime
from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.store.records import TaskInstanceRecord

__all__ = ["fenced_put_task_instances"]


def _upsert_sql(table: sa.Table, key: tuple[str, ...], param: str) -> str:
    columns = ", ".join(TI_FIELDS)
    updates = ", ".join(f"{f} = excluded.{f}" for f in TI_FIELDS if f not in key)
    return (
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
        f"FROM json_populate_recordset(NULL::{table.name}, %({param})s::json) "
        f"WHERE EXISTS (SELECT 1 FROM ok) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates} RETURNING 1"
    )


@functools.cache
def _statement() -> str:
    lease, run = t.dag_lease.name, t.dag_run.name
    return (
        f"WITH ok AS (SELECT l.dag_id FROM {lease} AS l "
        f"WHERE l.dag_id = %(dag_id)s AND l.app_id IS NOT NULL AND l.expires_at > %(now)s "
        f"AND l.fencing_token = %(token)s "
        f"AND EXISTS (SELECT 1 FROM {run} AS r WHERE r.dag_id = %(dag_id)s AND r.run_id = %(run_id)s) "
        f"FOR SHARE OF l), "
        f"cur AS ({_upsert_sql(t.task_instance, TI_KEY, 'current')}), "
        f"hist AS ({_upsert_sql(t.task_instance_history, (*TI_KEY, 'try_number'), 'history')}) "
        f"SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM cur), (SELECT count(*) FROM hist)"
    )


# The datetime columns, from the table (a datetime column added later is converted too).
_DATES = frozenset(c.name for c in t.task_instance.columns if isinstance(c.type, UtcDateTime))


def _row(ti: TaskInstanceRecord) -> dict[str, Any]:
    """`codec.ti_values(ti)` for a JSON row: the same checks (a valid state, timezone-aware
    datetimes: ValueError otherwise), datetimes as ISO text with their offset, which PostgreSQL
    reads as the same instant (no conversion to UTC objects first: pendulum's are slow)."""
    values: dict[str, Any] = {}
    for name in TI_FIELDS:
        value = getattr(ti, name)
        if name in _DATES:
            if value is not None:
                if value.tzinfo is None or value.utcoffset() is None:
                    raise ValueError(
                        f"naive datetime {value!r}: the metastore only accepts timezone-aware datetimes"
                    )
                value = datetime.datetime.isoformat(value)
        elif name == "state":
            value = TaskInstanceState(value).value
        values[name] = value
    return values


def fenced_put_task_instances(
    conn_factory: Any,
    dialect: sa.Dialect,
    records: Sequence[TaskInstanceRecord],
    token: int | None,
    now: datetime.datetime,
) -> bool | None:
    """Apply `records` under the fence in one statement; True if applied, False if the fence or
    run check failed (nothing written), None if not attempted (see the module docstring).
    `conn_factory()` gives the connection to run the one statement on
    (`Database.single_statement`)."""
    if dialect.name != "postgresql" or token is None or not records:
        return None
    current: dict[tuple[Any, ...], dict[str, Any]] = {}
    history: dict[tuple[Any, ...], dict[str, Any]] = {}
    for ti in records:
        values = _row(ti)  # validates (ValueError before any SQL), as put_task_instances
        key = (values["dag_id"], values["run_id"], values["task_id"], values["map_index"])
        current[key] = values
        if ti.try_number >= 1:
            history[(*key, ti.try_number)] = values
    runs = {key[:2] for key in current}
    if len(runs) != 1:
        return None
    ((dag_id, run_id),) = runs
    params = {
        "dag_id": dag_id, "run_id": run_id, "token": token, "now": now,
        "current": json.dumps(list(current.values())),
        "history": json.dumps(list(history.values())),
    }  # fmt: skip
    with conn_factory() as conn:
        fenced, _, _ = conn.exec_driver_sql(_statement(), params).one()
    return bool(fenced)
