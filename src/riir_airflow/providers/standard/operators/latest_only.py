"""LatestOnlyOperator: skip downstream work unless this is the latest scheduled run."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from riir_airflow.sdk.skipmixin import BaseBranchOperator

__all__ = ["LatestOnlyOperator"]

log = logging.getLogger("riir_airflow.task")


class LatestOnlyOperator(BaseBranchOperator):
    """Manual runs pass. A scheduled run passes only if "now" falls inside
    (this run's data interval end, the next run's data interval end]; the last run passes."""

    ui_color = "#e9ffdb"

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        from riir_airflow.sdk.timetables import TimeRestriction, next_run_info
        from riir_airflow.sdk.timezone import utcnow

        downstream = sorted(self.downstream_task_ids)
        dag_run = context["dag_run"]
        if dag_run.run_type == "manual":
            log.info("Manually triggered DAG_Run: allowing execution to proceed.")
            return downstream
        now = context["ti"].now() if hasattr(context["ti"], "now") else utcnow()
        next_info = next_run_info(
            self.dag.timetable,
            last_automated_data_interval=dag_run.data_interval,
            restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
            now=now,
        )
        if next_info is None or next_info.data_interval is None:
            log.info("Last scheduled execution: allowing execution to proceed.")
            return downstream
        left, right = dag_run.data_interval_end, next_info.data_interval.end
        log.info("Checking latest only: left_window=%s right_window=%s now=%s", left, right, now)
        if not left < now <= right:
            log.info("Not latest execution, skipping downstream.")
            return []
        log.info("Latest, allowing execution to proceed.")
        return downstream
