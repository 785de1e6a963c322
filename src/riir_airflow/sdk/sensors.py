"""BaseSensorOperator: a task that waits for a condition by poking it.

`mode="poke"` keeps the try running and sleeps between pokes; `mode="reschedule"` ends the try
as `up_for_reschedule` after each false poke and comes back later (the try number does not
change; the timeout counts from the first poke of the try). On timeout the sensor fails without
retry (AirflowSensorTimeout), or is skipped with `soft_fail`. `exponential_backoff` grows the
interval from `poke_interval` by powers of two with a deterministic jitter, capped by `max_wait`.
Time is read and waited through the task instance, so the runtime's clock decides (tests travel
in time).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.baseoperator import BaseOperator
from riir_airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)

if TYPE_CHECKING:
    from riir_airflow.sdk.context import Context

__all__ = ["BaseSensorOperator", "PokeReturnValue"]

log = logging.getLogger("riir_airflow.task")


class PokeReturnValue:
    """A poke result that also carries the XCom the sensor pushes when it is done."""

    def __init__(self, is_done: bool, xcom_value: Any | None = None) -> None:
        self.is_done = is_done
        self.xcom_value = xcom_value

    def __bool__(self) -> bool:
        return self.is_done

    def __repr__(self) -> str:
        return f"PokeReturnValue(is_done={self.is_done!r}, xcom_value={self.xcom_value!r})"


def _seconds(value: datetime.timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)


class BaseSensorOperator(BaseOperator):
    """Subclass and implement `poke(context) -> bool | PokeReturnValue`."""

    ui_color = "#e6f1f2"
    valid_modes = ("poke", "reschedule")

    def __init__(
        self,
        *,
        poke_interval: datetime.timedelta | float = 60,
        timeout: datetime.timedelta | float | None = None,
        soft_fail: bool = False,
        mode: str = "poke",
        exponential_backoff: bool = False,
        max_wait: datetime.timedelta | float | None = None,
        silent_fail: bool = False,
        never_fail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in self.valid_modes:
            raise AirflowException(f"The mode must be one of {self.valid_modes},'{self.dag_id}.{self.task_id}'; received '{mode}'.")
        if soft_fail and never_fail:
            raise ValueError("soft_fail and never_fail are mutually exclusive, you can not provide both.")
        if timeout is None:
            from riir_airflow.compat.config import conf

            timeout = conf.getfloat("sensors", "default_timeout", fallback=604800)
        self.poke_interval = _seconds(poke_interval)
        self.timeout = _seconds(timeout)
        if self.poke_interval < 0 or self.timeout < 0:
            raise AirflowException("The poke_interval and timeout must be non-negative")
        self.soft_fail = soft_fail
        self.mode = mode
        self.exponential_backoff = exponential_backoff
        self.max_wait = _seconds(max_wait) if max_wait is not None else None
        self.silent_fail = silent_fail
        self.never_fail = never_fail

    @property
    def reschedule(self) -> bool:
        return self.mode == "reschedule"

    def poke(self, context: Context) -> bool | PokeReturnValue:
        raise AirflowException("Override me.")

    def _poke_once(self, context: Context) -> bool | PokeReturnValue:
        try:
            return self.poke(context)
        except (AirflowSensorTimeout, AirflowTaskTimeout, AirflowFailException) as exc:
            if self.soft_fail or self.never_fail:
                raise AirflowSkipException("Skipping due to soft_fail/never_fail is set to True.") from exc
            raise
        except AirflowSkipException:
            raise
        except Exception as exc:
            if self.never_fail:
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from exc
            if self.silent_fail:
                log.error("Sensor poke failed; silent_fail is set, poking again: %s", exc)
                return False
            raise

    def next_poke_interval(self, started_at: datetime.datetime, elapsed: float, poke_count: int) -> float:
        """Seconds until the next poke."""
        if not self.exponential_backoff:
            return self.poke_interval
        floor = max(int(self.poke_interval * 2 ** (poke_count - 2)), 1)
        digest = hashlib.sha1(f"{self.dag_id}#{self.task_id}#{started_at}#{poke_count}".encode()).hexdigest()
        interval = floor + int(digest, 16) % floor
        interval = min(interval, max(self.timeout - int(elapsed), 0))
        if self.max_wait is not None:
            interval = min(interval, self.max_wait)
        return interval

    def execute(self, context: Context) -> Any:
        ti = context["ti"]
        now = ti.now
        started_at = now()
        if self.reschedule:
            first = getattr(ti, "first_reschedule_date", None)
            started_at = first or started_at
        poke_count = int(context.get("task_reschedule_count") or 0) + 1
        while True:
            result = self._poke_once(context)
            if result:
                return result.xcom_value if isinstance(result, PokeReturnValue) else None
            elapsed = (now() - started_at).total_seconds()
            if elapsed > self.timeout:
                message = (
                    f"Sensor has timed out; run duration of {elapsed} seconds exceeds "
                    f"the specified timeout of {self.timeout}."
                )
                if self.soft_fail:
                    raise AirflowSkipException(message)
                raise AirflowSensorTimeout(message)
            interval = self.next_poke_interval(started_at, elapsed, poke_count)
            if self.reschedule:
                raise AirflowRescheduleException(now() + datetime.timedelta(seconds=interval))
            ti.sleep(interval)
            poke_count += 1
