"""The Store's operations as wire calls: one per `Store` method, typed by the protocol itself.

Contract:
- `STORE_OPS[name]` describes the Store method `name` (every public method but `close`): its
  parameters and result type, read straight from `riir_airflow.store.protocol.Store`, so the
  broker endpoint, the client and the protocol cannot drift apart; and whether it writes.
- `encode_args(op, kwargs)` binds the call like Python would (defaults filled in, unknown or
  missing arguments raise TypeError) and encodes every argument; `decode_args(op, data)` is
  its inverse on the broker (missing arguments take the protocol's defaults, unknown ones are
  a WireError).
- Each op is served at `POST /internal/v1/store/<name>` (`op.path`). POST for reads too: the
  filters are typed values (sequences, datetimes) that do not fit a query string without a
  second encoding, and nothing between app and broker caches.

Why derived: a new Store method written into the protocol becomes a wire op with no second
declaration; only its read/write classification below (and its authorization rule in the
broker) must be added, and tests/broker pin that every op has both.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from riir_airflow.wire.codec import WireError, decode, encode

__all__ = [
    "READ_OPS",
    "STORE_OPS",
    "WRITE_OPS",
    "Param",
    "StoreOp",
    "decode_args",
    "encode_args",
    "store_ops",
]

READ_OPS = frozenset(
    {
        "get_dag_run", "list_dag_runs", "get_task_instances", "get_task_instance",
        "get_task_instance_tries", "get_xcoms", "get_rendered_fields", "read_log", "get_variable",
        "get_connection", "get_asset_events", "get_dag_schedule", "dags_triggered_by",
        "get_dag_run_asset_events", "get_deferrals",
    }
)  # fmt: skip
"""Operations that change nothing: safe to retry, and served to standby replicas too."""

WRITE_OPS = frozenset(
    {
        "create_dag_run", "update_dag_run", "delete_dag_run", "requeue_dag_run", "put_task_instances",
        "delete_task_instance", "clear_task_instances", "set_xcom", "delete_xcoms",
        "set_rendered_fields", "append_log", "set_variable", "delete_variable", "set_connection",
        "delete_connection", "record_asset_event", "register_dag_schedule",
        "consume_asset_dag_run_queue", "set_deferral", "delete_deferral",
    }
)  # fmt: skip
"""Operations that change state: they carry fencing tokens and a request id (replayed once)."""

_NO_DEFAULT: Any = inspect.Parameter.empty


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a Store method: name, resolved type, default (`_NO_DEFAULT` if none)."""

    name: str
    type: Any
    default: Any = _NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(frozen=True, slots=True)
class StoreOp:
    """One Store method as a wire operation."""

    name: str
    params: tuple[Param, ...]
    result: Any
    write: bool

    @property
    def path(self) -> str:
        return f"/internal/v1/store/{self.name}"


def _op_of(name: str, method: Any) -> StoreOp:
    hints = typing.get_type_hints(method)
    signature = inspect.signature(method)
    params = tuple(
        Param(p.name, hints[p.name], p.default) for p in signature.parameters.values() if p.name != "self"
    )
    return StoreOp(name=name, params=params, result=hints.get("return", type(None)), write=name in WRITE_OPS)


@functools.cache
def store_ops() -> dict[str, StoreOp]:
    """Every operation of the Store protocol, by name (computed once, on first use)."""
    from riir_airflow.store.protocol import Store

    ops: dict[str, StoreOp] = {}
    for name, member in inspect.getmembers(Store, inspect.isfunction):
        if name.startswith("_") or name == "close":
            continue
        ops[name] = _op_of(name, member)
    return ops


class _LazyOps(Mapping[str, StoreOp]):
    """`STORE_OPS`: a read-only mapping resolved on first access (keeps imports free of work)."""

    def __getitem__(self, name: str) -> StoreOp:
        return store_ops()[name]

    def __iter__(self) -> typing.Iterator[str]:
        return iter(store_ops())

    def __len__(self) -> int:
        return len(store_ops())


STORE_OPS: Mapping[str, StoreOp] = _LazyOps()


def encode_args(op: StoreOp, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Bind a call of `op` as Python would (TypeError on a bad call) and encode every argument."""
    values: dict[str, Any] = {}
    positional = list(args)
    for param in op.params:
        if positional:
            if param.name in kwargs:
                raise TypeError(f"{op.name}() got multiple values for argument {param.name!r}")
            values[param.name] = positional.pop(0)
        elif param.name in kwargs:
            values[param.name] = kwargs[param.name]
        elif param.required:
            raise TypeError(f"{op.name}() missing required argument {param.name!r}")
        else:
            values[param.name] = param.default
    unknown = set(kwargs) - {p.name for p in op.params}
    if positional or unknown:
        raise TypeError(f"{op.name}() got unexpected arguments {sorted(unknown) or positional!r}")
    return {p.name: encode(values[p.name], p.type) for p in op.params}


def decode_args(op: StoreOp, data: Any) -> dict[str, Any]:
    """The keyword arguments of a call of `op` from its wire form; WireError if malformed."""
    if not isinstance(data, dict):
        raise WireError(f"{op.name}: arguments must be an object")
    names = {p.name for p in op.params}
    unknown = set(data) - names
    if unknown:
        raise WireError(f"{op.name}: unknown arguments {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for param in op.params:
        if param.name in data:
            kwargs[param.name] = decode(data[param.name], param.type)
        elif param.required:
            raise WireError(f"{op.name}: missing argument {param.name!r}")
    return kwargs
