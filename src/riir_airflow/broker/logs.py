"""Structured logs for the broker: one JSON object per line on stderr.

Contract: every record becomes `{"ts", "level", "logger", "msg", ...}` where `msg` is the
message with its `key=value` pairs (app_id, dag_id, run_id, ...) as the broker's loggers write
them, every `key=value` pair of the message is also lifted into the object as its own field
(so `jq 'select(.dag_id == "x")'` works), and an exception adds `exc`. Uvicorn's own loggers go
through the same formatter, so a broker's stderr is uniformly machine-readable.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys

__all__ = ["JsonFormatter", "configure_logging"]

_PAIR = re.compile(r"(?<![\w.])([a-z_]+)=(\S+)")
_RESERVED = {"ts", "level", "logger", "msg", "exc"}


class JsonFormatter(logging.Formatter):
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
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str | int = "INFO") -> None:
    """Send every log record (root, uvicorn, riir_airflow) to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
