"""FileSensor: done when a path (or glob) exists, relative to the fs connection's base path."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any

from riir_airflow.sdk.context import Context
from riir_airflow.sdk.sensors import BaseSensorOperator

__all__ = ["FileSensor"]


class FileSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("filepath", "fs_conn_id")
    ui_color = "#91818a"

    def __init__(self, *, filepath: str, fs_conn_id: str = "fs_default", recursive: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filepath = filepath
        self.fs_conn_id = fs_conn_id
        self.recursive = recursive

    def _base_path(self) -> str:
        from riir_airflow.sdk.exceptions import AirflowNotFoundException
        from riir_airflow.sdk.hooks import BaseHook

        try:
            conn = BaseHook.get_connection(self.fs_conn_id)
        except AirflowNotFoundException:
            if self.fs_conn_id == "fs_default":
                return ""  # Airflow's default fs connection points at "/"
            raise
        return str(conn.extra_dejson.get("path", ""))

    def poke(self, context: Context) -> bool:
        full = os.path.join(self._base_path(), self.filepath)
        for path in glob.glob(full, recursive=self.recursive):
            if os.path.isfile(path):
                return True
            # A directory counts once it holds at least one file (at any depth).
            if os.path.isdir(path) and any(files for _, _, files in os.walk(path)):
                return True
        return False
