"""The task context: what templates see and what `get_current_context()` returns.

The runtime builds the context (riir_airflow.runtime.context) and makes it current while a
task executes; authoring code only reads it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["Context", "context_merge", "get_current_context", "set_current_context"]


class Context(dict):  # type: ignore[type-arg]
    """A task's context: a dict of Airflow's context keys (ds, ti, params, ...)."""


_CURRENT: list[Context] = []


def get_current_context() -> Context:
    """The context of the task executing right now; RuntimeError outside a task."""
    if not _CURRENT:
        raise RuntimeError(
            "Current context was requested but no context was found! Are you running within an Airflow task?"
        )
    return _CURRENT[-1]


@contextlib.contextmanager
def set_current_context(context: Context) -> Iterator[Context]:
    _CURRENT.append(context)
    try:
        yield context
    finally:
        _CURRENT.pop()


def context_merge(context: Context, *args: Any, **kwargs: Any) -> None:
    """Merge dicts and keyword arguments into a context in place."""
    context.update(*args, **kwargs)
