"""Run types and run ids, formatted as Airflow 3 formats them."""

from __future__ import annotations

import datetime
import random
import string
from enum import Enum

__all__ = ["DagRunType", "generate_run_id"]


class DagRunType(str, Enum):
    """Why a run exists. `str()` gives `DagRunType.MANUAL`, as `{{ dag_run.run_type }}` renders
    in Airflow 3; comparisons with the plain value (`== "manual"`) hold."""

    BACKFILL_JOB = "backfill"
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    ASSET_TRIGGERED = "asset_triggered"
    ASSET_MATERIALIZATION = "asset_materialization"
    OPERATOR_TRIGGERED = "operator_triggered"

    def generate_run_id(self, *, logical_date: datetime.datetime | None, run_after: datetime.datetime) -> str:
        return generate_run_id(run_type=self, logical_date=logical_date, run_after=run_after)

    @staticmethod
    def from_run_id(run_id: str) -> DagRunType:
        for run_type in DagRunType:
            if run_id and run_id.startswith(f"{run_type.value}__"):
                return run_type
        return DagRunType.MANUAL


def generate_run_id(
    *, run_type: DagRunType | str, logical_date: datetime.datetime | None, run_after: datetime.datetime
) -> str:
    """`<type>__<run_after ISO>`, plus `_<8 random chars>` when the run has no logical date."""
    run_type = DagRunType(run_type)
    run_id = f"{run_type.value}__{run_after.isoformat()}"
    if logical_date is None:
        suffix = "".join(random.choices(string.ascii_letters + string.digits, k=8))
        run_id = f"{run_id}_{suffix}"
    return run_id
