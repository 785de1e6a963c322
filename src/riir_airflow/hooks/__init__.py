"""`airflow.hooks`: the 2.x home of hooks. `BaseHook` lives in `riir_airflow.hooks.base`."""

from __future__ import annotations

__all__: list[str] = []
