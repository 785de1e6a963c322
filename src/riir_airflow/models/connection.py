"""`airflow.models.connection` (2.x path): `Connection` from `riir_airflow.sdk.connection`."""

from __future__ import annotations

from riir_airflow.sdk.connection import Connection

__all__ = ["Connection"]
