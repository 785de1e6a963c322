"""Airflow's `BaseOperatorLink`: an extra link an operator shows in the UI."""

from __future__ import annotations

from typing import Any

__all__ = ["BaseOperatorLink"]


class BaseOperatorLink:
    """Subclass with a `name` and `get_link(operator, *, ti_key)` returning a URL."""

    name: str = ""
    operators: list[type] = []  # noqa: RUF012 - Airflow's public class attribute

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        raise NotImplementedError
