"""Per-try task logs: every log record emitted while a try runs is kept and shipped to the store.

The lines also go to the console through the normal logging configuration, so `dags test`
shows them as they happen.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from riir_airflow.sdk.masking import redact

if TYPE_CHECKING:
    from riir_airflow.store.protocol import Store
    from riir_airflow.store.records import TaskInstanceRecord

__all__ = ["LOG_FORMAT", "capture_try_logs"]

LOG_FORMAT = "[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"


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


@contextlib.contextmanager
def capture_try_logs(store: Store, ti: TaskInstanceRecord) -> Iterator[None]:
    handler = _ListHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        if handler.lines:
            store.append_log(
                ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number, "\n".join(handler.lines) + "\n"
            )
