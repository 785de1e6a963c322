"""`airflow.hooks.base` (2.x path): `BaseHook` from `riir_airflow.sdk.hooks`."""

from __future__ import annotations

from riir_airflow.sdk.hooks import BaseHook

__all__ = ["BaseHook"]
