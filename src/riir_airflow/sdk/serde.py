"""XCom values as JSON text: the one encoding shared by the runtime, stores and the broker.

Plain JSON types pass through. Values JSON cannot express exactly (tuples, sets, datetimes,
dates, timedeltas) are tagged so they come back as the same type; anything else is refused,
as Airflow refuses to push an XCom it cannot serialize.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

__all__ = ["deserialize_value", "serialize_value", "to_plain_json"]

_TAG = "__riir_type__"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, tuple)):
        return [_encode(v) for v in value]  # e.g. a LazyXComSequence returned by a reducer
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                raise TypeError(f"XCom dict keys must be strings, got {type(k).__name__}: {k!r}")
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [_encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {_TAG: "set", "v": [_encode(v) for v in sorted(value, key=repr)]}
    if isinstance(value, datetime.datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {_TAG: "timedelta", "v": value.total_seconds()}
    raise TypeError(f"cannot serialize object of type {type(value).__name__} to XCom")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag is None:
            return {k: _decode(v) for k, v in value.items()}
        raw = value["v"]
        if tag == "tuple":
            return tuple(_decode(v) for v in raw)
        if tag == "set":
            return {_decode(v) for v in raw}
        if tag == "datetime":
            import pendulum

            return pendulum.parse(raw)
        if tag == "date":
            return datetime.date.fromisoformat(raw)
        if tag == "timedelta":
            return datetime.timedelta(seconds=raw)
    return value


def serialize_value(value: Any) -> str:
    return json.dumps(_encode(value), separators=(",", ":"))


def deserialize_value(text: str) -> Any:
    return _decode(json.loads(text))


def to_plain_json(value: Any) -> Any:
    """The value as plain JSON data (tuples -> lists, datetimes -> ISO strings), for reports."""
    return json.loads(json.dumps(value, default=_plain_default))


def _plain_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return str(value)
