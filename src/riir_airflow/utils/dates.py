"""`airflow.utils.dates`: the 2.x date helpers DAG files still call.

`days_ago` was removed in Airflow 3 but is common in 2.x DAGs (`start_date=days_ago(1)`), so it
stays here, with the deprecation warning 2.x gave. It returns midnight UTC `n` days before now,
which makes the DAG's start date move every day: the reason Airflow deprecated it.
"""

from __future__ import annotations

import datetime as dt
import warnings

from riir_airflow.sdk.exceptions import RemovedInAirflow3Warning
from riir_airflow.sdk.timezone import parse, utcnow

__all__ = ["days_ago", "parse_execution_date"]


def days_ago(n: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> dt.datetime:
    """`n` days before today at the given UTC time of day (midnight by default), aware in UTC."""
    warnings.warn(
        "days_ago is deprecated (removed in Airflow 3); pass a fixed pendulum.datetime(...) instead.",
        RemovedInAirflow3Warning,
        stacklevel=2,
    )
    today = utcnow().replace(hour=hour, minute=minute, second=second, microsecond=microsecond)
    return today - dt.timedelta(days=n)


def parse_execution_date(execution_date_str: str) -> dt.datetime:
    """Parse a logical date string; one without an offset is read in the default time zone."""
    return parse(execution_date_str)
