"""TriggerDagRunOperator: ask for a run of another (or the same) DAG.

The request is handed to the runtime (DagRunTriggerException), which records the run in the
store - the broker in production, so the target DAG's app picks it up - and pushes the new
run's id as the `trigger_run_id` XCom.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from riir_airflow.sdk.baseoperator import BaseOperator
from riir_airflow.sdk.exceptions import DagRunTriggerException

__all__ = ["XCOM_RUN_ID", "TriggerDagRunOperator"]

XCOM_RUN_ID = "trigger_run_id"


class TriggerDagRunOperator(BaseOperator):
    template_fields: Sequence[str] = (
        "trigger_dag_id",
        "trigger_run_id",
        "logical_date",
        "conf",
        "wait_for_completion",
        "skip_when_already_exists",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"conf": "py"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: str | datetime.datetime | None = None,
        run_after: datetime.datetime | None = None,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: int = 60,
        allowed_states: list[str] | None = None,
        failed_states: list[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        note: str | None = None,
        deferrable: bool = False,
        execution_date: str | datetime.datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.logical_date = logical_date if logical_date is not None else execution_date
        self.run_after = run_after
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = poke_interval
        self.allowed_states = allowed_states or ["success"]
        self.failed_states = failed_states or ["failed"]
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = fail_when_dag_is_paused
        self.note = note
        self.deferrable = deferrable

    def execute(self, context: Any) -> None:
        import json

        import pendulum

        from riir_airflow.sdk.timezone import utcnow

        if self.conf is not None:
            json.dumps(self.conf)  # conf must be JSON: fail here, not in the target DAG
        logical_date = self.logical_date
        if isinstance(logical_date, str):
            logical_date = pendulum.parse(logical_date)
        run_after = self.run_after or utcnow()
        raise DagRunTriggerException(
            trigger_dag_id=self.trigger_dag_id,
            dag_run_id=self.trigger_run_id,
            conf=self.conf or {},
            logical_date=logical_date,
            run_after=run_after,
            reset_dag_run=self.reset_dag_run,
            skip_when_already_exists=self.skip_when_already_exists,
            wait_for_completion=self.wait_for_completion,
            allowed_states=self.allowed_states,
            failed_states=self.failed_states,
            poke_interval=self.poke_interval,
            note=self.note,
        )
