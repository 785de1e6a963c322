"""Persistence behind one interface: `Store`, its records, and the local SQLite store."""

from riir_airflow.store.protocol import Store
from riir_airflow.store.records import (
    ConnectionRecord,
    DagRunAlreadyExists,
    DagRunRecord,
    DeferralRecord,
    TaskInstanceRecord,
    VariableRecord,
    XComRecord,
)

__all__ = [
    "ConnectionRecord",
    "DagRunAlreadyExists",
    "DagRunRecord",
    "DeferralRecord",
    "LocalStore",
    "Store",
    "TaskInstanceRecord",
    "VariableRecord",
    "XComRecord",
]


def __getattr__(name: str):
    if name == "LocalStore":
        from riir_airflow.store.local import LocalStore

        return LocalStore
    raise AttributeError(name)
