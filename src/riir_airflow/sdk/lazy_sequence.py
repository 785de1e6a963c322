"""LazyXComSequence: every instance's XCom of a mapped task, in map-index order, read lazily.

A task downstream of a mapped task that pulls its XCom without naming map indexes gets this
sequence (Airflow 3's name and string form), so a reducer sees all the mapped results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

__all__ = ["LazyXComSequence"]


class LazyXComSequence(Sequence[Any]):
    def __init__(self, load: Callable[[], list[Any]]) -> None:
        self._load = load
        self._values: list[Any] | None = None

    def _all(self) -> list[Any]:
        if self._values is None:
            self._values = list(self._load())
        return self._values

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyXComSequence):
            return self._all() == other._all()
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._all() == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        if self._values is None:
            return "LazyXComSequence(<unevaluated length>)"
        return f"LazyXComSequence([{len(self._values)} items])"

    __str__ = __repr__
