"""Deferred tasks' triggers in `MetastoreStore`: one `task_deferral` row per task instance.

A DAG app records the trigger a task deferred on (`set_deferral`) so that, restarted, it can
rebuild the trigger and resume waiting (`get_deferrals`), and forgets it once the trigger fires
or times out (`delete_deferral`). Rows belong to their run: writing one for a missing run raises
KeyError, and deleting the run (or retiring its DAG) cascades to them. Deleting or clearing the
task instance drops its row too (`MetastoreStore.delete_task_instance`/`clear_task_instances`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.codec import TI_KEY, ti_where
from riir_airflow.metastore.coltypes import to_utc, upsert
from riir_airflow.store.records import DeferralRecord

__all__ = ["DeferralMethods"]

_FIELDS = tuple(c.name for c in t.task_deferral.columns)


def _values(record: DeferralRecord) -> dict[str, Any]:
    """Column values of a task_deferral row (validated: ValueError for a naive timeout_at)."""
    values = {name: getattr(record, name) for name in _FIELDS}
    values["timeout_at"] = to_utc(record.timeout_at)
    return values


def _from_row(row: Mapping[str, Any]) -> DeferralRecord:
    return DeferralRecord(**{name: row[name] for name in _FIELDS})


class DeferralMethods:
    """Store methods for deferrals; mixed into `MetastoreStore`, which provides `_tx` and
    `_require_run`."""

    def _tx(self, write: bool = False) -> AbstractContextManager[sa.Connection]:  # pragma: no cover
        raise NotImplementedError

    def _require_run(self, conn: sa.Connection, dag_id: str, run_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def set_deferral(self, record: DeferralRecord) -> None:
        """Insert or replace the task instance's deferral; KeyError if its run is missing."""
        values = _values(record)
        with self._tx(write=True) as conn:
            self._require_run(conn, record.dag_id, record.run_id)
            upsert(conn, t.task_deferral, values, TI_KEY)

    def get_deferrals(self, dag_id: str, run_id: str) -> list[DeferralRecord]:
        """Every deferral of the run, ordered by (task_id, map_index)."""
        d = t.task_deferral.c
        query = (
            sa.select(t.task_deferral)
            .where(d.dag_id == dag_id, d.run_id == run_id)
            .order_by(d.task_id, d.map_index)
        )
        with self._tx() as conn:
            return [_from_row(row) for row in conn.execute(query).mappings()]

    def delete_deferral(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> None:
        """Forget the task instance's deferral; a missing one is not an error."""
        table = t.task_deferral
        with self._tx(write=True) as conn:
            conn.execute(table.delete().where(ti_where(table, dag_id, run_id, task_id, map_index)))
