"""Per-try task logs: every log record emitted while a try runs is kept and shipped to the store.

The lines also go to the console through the normal logging configuration, so `dags test`
shows them as they happen. What the task prints (its stdout) is logged line by line at INFO,
as Airflow does, so it lands in the task log and not in the command's own output.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.masking import redact

if TYPE_CHECKING:
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import TaskInstanceRecord

__all__ = ["LOG_FORMAT", "capture_try_logs"]

LOG_FORMAT = "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"


class _StdoutToLog(io.TextIOBase):
    """A stdout that logs each complete line it is given (at INFO, on the task logger)."""

    def __init__(self, logger: logging.Logger, fallback: Any) -> None:
        super().__init__()
        self._logger = logger
        self._fallback = fallback  # the real stdout, for writes made while logging a line
        self._pending = ""
        self._busy = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._busy:  # a handler that writes to sys.stdout: do not log what logging writes
            return self._fallback.write(text)
        self._busy = True
        try:
            self._pending += text
            while "\n" in self._pending:
                line, self._pending = self._pending.split("\n", 1)
                self._logger.info("%s", line)
        finally:
            self._busy = False
        return len(text)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            self._logger.info("%s", line)


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter(LOG_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(redact(self.format(record)))
        except Exception:  # noqa: BLE001 - a log record that cannot format must not fail the task
            self.handleError(record)


def _task_log_level() -> int:
    from riir_airflow.compat.config import conf

    name = str(conf.get("logging", "logging_level", fallback="INFO")).upper()
    level = logging.getLevelName(name)
    return level if isinstance(level, int) else logging.INFO


@contextlib.contextmanager
def capture_try_logs(store: Store, ti: TaskInstanceRecord) -> Iterator[None]:
    """Keep the try's log records at `[logging] logging_level` (INFO) and up. The root logger
    is lowered to that level while the try runs (and restored after), so the task log is
    complete even when the process never configured logging (a plain `dag.test()`)."""
    level = _task_log_level()
    handler = _ListHandler()
    handler.setLevel(level)
    root = logging.getLogger()
    previous_level = root.level
    if root.getEffectiveLevel() > level:
        root.setLevel(level)
    root.addHandler(handler)
    stdout = _StdoutToLog(logging.getLogger("riir_airflow.task"), sys.stdout)
    try:
        with contextlib.redirect_stdout(stdout):
            try:
                yield
            finally:
                stdout.flush()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        if handler.lines:
            store.append_log(
                ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number, "\n".join(handler.lines) + "\n"
            )
