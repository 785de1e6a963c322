"""The "argument not given" sentinel (`NOTSET`) shared by the whole SDK.

`None` is a meaningful value in many Airflow signatures (`Variable.get(key, default=None)` returns
None for a missing key, `Param(None, type=["null", "string"])` has a default), so "no argument"
needs its own marker. Providers import it from `airflow.sdk.definitions._internal.types` and
`airflow.utils.types`; those paths re-export these names.

`NOTSET` is a process-wide singleton and stays one through `copy`, `deepcopy` and pickling, so
identity checks (`value is NOTSET`) keep working on DAGs that were copied or sent to a worker.
"""

from __future__ import annotations

from typing import Any, Final, Self, TypeGuard

__all__ = ["NOTSET", "ArgNotSet", "is_arg_set"]


class ArgNotSet:
    """Type of `NOTSET`. Do not instantiate it: compare with `is NOTSET` or use `is_arg_set`."""

    _instance: ArgNotSet | None = None

    def __new__(cls) -> Self:
        # One instance only: `ArgNotSet()` anywhere (including unpickling) yields NOTSET.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOTSET"

    def __copy__(self) -> ArgNotSet:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ArgNotSet:
        return self

    def __reduce__(self) -> str:
        return "NOTSET"

    @staticmethod
    def serialize() -> str:
        return "NOTSET"

    @classmethod
    def deserialize(cls) -> ArgNotSet:
        return NOTSET


NOTSET: Final[ArgNotSet] = ArgNotSet()


def is_arg_set[T](value: T | ArgNotSet) -> TypeGuard[T]:
    """True when `value` is a real argument (anything but `NOTSET`, `None` included)."""
    return not isinstance(value, ArgNotSet)
