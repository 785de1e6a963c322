"""Exceptions a DAG author raises or catches, with Airflow's names and meanings.

What each one does to a task instance's state is decided in `riir_airflow.engine`; here they
only carry data. `AirflowTaskTimeout` derives from BaseException as in Airflow, so user code's
`except Exception` cannot swallow a timeout.
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = [
    "AirflowClusterPolicyViolation",
    "AirflowConfigException",
    "AirflowDagCycleException",
    "AirflowDagDuplicatedIdException",
    "AirflowException",
    "AirflowFailException",
    "AirflowNotFoundException",
    "AirflowRescheduleException",
    "AirflowRuntimeError",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTerminated",
    "AirflowTaskTimeout",
    "DagRunTriggerException",
    "DownstreamTasksSkipped",
    "DuplicateTaskIdFound",
    "FailFastDagInvalidTriggerRule",
    "ParamValidationError",
    "RemovedInAirflow3Warning",
    "TaskAlreadyInTaskGroup",
    "TaskDeferralError",
    "TaskDeferralTimeout",
    "TaskDeferred",
    "UnmappableXComTypePushed",
    "XComForMappingNotPushed",
    "XComNotFound",
]


class AirflowException(Exception):
    """Base of Airflow's exceptions; raising it from a task makes the try fail (retryable)."""

    status_code = 500


class AirflowNotFoundException(AirflowException):
    status_code = 404


class AirflowConfigException(AirflowException):
    pass


class AirflowSkipException(AirflowException):
    """Ends the task as skipped, without retry."""


class AirflowFailException(AirflowException):
    """Fails the task at once, ignoring remaining retries."""


class AirflowSensorTimeout(AirflowException):
    """A sensor ran out of time: failed without retry (skipped with soft_fail)."""


class AirflowTaskTimeout(BaseException):
    """`execution_timeout` exceeded. A BaseException so `except Exception` cannot swallow it."""


class AirflowTaskTerminated(BaseException):
    """The task was killed from outside (kill command, shutdown)."""


class AirflowRescheduleException(AirflowException):
    """Puts the task in up_for_reschedule until `reschedule_date`."""

    def __init__(self, reschedule_date: datetime.datetime) -> None:
        super().__init__()
        self.reschedule_date = reschedule_date

    def serialize(self) -> tuple[str, tuple, dict]:
        return "AirflowRescheduleException", (), {"reschedule_date": self.reschedule_date}


class TaskDeferred(BaseException):
    """Raised by `BaseOperator.defer`: the task waits for `trigger` and resumes in `method_name`."""

    def __init__(
        self,
        *,
        trigger: Any,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: datetime.timedelta | float | None = None,
    ) -> None:
        super().__init__()
        self.trigger = trigger
        self.method_name = method_name
        self.kwargs = kwargs
        if isinstance(timeout, (int, float)):
            timeout = datetime.timedelta(seconds=timeout)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<TaskDeferred trigger={self.trigger} method={self.method_name}>"


class TaskDeferralError(AirflowException):
    pass


class TaskDeferralTimeout(AirflowException):
    pass


class ParamValidationError(AirflowException):
    """A param's value (default, or from run conf) does not satisfy its schema."""


class DuplicateTaskIdFound(AirflowException):
    pass


class AirflowDagDuplicatedIdException(AirflowException):
    pass


class AirflowDagCycleException(AirflowException):
    pass


class AirflowClusterPolicyViolation(AirflowException):
    pass


class TaskAlreadyInTaskGroup(AirflowException):
    pass


class FailFastDagInvalidTriggerRule(AirflowException):
    pass


class DownstreamTasksSkipped(AirflowException):
    """Ends the task as success and skips the listed downstream tasks."""

    def __init__(self, *, tasks: list[str | tuple[str, int]]) -> None:
        super().__init__()
        self.tasks = tasks


class DagRunTriggerException(AirflowException):
    """Carries a TriggerDagRunOperator's request to the runtime, which records it in the store."""

    def __init__(self, **request: Any) -> None:
        super().__init__(f"trigger {request.get('trigger_dag_id')}")
        self.request = request


class XComNotFound(AirflowException):
    def __init__(self, dag_id: str, task_id: str, key: str) -> None:
        super().__init__(f'XComArg result from {task_id} at {dag_id} with key="{key}" is not found!')
        self.dag_id = dag_id
        self.task_id = task_id
        self.key = key


class UnmappableXComTypePushed(AirflowException):
    def __init__(self, value: Any, *values: Any) -> None:
        super().__init__(value, *values)
        self.value = value

    def __str__(self) -> str:
        return f"unmappable return type {type(self.value).__qualname__!r}"


class XComForMappingNotPushed(AirflowException):
    def __str__(self) -> str:
        return "did not push XCom for task mapping"


class AirflowRuntimeError(Exception):
    """Raised inside a running task when the store answers with an error (e.g. missing Variable)."""


class RemovedInAirflow3Warning(DeprecationWarning):
    pass
