"""Rendered fields, task logs, variables and connections of `MetastoreStore`.

Rendered fields and logs belong to a run: writing them for a missing run raises KeyError.

Contract: as Airflow does with `[core] fernet_key`, a variable's value and a connection's password
and extra are stored as Fernet tokens when a key is configured (their `is_*encrypted` flag says
so, per row and per field), in plain text otherwise (`crypto.SecretCipher` logs a warning once).
Reads decrypt transparently; a row encrypted with a key that is no longer configured raises
`crypto.SecretDecryptError` instead of handing out ciphertext. Other connection fields (host,
login, port...) are not secret, as in Airflow, so the UI and API can list them.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import sqlalchemy as sa

from riir_airflow.metastore import tables as t
from riir_airflow.metastore.codec import TI_KEY, ti_where
from riir_airflow.metastore.coltypes import upsert
from riir_airflow.metastore.crypto import SecretCipher
from riir_airflow.store.records import ConnectionRecord, VariableRecord

__all__ = ["DataMethods"]

_CONN_FIELDS = ("conn_id", "conn_type", "description", "host", "login", "schema", "port")


class DataMethods:
    """Store methods for rendered fields, logs, variables and connections; mixed into
    `MetastoreStore`, which provides `_tx`, `_require_run` and `cipher`."""

    cipher: SecretCipher

    def _tx(self, write: bool = False) -> AbstractContextManager[sa.Connection]:  # pragma: no cover
        raise NotImplementedError

    def _require_run(self, conn: sa.Connection, dag_id: str, run_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- rendered template fields ---------------------------------------------------------
    def set_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, fields: dict[str, str]
    ) -> None:
        """Replace the task instance's rendered fields as a whole."""
        values = dict(zip(TI_KEY, (dag_id, run_id, task_id, map_index), strict=True))
        with self._tx(write=True) as conn:
            self._require_run(conn, dag_id, run_id)
            upsert(conn, t.rendered_fields, {**values, "rendered_fields": dict(fields)}, TI_KEY)

    def get_rendered_fields(
        self, dag_id: str, run_id: str, task_id: str, map_index: int = -1
    ) -> dict[str, str] | None:
        rf = t.rendered_fields
        query = sa.select(rf.c.rendered_fields).where(ti_where(rf, dag_id, run_id, task_id, map_index))
        with self._tx() as conn:
            row = conn.execute(query).first()
        return row[0] if row else None

    # -- task logs ------------------------------------------------------------------------
    def append_log(
        self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int, text: str
    ) -> None:
        """Append a chunk to one try's log; chunks are read back in append order."""
        values = dict(zip(TI_KEY, (dag_id, run_id, task_id, map_index), strict=True))
        with self._tx(write=True) as conn:
            self._require_run(conn, dag_id, run_id)
            conn.execute(t.task_log.insert().values(**values, try_number=try_number, text=text))

    def read_log(self, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int) -> str:
        """The try's whole log (chunks concatenated in append order); "" if there is none."""
        lg = t.task_log
        query = (
            sa.select(lg.c.text)
            .where(ti_where(lg, dag_id, run_id, task_id, map_index), lg.c.try_number == try_number)
            .order_by(lg.c.id)
        )
        with self._tx() as conn:
            return "".join(conn.execute(query).scalars())

    # -- variables and connections --------------------------------------------------------
    def get_variable(self, key: str) -> VariableRecord | None:
        with self._tx() as conn:
            row = conn.execute(sa.select(t.variable).where(t.variable.c.key == key)).mappings().first()
        if row is None:
            return None
        return VariableRecord(
            row["key"], self.cipher.decrypt(row["val"], row["is_encrypted"]) or "", row["description"]
        )

    def set_variable(self, record: VariableRecord) -> None:
        """Insert or replace the variable (value, encrypted when a fernet key is set, and description)."""
        val, encrypted = self.cipher.encrypt(record.value)
        values = {"key": record.key, "val": val, "description": record.description, "is_encrypted": encrypted}
        with self._tx(write=True) as conn:
            upsert(conn, t.variable, values, ("key",))

    def delete_variable(self, key: str) -> bool:
        """Delete the variable; True if it existed."""
        with self._tx(write=True) as conn:
            return conn.execute(t.variable.delete().where(t.variable.c.key == key)).rowcount > 0

    def get_connection(self, conn_id: str) -> ConnectionRecord | None:
        c = t.connection.c
        with self._tx() as conn:
            row = conn.execute(sa.select(t.connection).where(c.conn_id == conn_id)).mappings().first()
        if row is None:
            return None
        return ConnectionRecord(
            **{name: row[name] for name in _CONN_FIELDS},
            password=self.cipher.decrypt(row["password"], row["is_encrypted"]),
            extra=self.cipher.decrypt(row["extra"], row["is_extra_encrypted"]),
        )

    def set_connection(self, record: ConnectionRecord) -> None:
        """Insert or replace the connection; password and extra encrypted when a key is set."""
        password, pw_encrypted = self.cipher.encrypt(record.password)
        extra, extra_encrypted = self.cipher.encrypt(record.extra)
        values = {name: getattr(record, name) for name in _CONN_FIELDS}
        values.update(
            password=password, extra=extra, is_encrypted=pw_encrypted, is_extra_encrypted=extra_encrypted
        )
        with self._tx(write=True) as conn:
            upsert(conn, t.connection, values, ("conn_id",))

    def delete_connection(self, conn_id: str) -> bool:
        """Delete the connection; True if it existed."""
        with self._tx(write=True) as conn:
            return conn.execute(t.connection.delete().where(t.connection.c.conn_id == conn_id)).rowcount > 0
