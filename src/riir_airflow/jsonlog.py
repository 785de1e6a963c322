"""JSON log lines for the long-running processes (broker, DAG apps, standalone).

One JSON object per line on stderr: `{"ts", "level", "logger", "msg", ...}`. Every `key=value`
pair in a message (app_id, dag_id, run_id, ...) is also lifted into its own field, so
`jq 'select(.dag_id == "x")'` works; an exception adds `exc`; `fields` given to
`configure_json_logging` (a DAG app's app_id and dag_ids, say) are on every line.

Standard library only: a DAG app logs this way without the broker's dependencies.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
from typing import Any

__all__ = ["JsonFormatter", "configure_json_logging"]

_PAIR = re.compile(r"(?<![\w.])([a-z_]+)=(\S+)")
_RESERVED = {"ts", "level", "logger", "msg", "exc"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object (see the module docstring)."""

    def __init__(self, fields: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.fields = fields if fields is not None else {}

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, object] = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "msg": message,
        }
        for key, value in _PAIR.findall(message):
            if key not in _RESERVED:
                entry.setdefault(key, value)
        for key, value in self.fields.items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_json_logging(level: str | int = "INFO", fields: dict[str, Any] | None = None) -> JsonFormatter:
    """Send every log record (root, uvicorn, riir_airflow) to stderr as JSON lines; returns the
    formatter, whose `fields` the caller may fill in later (an app learns its id on registering)."""
    formatter = JsonFormatter(fields)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    return formatter
