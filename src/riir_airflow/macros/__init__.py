"""`airflow.macros`: the public path of the template macros (`riir_airflow.sdk.macros`).

`dateutil` and `yaml` are forwarded lazily, so importing this module never needs PyYAML.
"""

from __future__ import annotations

import importlib
from typing import Any

from riir_airflow.sdk.macros import (
    datetime,
    datetime_diff_for_humans,
    ds_add,
    ds_format,
    ds_format_locale,
    json,
    random,
    time,
    timedelta,
    uuid,
)

__all__ = [
    "datetime",
    "datetime_diff_for_humans",
    "dateutil",
    "ds_add",
    "ds_format",
    "ds_format_locale",
    "json",
    "random",
    "time",
    "timedelta",
    "uuid",
]

dateutil: Any  # forwarded on first access by __getattr__
yaml: Any


def __getattr__(name: str) -> Any:
    if name in ("dateutil", "yaml"):
        # By module name: `riir_airflow.sdk.macros` as an attribute may be this very module.
        return getattr(importlib.import_module("riir_airflow.sdk.macros"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
