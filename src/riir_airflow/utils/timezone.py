"""`airflow.utils.timezone`: the 2.x path to the time zone helpers (`riir_airflow.sdk.timezone`).

`make_aware` and `make_naive` are kept here although Airflow 3 dropped them from this path:
riir serves 2.x DAG files too.
"""

from __future__ import annotations

from riir_airflow.sdk.timezone import (
    coerce_datetime,
    convert_to_utc,
    datetime,
    from_timestamp,
    is_localized,
    is_naive,
    local_timezone,
    make_aware,
    make_naive,
    parse,
    parse_timezone,
    utc,
    utc_epoch,
    utcnow,
)

__all__ = [
    "coerce_datetime",
    "convert_to_utc",
    "datetime",
    "from_timestamp",
    "is_localized",
    "is_naive",
    "local_timezone",
    "make_aware",
    "make_naive",
    "parse",
    "parse_timezone",
    "utc",
    "utc_epoch",
    "utcnow",
]
