"""What a finished try does to a task instance, and how long a retry waits.

Spec section 7 maps what `execute` raised to a state; section 3.1 gives the retry delay. The
runtime classifies the exception with `error_kind_of` (in the worker, where the exception
object lives), ships the `ErrorKind` to the scheduling side, and the scheduling side calls
`outcome_of_try` and, for UP_FOR_RETRY, `retry_delay_for`.

Retry eligibility is Airflow's `is_eligible_to_retry`: a retryable error becomes UP_FOR_RETRY
while `task.retries` is non-zero and `try_number <= max_tries`, where `max_tries` is
`task.retries` unless the instance was cleared (Airflow then raises it to
`try_number + retries`; pass it explicitly in that case). `try_number` is the try that just
ended, starting at 1.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from enum import Enum

from riir_airflow.engine.graph import TaskLike
from riir_airflow.sdk.exceptions import (
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    DownstreamTasksSkipped,
    TaskDeferred,
)
from riir_airflow.sdk.state import TaskInstanceState

__all__ = [
    "MAX_RETRY_DELAY",
    "ErrorKind",
    "backoff_multiplier",
    "error_kind_of",
    "outcome_of_try",
    "retry_delay_for",
]

MAX_RETRY_DELAY = timedelta(seconds=86400)
"""`[core] max_task_retry_delay`: the cap on an exponential-backoff retry delay."""


class ErrorKind(str, Enum):
    """How a try ended, as far as the task instance's next state is concerned."""

    SUCCESS = "success"
    """Returned normally (also `DownstreamTasksSkipped`: success, listed tasks skipped)."""
    SKIP = "skip"
    """AirflowSkipException: skipped, no retry."""
    FAIL_NO_RETRY = "fail_no_retry"
    """AirflowFailException or AirflowSensorTimeout: failed, remaining retries ignored."""
    ERROR = "error"
    """Anything else (AirflowException, AirflowTaskTimeout, SystemExit, ...): retryable."""
    TERMINATED = "terminated"
    """AirflowTaskTerminated (killed from outside): failed, no retry."""
    RESCHEDULE = "reschedule"
    """AirflowRescheduleException: up_for_reschedule; the try does not count."""
    DEFER = "defer"
    """TaskDeferred: deferred; the try continues when the trigger fires."""


def error_kind_of(exc: BaseException | None) -> ErrorKind:
    """Classify what a try raised (None: it returned normally).

    Order matters and follows Airflow 3.3's task runner: `DownstreamTasksSkipped` and
    `AirflowSensorTimeout` are AirflowExceptions, `AirflowTaskTimeout` is a BaseException
    that is still retryable. `DagRunTriggerException` is a request the runtime must handle
    before classifying (its outcome depends on the triggered run); unhandled it is an ERROR.
    """
    if exc is None or isinstance(exc, DownstreamTasksSkipped):
        return ErrorKind.SUCCESS
    if isinstance(exc, TaskDeferred):
        return ErrorKind.DEFER
    if isinstance(exc, AirflowSkipException):
        return ErrorKind.SKIP
    if isinstance(exc, AirflowRescheduleException):
        return ErrorKind.RESCHEDULE
    if isinstance(exc, (AirflowFailException, AirflowSensorTimeout)):
        return ErrorKind.FAIL_NO_RETRY
    if isinstance(exc, AirflowTaskTerminated):
        return ErrorKind.TERMINATED
    return ErrorKind.ERROR


def outcome_of_try(
    task: TaskLike, try_number: int, error_kind: ErrorKind | str, *, max_tries: int | None = None
) -> TaskInstanceState:
    """The state a task instance takes after try `try_number` ended with `error_kind`."""
    kind = ErrorKind(error_kind)
    if try_number < 1:
        raise ValueError(f"try_number starts at 1, got {try_number}")
    if kind is ErrorKind.SUCCESS:
        return TaskInstanceState.SUCCESS
    if kind is ErrorKind.SKIP:
        return TaskInstanceState.SKIPPED
    if kind is ErrorKind.RESCHEDULE:
        return TaskInstanceState.UP_FOR_RESCHEDULE
    if kind is ErrorKind.DEFER:
        return TaskInstanceState.DEFERRED
    if kind is ErrorKind.ERROR:
        limit = task.retries if max_tries is None else max_tries
        if task.retries and try_number <= limit:
            return TaskInstanceState.UP_FOR_RETRY
    return TaskInstanceState.FAILED


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def backoff_multiplier(value: float | bool | None) -> float:
    """`retry_exponential_backoff` as a multiplier: 2.x True means 2.0; False/None/0 mean off (1.0)."""
    if value is True:
        return 2.0
    if not value:
        return 1.0
    return float(value)


def retry_delay_for(
    task: TaskLike,
    try_number: int,
    *,
    dag_id: str,
    run_id_or_logical_date: datetime | str | None,
    max_delay_cap: timedelta = MAX_RETRY_DELAY,
) -> timedelta:
    """How long after try `try_number` failed the next try may start.

    Without exponential backoff (multiplier 0/1, False, or negative) it is `retry_delay`, as
    given (`max_retry_delay` does not apply, as in Airflow). With a multiplier `m`, let
    `base = max(1, ceil(retry_delay * m**(try_number-1)))` seconds; the delay is
    `base + H % base` seconds where `H` is the SHA1 of `dag_id#task_id#<date>#try_number`
    (a deterministic jitter in [0, base)), capped at `max_delay_cap` (`[core]
    max_task_retry_delay`, 86400 s by default) and then at the task's `max_retry_delay`.

    `<date>` is `str(run_id_or_logical_date)`. Airflow hashes the run's logical date (its
    `str()`, "None" for runs without one), so pass the logical date to get Airflow's jitter;
    any other stable string (such as the run id) gives an equally deterministic one.
    """
    if try_number < 1:
        raise ValueError(f"try_number starts at 1, got {try_number}")
    delay = timedelta(seconds=_seconds(task.retry_delay))
    multiplier = backoff_multiplier(task.retry_exponential_backoff)
    if multiplier == 1.0 or multiplier <= 0:
        return delay
    cap = max_delay_cap.total_seconds()
    try:
        min_backoff = math.ceil(delay.total_seconds() * multiplier ** (try_number - 1))
    except OverflowError:
        min_backoff = int(cap)
    min_backoff = max(min_backoff, 1)
    digest = hashlib.sha1(
        f"{dag_id}#{task.task_id}#{run_id_or_logical_date}#{try_number}".encode(), usedforsecurity=False
    ).hexdigest()
    jittered = min_backoff + int(digest, 16) % min_backoff
    result = timedelta(seconds=min(jittered, cap))
    if task.max_retry_delay:
        result = min(result, timedelta(seconds=_seconds(task.max_retry_delay)))
    return result
