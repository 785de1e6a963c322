"""`airflow.models.variable` (2.x path): `Variable` from `riir_airflow.sdk.variable`."""

from __future__ import annotations

from riir_airflow.sdk.variable import Variable

__all__ = ["Variable"]
