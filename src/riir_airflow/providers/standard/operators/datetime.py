"""BranchDateTimeOperator: follow one branch inside a time window, the other outside it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from riir_airflow.sdk.skipmixin import BaseBranchOperator

__all__ = ["BranchDateTimeOperator", "target_times_as_dates"]


def target_times_as_dates(
    base: datetime.datetime, lower: datetime.datetime | datetime.time | None, upper: datetime.datetime | datetime.time | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """Times of day become datetimes on `base`'s date (an upper bound before the lower one is
    on the next day)."""
    def on_base(value: Any) -> datetime.datetime | None:
        if value is None or isinstance(value, datetime.datetime):
            return value
        return datetime.datetime.combine(base.date(), value, tzinfo=base.tzinfo)

    low, up = on_base(lower), on_base(upper)
    if low is not None and up is not None and up < low and isinstance(upper, datetime.time):
        up += datetime.timedelta(days=1)
    return low, up


class BranchDateTimeOperator(BaseBranchOperator):
    """`follow_task_ids_if_true` when lower <= now (or the logical date) < upper."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        target_lower: datetime.datetime | datetime.time | None,
        target_upper: datetime.datetime | datetime.time | None,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise ValueError("Both target_upper and target_lower are None. At least one must be defined.")
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        now = context["logical_date"] if self.use_task_logical_date else context["ti"].now()
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper)
        inside = (lower is None or lower <= now) and (upper is None or now < upper)
        return self.follow_task_ids_if_true if inside else self.follow_task_ids_if_false
