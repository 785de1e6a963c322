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
import threading
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pendulum

__all__ = ["WireError", "decode", "decode_datetime", "encode", "encode_datetime", "prepare", "record_fields"]

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
    return _encoder(tp)(value)


def decode(data: Any, tp: Any) -> Any:
    """JSON-compatible `data` as a value of type `tp`; WireError when it does not fit."""
    return _decoder(tp)(data)


# Each type gets its encoder and decoder built once, as closures over the converters of the
# types it contains: walking `typing` introspection per value cost more than the conversion
# itself, and the broker decodes every state update it receives (bench/broker_load.py).
Convert = typing.Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _unsupported(tp: Any, what: str) -> Convert:
    return _raiser(TypeError, f"type {tp!r} has no wire {what}")


_ENCODERS: dict[Any, Convert] = {}
_DECODERS: dict[Any, Convert] = {}
_BUILDING: set[tuple[str, Any]] = set()
_BUILD_LOCK = threading.RLock()


def _converter(kind: str, cache: dict[Any, Convert], build: Any, tp: Any) -> Convert:
    """The cached converter of `tp`, built by `build(tp)` on first use. Built under one lock (the
    app calls the codec from many threads), so no thread ever sees a half-built one; a record
    type that contains itself gets, inside its own build, a converter that looks the finished
    one up when first called."""
    found = cache.get(tp)
    if found is not None:
        return found
    with _BUILD_LOCK:
        found = cache.get(tp)
        if found is not None:
            return found
        mark = (kind, tp)
        if mark in _BUILDING:
            resolved: list[Convert] = []

            def deferred(value: Any) -> Any:
                if not resolved:
                    resolved.append(_converter(kind, cache, build, tp))
                return resolved[0](value)

            return deferred
        _BUILDING.add(mark)
        try:
            found = build(tp)
        finally:
            _BUILDING.discard(mark)
        cache[tp] = found
        return found


def _encoder(tp: Any) -> Convert:
    return _converter("encode", _ENCODERS, _build_encoder, tp)


def _decoder(tp: Any) -> Convert:
    return _converter("decode", _DECODERS, _build_decoder, tp)


def _build_encoder(tp: Any) -> Convert:
    if tp is Any:
        return _identity
    try:
        optional, inner = _optional_inner(tp)
    except TypeError as exc:
        return _raiser(TypeError, str(exc))
    # a record inside `X | None` goes through the cache (it may contain itself)
    convert = _encoder(inner) if optional and dataclasses.is_dataclass(inner) else _encoder_of(inner)
    if optional or inner is _NONE_TYPE:

        def encode_optional(value: Any) -> Any:
            return None if value is None else convert(value)

        return encode_optional
    required = f"None where {inner!r} is required"

    def encode_required(value: Any) -> Any:
        if value is None:
            raise WireError(required)
        return convert(value)

    return encode_required


def _raiser(kind: type[Exception], message: str) -> Convert:
    def fail(_value: Any) -> Any:
        raise kind(message)

    return fail


def _encoder_of(tp: Any) -> Convert:
    """The encoder of a non-optional type, for non-None values."""
    origin = typing.get_origin(tp) or tp
    if origin in _SEQUENCE_ORIGINS:
        (item,) = typing.get_args(tp)[:1] or (Any,)
        item_encode = _encoder(item)
        not_string = f"a string where a sequence of {item!r} is expected"

        def encode_sequence(value: Any) -> Any:
            if isinstance(value, (str, bytes)):
                raise WireError(not_string)
            return [item_encode(v) for v in value]

        return encode_sequence
    if origin in (dict, Mapping):
        args = typing.get_args(tp)
        value_encode = _encoder(args[1] if len(args) == 2 else Any)

        def encode_mapping(value: Any) -> Any:
            return {str(k): value_encode(v) for k, v in value.items()}

        return encode_mapping
    if isinstance(tp, type):
        if issubclass(tp, datetime.datetime):
            return encode_datetime
        if issubclass(tp, enum.Enum):
            return lambda value: tp(value).value
        if dataclasses.is_dataclass(tp):
            return _record_encoder(tp)
        if tp in (str, int, float, bool):
            return _identity
    return _unsupported(tp, "encoding")


