"""The durable queue of broker -> app commands (trigger, clear, mark state, pause, kill).

Why in the database: with several broker replicas, the replica that accepts a command is often
not the one holding the app's long-poll; a row every replica reads makes delivery independent
of which replica the app talks to, and survives a broker restart.

Contract (the `Registry` protocol's):
- `enqueue_command` stores a `wire.messages.Command` and returns it with its id (increasing in
  enqueue order) and `created_at`.
- `pending_commands(dag_ids)` lists the unacknowledged commands of those DAGs, oldest first;
  delivery is at least once: they stay pending until acknowledged.
- `ack_commands(dag_ids, ids)` removes the given ids, but only those of the given DAGs (an app
  cannot acknowledge away another DAG's commands). Unknown ids are ignored.
- Retiring a DAG drops its pending commands (`dags.DagMethods.retire_dag`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.coltypes import to_utc, utc_now
from riir_airflow.metastore.database import Database
from riir_airflow.wire.codec import decode, encode
from riir_airflow.wire.messages import Command

__all__ = ["CommandMethods"]


class CommandMethods:
    """The command queue; mixed into `MetastoreRegistry`."""

    db: Database

    def enqueue_command(self, command: Command, now: datetime.datetime | None = None) -> Command:
        """Queue `command` for its DAG; the command as stored (with id and created_at)."""
        created = to_utc(now) or utc_now()
        payload = encode(dataclasses.replace(command, id=0, created_at=None), Command)
        values = {
            "dag_id": command.dag_id,
            "kind": str(command.kind),
            "payload": payload,
            "created_at": created,
        }
        with self.db.tx(write=True) as conn:
            command_id = conn.execute(t.app_command.insert().values(values)).inserted_primary_key[0]
            row = (
                conn.execute(sa.select(t.app_command).where(t.app_command.c.id == command_id))
                .mappings()
                .one()
            )
        return _command(row)

    def pending_commands(self, dag_ids: Iterable[str]) -> list[Command]:
        """The unacknowledged commands of `dag_ids`, oldest first."""
        wanted = sorted(set(dag_ids))
        if not wanted:
            return []
        c = t.app_command.c
        with self.db.tx() as conn:
            rows = conn.execute(
                sa.select(t.app_command).where(c.dag_id.in_(wanted)).order_by(c.id)
            ).mappings()
            return [_command(row) for row in rows]

    def ack_commands(self, dag_ids: Iterable[str], ids: Iterable[int]) -> None:
        """Acknowledge (remove) the commands `ids` that belong to `dag_ids`."""
        wanted, acked = sorted(set(dag_ids)), sorted({int(i) for i in ids})
        if not wanted or not acked:
            return
        c = t.app_command.c
        with self.db.tx(write=True) as conn:
            conn.execute(t.app_command.delete().where(c.id.in_(acked), c.dag_id.in_(wanted)))


def _command(row: sa.RowMapping) -> Command:
    command = decode(row["payload"], Command)
    return dataclasses.replace(command, id=row["id"], created_at=row["created_at"])
