"""Airflow's `airflow.settings`: the few values DAG files read from it.

There is no ORM session here: DAG code never touches the metastore directly in riir-airflow.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AIRFLOW_HOME", "DAGS_FOLDER", "TIMEZONE"]  # noqa: F822 - resolved by __getattr__


def __getattr__(name: str) -> Any:
    from riir_airflow.compat.config import conf, get_airflow_home

    if name == "AIRFLOW_HOME":
        return get_airflow_home()
    if name == "DAGS_FOLDER":
        return conf.get("core", "dags_folder")
    if name == "TIMEZONE":
        from riir_airflow.sdk.timezone import default_timezone

        return default_timezone()
    raise AttributeError(f"module 'riir_airflow.settings' has no attribute {name!r} (riir-airflow keeps no ORM session)")