def _record_encoder(tp: type) -> Convert:
    fields = [(name, _encoder(ftp)) for name, ftp, _ in record_fields(tp)]

    def encode_record(value: Any) -> Any:
        return {name: convert(getattr(value, name)) for name, convert in fields}

    return encode_record


def _build_decoder(tp: Any) -> Convert:
    if tp is Any:
        return _identity
    try:
        optional, inner = _optional_inner(tp)
    except TypeError as exc:
        return _raiser(TypeError, str(exc))
    convert = _decoder(inner) if optional and dataclasses.is_dataclass(inner) else _decoder_of(inner)
    if optional or inner is _NONE_TYPE:

        def decode_optional(data: Any) -> Any:
            return None if data is None else convert(data)

        return decode_optional
    required = f"null where {inner!r} is required"

    def decode_required(data: Any) -> Any:
        if data is None:
            raise WireError(required)
        return convert(data)

    return decode_required


def _decoder_of(tp: Any) -> Convert:
    """The decoder of a non-optional type, for non-None data."""
    origin = typing.get_origin(tp) or tp
    if origin in _SEQUENCE_ORIGINS:
        (item,) = typing.get_args(tp)[:1] or (Any,)
        item_decode = _decoder(item)
        as_tuple = origin is tuple

        def decode_sequence(data: Any) -> Any:
            if not isinstance(data, list):
                raise WireError(f"expected a list of {item!r}, got {type(data).__name__}")
            values = [item_decode(v) for v in data]
            return tuple(values) if as_tuple else values

        return decode_sequence
    if origin in (dict, Mapping):
        args = typing.get_args(tp)
        value_decode = _decoder(args[1] if len(args) == 2 else Any)

        def decode_mapping(data: Any) -> Any:
            if not isinstance(data, dict):
                raise WireError(f"expected an object, got {type(data).__name__}")
            return {k: value_decode(v) for k, v in data.items()}

        return decode_mapping
    if isinstance(tp, type):
        if issubclass(tp, datetime.datetime):

            def decode_dt(data: Any) -> Any:
                if not isinstance(data, str):
                    raise WireError(f"expected ISO datetime text, got {data!r}")
                return decode_datetime(data)

            return decode_dt
        if issubclass(tp, enum.Enum):

            def decode_enum(data: Any) -> Any:
                try:
                    return tp(data)
                except ValueError as exc:
                    raise WireError(str(exc)) from None

            return decode_enum
        if dataclasses.is_dataclass(tp):
            return _record_decoder(tp)
        return _scalar_decoder(tp)
    return _unsupported(tp, "decoding")


def _record_decoder(tp: type) -> Convert:
    fields = [(name, _decoder(ftp), required) for name, ftp, required in record_fields(tp)]
    name_of = tp.__name__

    def decode_record(data: Any) -> Any:
        if not isinstance(data, dict):
            raise WireError(f"expected an object for {name_of}, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        for name, convert, required in fields:
            if name in data:
                kwargs[name] = convert(data[name])
            elif required:
                raise WireError(f"{name_of} without its required field {name!r}")
        return tp(**kwargs)

    return decode_record


def _scalar_decoder(tp: type) -> Convert:
    # bool is an int in Python but not on the wire; an int is a fine float.
    if tp is bool:

        def decode_bool(data: Any) -> Any:
            if data is True or data is False:
                return data
            raise WireError(f"expected bool, got {data!r}")

        return decode_bool
    if tp is int:

        def decode_int(data: Any) -> Any:
            if type(data) is int or (isinstance(data, int) and not isinstance(data, bool)):
                return data
            raise WireError(f"expected int, got {data!r}")

        return decode_int
    if tp is float:

        def decode_float(data: Any) -> Any:
            if isinstance(data, (int, float)) and not isinstance(data, bool):
                return float(data)
            raise WireError(f"expected float, got {data!r}")

        return decode_float
    if tp is str:

        def decode_str(data: Any) -> Any:
            if isinstance(data, str):
                return data
            raise WireError(f"expected str, got {data!r}")

        return decode_str

    def decode_other(data: Any) -> Any:
        raise WireError(f"expected {tp.__name__}, got {data!r}")

    return decode_other


def prepare(*tps: Any) -> None:
    """Build (and cache) the encoders and decoders of `tps` now rather than on first use: a
    DAG app does it before forking its workers, so no try pays for it again."""
    for tp in tps:
        _encoder(tp)
        _decoder(tp)
