"""ExternalTaskSensor: wait for tasks (or a whole run) of another DAG at a matching date.

The states are read through the running task instance, i.e. from the store: the local store in
`dags test`, the broker in production (which lets an app see other DAGs' run states only).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Sequence
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["ExternalTaskMarker", "ExternalTaskSensor"]


class ExternalTaskSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("external_dag_id", "external_task_id", "external_task_ids", "external_task_group_id")
    ui_color = "#4db7db"

    def __init__(
        self,
        *,
        external_dag_id: str,
        external_task_id: str | None = None,
        external_task_ids: Collection[str] | None = None,
        external_task_group_id: str | None = None,
        allowed_states: Collection[str] | None = None,
        skipped_states: Collection[str] | None = None,
        failed_states: Collection[str] | None = None,
        execution_delta: datetime.timedelta | None = None,
        execution_date_fn: Callable[..., Any] | None = None,
        check_existence: bool = False,
        poll_interval: float = 2.0,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if external_task_id is not None and external_task_ids is not None:
            raise ValueError("Only one of `external_task_id` or `external_task_ids` may be provided")
        if execution_delta is not None and execution_date_fn is not None:
            raise ValueError("Only one of `execution_delta` or `execution_date_fn` may be provided")
        self.external_dag_id = external_dag_id
        self.external_task_id = external_task_id
        self.external_task_ids = list(external_task_ids) if external_task_ids else ([external_task_id] if external_task_id else None)
        self.external_task_group_id = external_task_group_id
        watching_tasks = bool(self.external_task_ids or external_task_group_id)
        self.allowed_states = list(allowed_states or ["success"])
        self.skipped_states = list(skipped_states or [])
        self.failed_states = list(failed_states or [])
        self.watching_tasks = watching_tasks
        self.execution_delta = execution_delta
        self.execution_date_fn = execution_date_fn
        self.check_existence = check_existence
        self.poll_interval = poll_interval
        self.deferrable = deferrable

    def _dates(self, context: Context) -> list[datetime.datetime]:
        logical_date = context.get("logical_date")
        if self.execution_delta is not None:
            return [logical_date - self.execution_delta]
        if self.execution_date_fn is not None:
            from riir_airflow.providers.standard.operators.python import determine_kwargs

            result = self.execution_date_fn(logical_date, **determine_kwargs(self.execution_date_fn, [logical_date], context))
            return list(result) if isinstance(result, (list, tuple)) else [result]
        return [logical_date]

    def _count(self, ti: Any, dates: list[datetime.datetime], states: list[str]) -> int:
        if self.watching_tasks:
            return ti.get_ti_count(
                dag_id=self.external_dag_id,
                task_ids=self.external_task_ids,
                task_group_id=self.external_task_group_id,
                logical_dates=dates,
                states=states,
            )
        return ti.get_dr_count(dag_id=self.external_dag_id, logical_dates=dates, states=states)

    def poke(self, context: Context) -> bool:
        ti = context["ti"]
        dates = self._dates(context)
        if self.check_existence and not ti.dag_exists(self.external_dag_id):
            raise AirflowException(f"The external DAG {self.external_dag_id} does not exist.")
        expected = len(dates) * (len(self.external_task_ids) if self.external_task_ids else 1)
        if self.failed_states and self._count(ti, dates, self.failed_states) > 0:
            what = f"tasks {self.external_task_ids}" if self.watching_tasks else "run"
            raise AirflowFailException(f"The external {what} of DAG {self.external_dag_id} failed.")
        if self.skipped_states and self._count(ti, dates, self.skipped_states) > 0:
            raise AirflowSkipException(f"The external DAG {self.external_dag_id} reached a skipped state.")
        if self.external_task_group_id and not self.external_task_ids:
            total = self._count(ti, dates, [])
            return total > 0 and self._count(ti, dates, self.allowed_states) == total
        return self._count(ti, dates, self.allowed_states) == expected


class ExternalTaskMarker:
    """Accepted for DAG-file compatibility; clearing across DAGs is done through the broker."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from riir_airflow.providers.standard.operators.empty import EmptyOperator

        for key in ("external_dag_id", "external_task_id", "logical_date", "execution_date", "recursion_depth"):
            kwargs.pop(key, None)
        return EmptyOperator(**kwargs)
