"""`execution_timeout`: interrupt a task that runs too long with AirflowTaskTimeout.

Uses SIGALRM (as Airflow does), so it works only on the main thread of a process: the in-process
runner and forked task workers both run tasks there. Elsewhere the timeout is not enforced and a
warning says so.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any

from riir_airflow.sdk.exceptions import AirflowTaskTimeout

__all__ = ["timeout"]

log = logging.getLogger("riir_airflow.runtime")


@contextlib.contextmanager
def timeout(limit: datetime.timedelta | None) -> Iterator[None]:
    if limit is None:
        yield
        return
    seconds = limit.total_seconds()
    if threading.current_thread() is not threading.main_thread():
        log.warning("execution_timeout of %ss not enforced: task is not on the main thread", seconds)
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise AirflowTaskTimeout(f"Timeout, PID: {__import__('os').getpid()}")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
