"""`airflow.configuration`: the 2.x path to the configuration, still imported by DAGs and providers.

`AIRFLOW_HOME` and `AIRFLOW_CONFIG` are computed when read, so they follow the environment
instead of freezing it at import time.
"""

from __future__ import annotations

from typing import Any

from riir_airflow.compat.config import (
    AirflowConfigParser,
    conf,
    get_airflow_config,
    get_airflow_home,
    load_config,
)

__all__ = [
    "AIRFLOW_CONFIG",
    "AIRFLOW_HOME",
    "AirflowConfigParser",
    "conf",
    "get_airflow_config",
    "get_airflow_home",
    "load_config",
]


AIRFLOW_HOME: str  # computed on access by __getattr__ below
AIRFLOW_CONFIG: str


def __getattr__(name: str) -> Any:
    if name == "AIRFLOW_HOME":
        return get_airflow_home()
    if name == "AIRFLOW_CONFIG":
        return get_airflow_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
