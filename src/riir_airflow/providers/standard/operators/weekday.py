"""BranchDayOfWeekOperator: follow one branch on the given weekday(s), the other otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from riir_airflow.providers.standard.utils.weekday import WeekDay
from riir_airflow.sdk.skipmixin import BaseBranchOperator

__all__ = ["BranchDayOfWeekOperator"]


class BranchDayOfWeekOperator(BaseBranchOperator):
    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        week_day: Any,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._days = WeekDay.validate_week_day(week_day)

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        when = context["logical_date"] if self.use_task_logical_date else context["ti"].now()
        return self.follow_task_ids_if_true if when.isoweekday() in self._days else self.follow_task_ids_if_false
