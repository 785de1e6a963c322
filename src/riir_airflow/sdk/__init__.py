"""The Airflow 3 authoring surface: `from riir_airflow.sdk import DAG, dag, task, ...`.

Core authoring names import eagerly (they are pure Python and cheap); the rest resolve on first
access so that importing the SDK stays fast and does no I/O.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.baseoperator import BaseOperator, chain, chain_linear, cross_downstream
from riir_airflow.sdk.context import Context, get_current_context
from riir_airflow.sdk.dag import DAG, dag
from riir_airflow.sdk.decorators import setup, task, task_group, teardown
from riir_airflow.sdk.edges import EdgeModifier, Label
from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.sdk.taskgroup import TaskGroup
from riir_airflow.sdk.templating import literal
from riir_airflow.sdk.trigger_rule import TriggerRule
from riir_airflow.sdk.xcom_arg import XComArg

if TYPE_CHECKING:
    from riir_airflow.sdk.connection import Connection
    from riir_airflow.sdk.hooks import BaseHook
    from riir_airflow.sdk.params import Param, ParamsDict
    from riir_airflow.sdk.sensors import BaseSensorOperator, PokeReturnValue
    from riir_airflow.sdk.skipmixin import BaseBranchOperator, BranchMixIn, SkipMixin
    from riir_airflow.sdk.timetables import (
        CronDataIntervalTimetable,
        CronTriggerTimetable,
        DeltaDataIntervalTimetable,
        DeltaTriggerTimetable,
        EventsTimetable,
        MultipleCronTriggerTimetable,
    )
    from riir_airflow.sdk.variable import Variable

__version__ = "1.3.2"  # the task-sdk version whose interface this follows

_LAZY: dict[str, str] = {
    "Asset": "riir_airflow.sdk.assets",
    "AssetAlias": "riir_airflow.sdk.assets",
    "AssetAll": "riir_airflow.sdk.assets",
    "AssetAny": "riir_airflow.sdk.assets",
    "AssetOrTimeSchedule": "riir_airflow.sdk.timetables",
    "Param": "riir_airflow.sdk.params",
    "ParamsDict": "riir_airflow.sdk.params",
    "Variable": "riir_airflow.sdk.variable",
    "Connection": "riir_airflow.sdk.connection",
    "BaseHook": "riir_airflow.sdk.hooks",
    "SkipMixin": "riir_airflow.sdk.skipmixin",
    "BranchMixIn": "riir_airflow.sdk.skipmixin",
    "BaseBranchOperator": "riir_airflow.sdk.skipmixin",
    "BaseSensorOperator": "riir_airflow.sdk.sensors",
    "BaseNotifier": "riir_airflow.sdk.notifier",
    "WeightRule": "riir_airflow.sdk.weight_rule",
    "PokeReturnValue": "riir_airflow.sdk.sensors",
    "CronDataIntervalTimetable": "riir_airflow.sdk.timetables",
    "CronTriggerTimetable": "riir_airflow.sdk.timetables",
    "DeltaDataIntervalTimetable": "riir_airflow.sdk.timetables",
    "DeltaTriggerTimetable": "riir_airflow.sdk.timetables",
    "EventsTimetable": "riir_airflow.sdk.timetables",
    "MultipleCronTriggerTimetable": "riir_airflow.sdk.timetables",
}
_LAZY_MODULES = {"timezone", "exceptions", "macros", "timetables"}

__all__ = [
    "DAG",
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetOrTimeSchedule",
    "BaseBranchOperator",
    "BaseHook",
    "BaseNotifier",
    "BaseOperator",
    "BaseSensorOperator",
    "BranchMixIn",
    "Connection",
    "Context",
    "CronDataIntervalTimetable",
    "CronTriggerTimetable",
    "DagRunState",
    "DeltaDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "EdgeModifier",
    "EventsTimetable",
    "Label",
    "MultipleCronTriggerTimetable",
    "Param",
    "ParamsDict",
    "PokeReturnValue",
    "SkipMixin",
    "TaskGroup",
    "TaskInstanceState",
    "TriggerRule",
    "Variable",
    "WeightRule",
    "XComArg",
    "__version__",
    "chain",
    "chain_linear",
    "cross_downstream",
    "dag",
    "get_current_context",
    "literal",
    "setup",
    "task",
    "task_group",
    "teardown",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _LAZY_MODULES:
        value = importlib.import_module("riir_airflow.macros" if name == "macros" else f"riir_airflow.sdk.{name}")
    else:
        raise AttributeError(f"module 'riir_airflow.sdk' has no attribute {name!r}")
    globals()[name] = value
    return value
