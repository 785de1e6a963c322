"""Template macros: what `{{ macros.* }}` gives in templates and `airflow.macros` gives in code.

Functions: `ds_add`, `ds_format`, `ds_format_locale` (needs Babel), `datetime_diff_for_humans`.
Objects: `datetime` (the class), `timedelta`, `time`, `uuid`, `json` (modules), `random` (the
function `random.random`, not the module: Airflow's choice), `dateutil` and `yaml` (modules).

`dateutil` and `yaml` are imported when first accessed, not with this module: PyYAML is not a
riir dependency, and a DAG that never touches `macros.yaml` should not need it. Accessing
`macros.yaml` without PyYAML raises AttributeError (what Jinja turns into an undefined-value
error) with a message saying what to install.

Plugins' macros (`macros.<plugin_name>.<macro>`) are attached by the plugin loader, not here.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta
from random import random
from typing import Any

import pendulum

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
# `yaml` is deliberately not in __all__: `from ... import *` must not fail without PyYAML.

dateutil: Any  # both loaded on first access, by __getattr__ below
yaml: Any


def ds_add(ds: str, days: int) -> str:
    """Add (or subtract) `days` to a `YYYY-MM-DD` date string: `ds_add("2015-01-01", 5)` is
    `"2015-01-06"`. With 0 days the input is returned unchanged, even if not canonical."""
    if not days:
        return str(ds)
    moved = datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)
    return moved.strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """Re-format a date string: `ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y")` is `"01-01-15"`."""
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def ds_format_locale(ds: str, input_format: str, output_format: str, locale: Any = None) -> str:
    """Re-format a date string with a Babel (CLDR) pattern in a locale, e.g. `"EEEE dd MMMM"`.

    Needs the optional Babel package; without it, calling this raises ImportError saying so.
    `locale=None` uses Babel's default (the process's LC_TIME).
    """
    try:
        from babel.dates import LC_TIME, format_datetime
    except ImportError:
        raise ImportError("macros.ds_format_locale needs the Babel package: pip install babel") from None
    parsed = datetime.strptime(str(ds), input_format)
    return format_datetime(parsed, format=output_format, locale=locale or LC_TIME)


def datetime_diff_for_humans(dt: Any, since: Any = None) -> str:
    """How far `dt` is from `since` (default: now) in words: `"2 days ago"`, `"in 1 hour"`.

    Naive datetimes are taken as UTC.
    """
    other = pendulum.instance(since) if since is not None else None
    return pendulum.instance(dt).diff_for_humans(other)


def _load_dateutil() -> Any:
    import dateutil
    import dateutil.parser
    import dateutil.relativedelta
    import dateutil.rrule
    import dateutil.tz

    return dateutil


def _load_yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise AttributeError("macros.yaml needs PyYAML, which is not installed: pip install pyyaml") from None
    return yaml


_LAZY = {"dateutil": _load_dateutil, "yaml": _load_yaml}


def __getattr__(name: str) -> Any:
    loader = _LAZY.get(name)
    if loader is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = loader()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
