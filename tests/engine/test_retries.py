"""What a finished try leads to (spec 7) and retry delays (spec 3.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from riir_airflow.engine import ErrorKind, backoff_multiplier, error_kind_of, outcome_of_try, retry_delay_for
from riir_airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTerminated,
    AirflowTaskTimeout,
    DownstreamTasksSkipped,
    TaskDeferralTimeout,
    TaskDeferred,
)
from riir_airflow.sdk.state import TaskInstanceState as S

from .dagkit import T0, FakeTask

# ---- error_kind_of -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (None, ErrorKind.SUCCESS),
        (DownstreamTasksSkipped(tasks=["x"]), ErrorKind.SUCCESS),
        (AirflowSkipException("no"), ErrorKind.SKIP),
        (AirflowFailException("stop"), ErrorKind.FAIL_NO_RETRY),
        (AirflowSensorTimeout("late"), ErrorKind.FAIL_NO_RETRY),
        (AirflowTaskTimeout("slow"), ErrorKind.ERROR),
        (AirflowException("boom"), ErrorKind.ERROR),
        (TaskDeferralTimeout("trigger late"), ErrorKind.ERROR),
        (ValueError("boom"), ErrorKind.ERROR),
        (SystemExit(1), ErrorKind.ERROR),
        (KeyboardInterrupt(), ErrorKind.ERROR),
        (AirflowTaskTerminated("killed"), ErrorKind.TERMINATED),
        (AirflowRescheduleException(T0), ErrorKind.RESCHEDULE),
        (TaskDeferred(trigger=object(), method_name="resume"), ErrorKind.DEFER),
    ],
    ids=lambda v: type(v).__name__,
)
def test_error_kind_of_classifies_exceptions_like_airflow_task_runner(exc, kind) -> None:
    assert error_kind_of(exc) is kind


def test_task_timeout_is_not_an_exception_yet_still_retryable() -> None:
    assert not isinstance(AirflowTaskTimeout(), Exception)
    task = FakeTask("t", retries=1)
    assert outcome_of_try(task, 1, error_kind_of(AirflowTaskTimeout())) is S.UP_FOR_RETRY


# ---- outcome_of_try ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        (ErrorKind.SUCCESS, S.SUCCESS),
        (ErrorKind.SKIP, S.SKIPPED),
        (ErrorKind.FAIL_NO_RETRY, S.FAILED),
        (ErrorKind.TERMINATED, S.FAILED),
        (ErrorKind.RESCHEDULE, S.UP_FOR_RESCHEDULE),
        (ErrorKind.DEFER, S.DEFERRED),
        (ErrorKind.ERROR, S.UP_FOR_RETRY),
    ],
)
def test_outcome_of_first_try_with_retries_left(kind, state) -> None:
    assert outcome_of_try(FakeTask("t", retries=3), 1, kind) is state


def test_error_is_retried_while_try_number_is_at_most_retries_then_fails() -> None:
    task = FakeTask("t", retries=2)
    assert [outcome_of_try(task, n, "error") for n in (1, 2, 3)] == [S.UP_FOR_RETRY, S.UP_FOR_RETRY, S.FAILED]


def test_error_without_retries_fails_at_once() -> None:
    assert outcome_of_try(FakeTask("t", retries=0), 1, ErrorKind.ERROR) is S.FAILED


def test_cleared_instance_retries_up_to_its_raised_max_tries() -> None:
    task = FakeTask("t", retries=1)
    assert outcome_of_try(task, 3, ErrorKind.ERROR) is S.FAILED
    assert outcome_of_try(task, 3, ErrorKind.ERROR, max_tries=4) is S.UP_FOR_RETRY


def test_fail_no_retry_and_terminated_ignore_remaining_retries() -> None:
    task = FakeTask("t", retries=5)
    assert outcome_of_try(task, 1, ErrorKind.FAIL_NO_RETRY) is S.FAILED
    assert outcome_of_try(task, 1, ErrorKind.TERMINATED) is S.FAILED


def test_outcome_rejects_try_number_zero_and_unknown_kinds() -> None:
    with pytest.raises(ValueError):
        outcome_of_try(FakeTask("t"), 0, ErrorKind.SUCCESS)
    with pytest.raises(ValueError):
        outcome_of_try(FakeTask("t"), 1, "oops")


# ---- retry_delay_for ---------------------------------------------------------------------


def delay(task: FakeTask, try_number: int, date=T0, dag_id: str = "d") -> float:
    return retry_delay_for(task, try_number, dag_id=dag_id, run_id_or_logical_date=date).total_seconds()


def test_without_backoff_the_delay_is_retry_delay_for_every_try() -> None:
    task = FakeTask("t", retry_delay=timedelta(seconds=42))
    assert [delay(task, n) for n in (1, 2, 10)] == [42, 42, 42]


def test_without_backoff_max_retry_delay_does_not_apply_as_in_airflow() -> None:
    task = FakeTask("t", retry_delay=timedelta(seconds=600), max_retry_delay=timedelta(seconds=60))
    assert delay(task, 1) == 600


def test_float_seconds_retry_delay_is_accepted() -> None:
    assert delay(FakeTask("t", retry_delay=1.5), 1) == 1.5  # type: ignore[arg-type]


def test_backoff_matches_airflow_3_3_next_retry_datetime_exactly() -> None:
    # Values from Airflow 3.3.2's TaskInstance.next_retry_datetime for dag "d", task "t",
    # logical date 2024-01-01T00:00:00+00:00, retry_delay 300 s.
    doubling = FakeTask("t", retry_delay=timedelta(seconds=300), retry_exponential_backoff=2.0)
    assert [delay(doubling, n) for n in (1, 2, 3, 20)] == [521, 817, 1518, 86400]
    by_3_5 = FakeTask("t", retry_delay=timedelta(seconds=300), retry_exponential_backoff=3.5)
    assert [delay(by_3_5, n) for n in (1, 2, 3, 20)] == [521, 1267, 7218, 86400]


def test_2x_true_backoff_means_multiplier_2() -> None:
    as_bool = FakeTask("t", retry_delay=timedelta(seconds=300), retry_exponential_backoff=True)
    as_float = FakeTask("t", retry_delay=timedelta(seconds=300), retry_exponential_backoff=2.0)
    assert [delay(as_bool, n) for n in (1, 2, 3)] == [delay(as_float, n) for n in (1, 2, 3)]
    assert (backoff_multiplier(True), backoff_multiplier(False), backoff_multiplier(None)) == (2.0, 1.0, 1.0)
    assert backoff_multiplier(0) == 1.0 and backoff_multiplier(1.5) == 1.5


def test_backoff_delay_lies_between_base_and_twice_base() -> None:
    task = FakeTask("t", retry_delay=timedelta(seconds=10), retry_exponential_backoff=3.0)
    for n in range(1, 8):
        base = 10 * 3 ** (n - 1)
        for date in (T0, T0 + timedelta(days=1), None, "manual__x"):
            assert base <= delay(task, n, date) < 2 * base


def test_backoff_jitter_is_deterministic_and_depends_on_run_and_try() -> None:
    task = FakeTask("t", retry_delay=timedelta(seconds=1000), retry_exponential_backoff=2.0)
    assert delay(task, 1) == delay(task, 1)
    other = datetime(2024, 1, 2, tzinfo=UTC)
    assert len({delay(task, 1, date) for date in (T0, other, "r1", "r2", None)}) > 1


def test_backoff_with_zero_retry_delay_waits_at_least_one_second() -> None:
    task = FakeTask("t", retry_delay=timedelta(0), retry_exponential_backoff=2.0)
    assert delay(task, 1) == 1


def test_backoff_is_capped_by_max_retry_delay_and_by_the_global_cap() -> None:
    task = FakeTask(
        "t",
        retry_delay=timedelta(seconds=300),
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(seconds=400),
    )
    assert delay(task, 3) == 400
    huge = FakeTask("t", retry_delay=timedelta(seconds=300), retry_exponential_backoff=2.0)
    assert delay(huge, 5000) == 86400  # overflow handled
    capped = retry_delay_for(
        huge, 10, dag_id="d", run_id_or_logical_date=T0, max_delay_cap=timedelta(hours=1)
    )
    assert capped == timedelta(hours=1)


def test_negative_multiplier_means_no_backoff() -> None:
    task = FakeTask("t", retry_delay=timedelta(seconds=7), retry_exponential_backoff=-2.0)
    assert delay(task, 3) == 7


def test_retry_delay_rejects_try_number_zero() -> None:
    with pytest.raises(ValueError):
        delay(FakeTask("t"), 0)
