"""Template macros (`macros.*`): the spec's examples and the lazily imported modules."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
import time
import uuid

import pytest

from riir_airflow import macros

# By module name: `riir_airflow.sdk.macros` as a package attribute is the public macros module.
sdk_macros = importlib.import_module("riir_airflow.sdk.macros")


def test_ds_add_adds_and_subtracts_days() -> None:
    assert macros.ds_add("2015-01-01", 5) == "2015-01-06"
    assert macros.ds_add("2015-01-06", -5) == "2015-01-01"
    assert macros.ds_add("2024-02-28", 1) == "2024-02-29"


def test_ds_add_zero_returns_input_unchanged() -> None:
    assert macros.ds_add("2015-1-1", 0) == "2015-1-1"


def test_ds_format_reformats() -> None:
    assert macros.ds_format("2015-01-01", "%Y-%m-%d", "%m-%d-%y") == "01-01-15"
    assert macros.ds_format("1/5/2015", "%m/%d/%Y", "%Y-%m-%d") == "2015-01-05"


def test_ds_format_locale_uses_babel_patterns() -> None:
    pytest.importorskip("babel")
    assert macros.ds_format_locale("2015-01-01", "%Y-%m-%d", "EEEE dd MMMM", "de") == "Donnerstag 01 Januar"
    assert macros.ds_format_locale("2015-01-01", "%Y-%m-%d", "EEEE", "en_US") == "Thursday"


def test_ds_format_locale_without_babel_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "babel", None)
    monkeypatch.setitem(sys.modules, "babel.dates", None)
    with pytest.raises(ImportError, match="needs the Babel package"):
        macros.ds_format_locale("2015-01-01", "%Y-%m-%d", "EEEE")


def test_datetime_diff_for_humans_between_two_dates() -> None:
    assert (
        macros.datetime_diff_for_humans(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3)) == "2 days before"
    )
    assert macros.datetime_diff_for_humans(dt.datetime(2024, 1, 3), dt.datetime(2024, 1, 1)) == "2 days after"


def test_datetime_diff_for_humans_defaults_to_now() -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    assert macros.datetime_diff_for_humans(past) == "3 hours ago"


def test_macro_objects_are_the_stdlib_ones() -> None:
    assert macros.datetime is dt.datetime
    assert macros.timedelta is dt.timedelta
    assert macros.time is time
    assert macros.uuid is uuid
    assert macros.json is json
    import random

    assert macros.random is random.random
    assert 0 <= macros.random() < 1


def test_dateutil_is_loaded_on_access_with_its_submodules() -> None:
    rd = macros.dateutil.relativedelta.relativedelta(months=1)
    assert dt.date(2024, 1, 31) + rd == dt.date(2024, 2, 29)
    assert macros.dateutil.parser.parse("2024-01-02").day == 2


def test_yaml_is_imported_on_access() -> None:
    pytest.importorskip("yaml")
    assert macros.yaml.safe_load("a: 1") == {"a": 1}


def test_yaml_without_pyyaml_is_attribute_error_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    monkeypatch.delitem(sdk_macros.__dict__, "yaml", raising=False)
    with pytest.raises(AttributeError, match="needs PyYAML"):
        _ = sdk_macros.yaml


def test_star_import_does_not_need_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    monkeypatch.delitem(sdk_macros.__dict__, "yaml", raising=False)
    # `from riir_airflow.macros import *` fetches every name in __all__.
    fetched = {name: getattr(macros, name) for name in macros.__all__}
    assert fetched["ds_add"] is macros.ds_add
    assert "yaml" not in macros.__all__


def test_importing_macros_does_not_import_yaml_or_dateutil() -> None:
    code = (
        "import sys\n"
        "import riir_airflow.macros\n"
        "print('yaml' in sys.modules, 'dateutil.rrule' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "False"


def test_unknown_macro_is_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = macros.no_such_macro
    assert importlib.import_module("riir_airflow.macros") is macros
