"""JSON codec for the typed messages that cross the app <-> broker boundary.

Contract:
- `encode(value, tp)` turns a value of type `tp` into JSON-compatible data; `decode(data, tp)`
  turns such data back into a value of type `tp`. `decode(encode(v, tp), tp) == v` for every
  record and message of `riir_airflow.store.records` and `riir_airflow.wire.messages`.
- Supported types: str, int, float, bool, None, `X | None`, list / Sequence / tuple[T, ...],
  dict[str, T], Any (JSON passed through, deep-copied on decode by construction), Enum (by
  value), datetime (UTC ISO-8601 text), and dataclasses (an object of their fields).
- Datetimes must be timezone-aware: a naive one raises ValueError when encoded (the stores
  refuse them too, and a wire that silently guessed a timezone would shift instants). They are
  decoded as `pendulum.DateTime` in UTC, as the Store contract returns them.
- Decoding a dataclass ignores unknown fields and fills missing ones from their defaults, so a
  peer one minor version ahead or behind still talks; a missing required field is a WireError.

Why not pydantic: the DAG app's install must stay tiny (DESIGN.md), so both sides share this
small, explicit codec driven by the dataclasses' own type hints; nothing is guessed at run time
from the data.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pendulum

__all__ = ["WireError", "decode", "decode_datetime", "encode", "encode_datetime", "record_fields"]

_NONE_TYPE = type(None)
_SEQUENCE_ORIGINS = (list, Sequence, tuple, typing.Sequence)


class WireError(ValueError):
    """Data that does not match the type it should decode to (a malformed or foreign message)."""


def encode_datetime(value: datetime.datetime) -> str:
    """An aware datetime as UTC ISO text with microseconds; ValueError for a naive one."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: only timezone-aware datetimes cross the wire")
    utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "+00:00"


def decode_datetime(text: str) -> pendulum.DateTime:
    """ISO text (any offset) as a `pendulum.DateTime` in UTC; WireError if it does not parse."""
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise WireError(f"not an ISO datetime: {text!r}") from exc
    if parsed.tzinfo is None:
        raise WireError(f"datetime without offset on the wire: {text!r}")
    return pendulum.instance(parsed.astimezone(datetime.UTC).replace(tzinfo=None), tz=pendulum.UTC)


@functools.cache
def record_fields(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    """(name, resolved type, required) of each field of dataclass `cls`, resolved once."""
    hints = typing.get_type_hints(cls)
    return tuple(
        (
            f.name,
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
        if f.init
    )


def _optional_inner(tp: Any) -> tuple[bool, Any]:
    """(True, X) for `X | None`; (False, tp) otherwise. Other unions are not wire types."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not _NONE_TYPE]
        if len(args) != 1:
            raise TypeError(f"unsupported union on the wire: {tp!r}")
        return True, args[0]
    return False, tp


def encode(value: Any, tp: Any) -> Any:
    """`value` (of type `tp`) as JSON-compatible data; see the module docstring."""
    if tp is Any:
        return value
    optional, tp = _optional_inner(tp)
    if value is None:
        if optional or tp is _NONE_TYPE:
            return None
        raise WireError(f"None where {tp!r} is required")
    origin = typing.get_origin(tp) or tp
    if origin in _SEQUENCE_ORIGINS:
        (item,) = typing.get_args(tp)[:1] or (Any,)
        if isinstance(value, (str, bytes)):
            raise WireError(f"a string where a sequence of {item!r} is expected")
        return [encode(v, item) for v in value]
    if origin in (dict, Mapping):
        args = typing.get_args(tp)
        item = args[1] if len(args) == 2 else Any
        return {str(k): encode(v, item) for k, v in value.items()}
    if isinstance(tp, type):
        if issubclass(tp, datetime.datetime):
            return encode_datetime(value)
        if issubclass(tp, enum.Enum):
            return tp(value).value
        if dataclasses.is_dataclass(tp):
            return {name: encode(getattr(value, name), ftp) for name, ftp, _ in record_fields(tp)}
        if tp in (str, int, float, bool):
            return value
    raise TypeError(f"type {tp!r} has no wire encoding")


def decode(data: Any, tp: Any) -> Any:
    """JSON-compatible `data` as a value of type `tp`; WireError when it does not fit."""
    if tp is Any:
        return data
    optional, tp = _optional_inner(tp)
    if data is None:
        if optional or tp is _NONE_TYPE:
            return None
        raise WireError(f"null where {tp!r} is required")
    origin = typing.get_origin(tp) or tp
    if origin in _SEQUENCE_ORIGINS:
        (item,) = typing.get_args(tp)[:1] or (Any,)
        if not isinstance(data, list):
            raise WireError(f"expected a list of {item!r}, got {type(data).__name__}")
        values = [decode(v, item) for v in data]
        return tuple(values) if origin is tuple else values
    if origin in (dict, Mapping):
        args = typing.get_args(tp)
        item = args[1] if len(args) == 2 else Any
        if not isinstance(data, dict):
            raise WireError(f"expected an object, got {type(data).__name__}")
        return {k: decode(v, item) for k, v in data.items()}
    if isinstance(tp, type):
        if issubclass(tp, datetime.datetime):
            if not isinstance(data, str):
                raise WireError(f"expected ISO datetime text, got {data!r}")
            return decode_datetime(data)
        if issubclass(tp, enum.Enum):
            try:
                return tp(data)
            except ValueError as exc:
                raise WireError(str(exc)) from None
        if dataclasses.is_dataclass(tp):
            return _decode_record(data, tp)
        return _decode_scalar(data, tp)
    raise TypeError(f"type {tp!r} has no wire decoding")


def _decode_record(data: Any, tp: type) -> Any:
    if not isinstance(data, dict):
        raise WireError(f"expected an object for {tp.__name__}, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for name, ftp, required in record_fields(tp):
        if name in data:
            kwargs[name] = decode(data[name], ftp)
        elif required:
            raise WireError(f"{tp.__name__} without its required field {name!r}")
    return tp(**kwargs)


def _decode_scalar(data: Any, tp: type) -> Any:
    # bool is an int in Python but not on the wire; an int is a fine float.
    if tp is bool and isinstance(data, bool):
        return data
    if tp is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if tp is float and isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    if tp is str and isinstance(data, str):
        return data
    raise WireError(f"expected {tp.__name__}, got {data!r}")
