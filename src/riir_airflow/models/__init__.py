"""Airflow 2.x path `airflow.models`: the authoring classes (resolved lazily)."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DAG", "BaseOperator", "Connection", "Param", "ParamsDict", "Variable", "XComArg"]

_HOMES = {
    "DAG": "riir_airflow.sdk.dag",
    "BaseOperator": "riir_airflow.sdk.baseoperator",
    "Variable": "riir_airflow.sdk.variable",
    "Connection": "riir_airflow.sdk.connection",
    "Param": "riir_airflow.sdk.params",
    "ParamsDict": "riir_airflow.sdk.params",
    "XComArg": "riir_airflow.sdk.xcom_arg",
    "MappedOperator": "riir_airflow.sdk.mappedoperator",
    "DagBag": "riir_airflow.models.dagbag",
    "BaseOperatorLink": "riir_airflow.models.baseoperatorlink",
    # The objects a running task sees as `ti` and `dag_run` (for type hints and isinstance).
    "TaskInstance": "riir_airflow.runtime.task_instance",
    "DagRun": "riir_airflow.runtime.task_instance",
}
_NAMES = {"TaskInstance": "RuntimeTaskInstance", "DagRun": "DagRunView"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'riir_airflow.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), _NAMES.get(name, name))
    globals()[name] = value
    return value
