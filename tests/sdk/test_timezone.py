"""Time zone helpers: default zone from config, aware/naive conversions, 2.x date helpers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pendulum
import pytest

from riir_airflow.sdk import timezone
from riir_airflow.sdk.exceptions import RemovedInAirflow3Warning
from riir_airflow.utils import dates
from riir_airflow.utils import timezone as utils_timezone


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.delenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", raising=False)


@pytest.fixture
def amsterdam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Europe/Amsterdam")


def test_default_timezone_is_utc() -> None:
    assert timezone.default_timezone().name == "UTC"


def test_default_timezone_follows_config(amsterdam: None) -> None:
    assert timezone.default_timezone().name == "Europe/Amsterdam"


def test_utcnow_is_aware_utc() -> None:
    now = timezone.utcnow()
    assert now.utcoffset() == dt.timedelta(0)
    assert abs(now - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_datetime_is_aware_in_default_timezone(amsterdam: None) -> None:
    value = timezone.datetime(2024, 1, 1, 6)
    assert value.utcoffset() == dt.timedelta(hours=1)
    assert timezone.datetime(2024, 1, 1, tzinfo=dt.UTC).utcoffset() == dt.timedelta(0)


def test_parse_reads_naive_strings_in_default_timezone(amsterdam: None) -> None:
    assert timezone.parse("2024-03-05T06:00:00").utcoffset() == dt.timedelta(hours=1)
    assert timezone.parse("2024-03-05T06:00:00+00:00").utcoffset() == dt.timedelta(0)
    assert timezone.parse("2024-03-05T06:00", timezone="UTC").hour == 6


def test_parse_rejects_non_datetimes() -> None:
    with pytest.raises(ValueError, match="not a date-time"):
        timezone.parse("P1D")


def test_convert_to_utc_keeps_the_instant(amsterdam: None) -> None:
    ams = pendulum.datetime(2024, 3, 5, 6, tz="Europe/Amsterdam")
    assert timezone.convert_to_utc(ams) == pendulum.datetime(2024, 3, 5, 5, tz="UTC")
    naive = timezone.convert_to_utc(dt.datetime(2024, 3, 5, 6))
    assert isinstance(naive, pendulum.DateTime)
    assert (naive.hour, naive.utcoffset()) == (5, dt.timedelta(0))
    assert timezone.convert_to_utc(None) is None


def test_make_aware_attaches_zone_and_refuses_aware_values() -> None:
    ams = timezone.parse_timezone("Europe/Amsterdam")
    aware = timezone.make_aware(dt.datetime(2024, 7, 1, 12), ams)
    assert aware.utcoffset() == dt.timedelta(hours=2)
    with pytest.raises(ValueError, match="make_aware expects a naive datetime"):
        timezone.make_aware(aware, ams)
    assert timezone.make_aware(None) is None


def test_make_aware_ambiguous_time_is_the_second_occurrence() -> None:
    ams = timezone.parse_timezone("Europe/Amsterdam")
    value = timezone.make_aware(dt.datetime(2024, 10, 27, 2, 30), ams)
    assert value.utcoffset() == dt.timedelta(hours=1)


def test_make_naive_converts_then_drops_the_zone() -> None:
    ams = timezone.parse_timezone("Europe/Amsterdam")
    naive = timezone.make_naive(pendulum.datetime(2024, 7, 1, 10, tz="UTC"), ams)
    assert naive == dt.datetime(2024, 7, 1, 12)
    assert naive.tzinfo is None
    with pytest.raises(ValueError, match="naive datetime"):
        timezone.make_naive(dt.datetime(2024, 1, 1))


def test_is_localized_and_is_naive() -> None:
    assert timezone.is_localized(timezone.utcnow())
    assert timezone.is_naive(dt.datetime(2024, 1, 1))


def test_coerce_datetime_keeps_zone_and_localizes_naive(amsterdam: None) -> None:
    from zoneinfo import ZoneInfo

    aware = timezone.coerce_datetime(dt.datetime(2024, 1, 1, tzinfo=ZoneInfo("America/New_York")))
    assert isinstance(aware, pendulum.DateTime)
    assert aware.timezone_name == "America/New_York"
    naive = timezone.coerce_datetime(dt.datetime(2024, 1, 1))
    assert naive.timezone_name == "Europe/Amsterdam"
    assert timezone.coerce_datetime(dt.datetime(2024, 1, 1), tz=timezone.utc).timezone_name == "UTC"
    assert timezone.coerce_datetime(None) is None


def test_from_timestamp_in_utc_or_given_zone() -> None:
    assert timezone.from_timestamp(0) == timezone.utc_epoch()
    assert timezone.from_timestamp(0, "Europe/Amsterdam").hour == 1


def test_utils_timezone_reexports_the_sdk_helpers() -> None:
    assert utils_timezone.utcnow is timezone.utcnow
    assert utils_timezone.make_aware is timezone.make_aware
    assert utils_timezone.convert_to_utc is timezone.convert_to_utc


def test_days_ago_is_midnight_utc_n_days_back_with_warning() -> None:
    with pytest.warns(RemovedInAirflow3Warning):
        value = dates.days_ago(2)
    expected = (timezone.utcnow() - dt.timedelta(days=2)).date()
    assert value.date() == expected
    assert (value.hour, value.minute, value.utcoffset()) == (0, 0, dt.timedelta(0))


def test_parse_execution_date_uses_default_timezone(amsterdam: None) -> None:
    assert dates.parse_execution_date("2024-01-01T00:00:00").utcoffset() == dt.timedelta(hours=1)
