"""Variables and Connections from the store, plugged into the SDK's secrets lookup chain.

The SDK never talks to a database: while a DAG runs, the runtime installs this adapter as the
"metastore" backend, so `Variable.get` and `BaseHook.get_connection` fall back to the store
(the local SQLite store in `dags test`, the broker in production) after env vars.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from riir_airflow.store.records import ConnectionRecord, VariableRecord

if TYPE_CHECKING:
    from riir_airflow.sdk.connection import Connection
    from riir_airflow.store.protocol import Store

__all__ = ["StoreMetastore", "connection_to_record"]


def connection_to_record(conn: Connection) -> ConnectionRecord:
    extra = conn.extra
    if isinstance(extra, dict):
        extra = json.dumps(extra)
    return ConnectionRecord(
        conn_id=conn.conn_id,
        conn_type=conn.conn_type,
        description=conn.description,
        host=conn.host,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        port=conn.port,
        extra=extra,
    )


class StoreMetastore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get_variable(self, key: str) -> str | None:
        record = self.store.get_variable(key)
        return record.value if record is not None else None

    def set_variable(self, key: str, value: str, description: str | None = None) -> None:
        self.store.set_variable(VariableRecord(key=key, value=value, description=description))

    def delete_variable(self, key: str) -> int | None:
        return 1 if self.store.delete_variable(key) else 0

    def get_connection(self, conn_id: str) -> Connection | None:
        from riir_airflow.sdk.connection import Connection

        record = self.store.get_connection(conn_id)
        if record is None:
            return None
        return Connection(
            conn_id=record.conn_id,
            conn_type=record.conn_type,
            description=record.description,
            host=record.host,
            login=record.login,
            password=record.password,
            schema=record.schema,
            port=record.port,
            extra=record.extra,
        )
