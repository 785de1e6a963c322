"""EmptyOperator: a task that does nothing (a join point, a placeholder)."""

from __future__ import annotations

from typing import Any

from riir_airflow.sdk.baseoperator import BaseOperator

__all__ = ["EmptyOperator"]


class EmptyOperator(BaseOperator):
    """Does nothing; the runner may mark it success without executing it."""

    ui_color = "#e8f7e4"
    inherits_from_empty_operator = True

    def execute(self, context: Any) -> None:
        pass
