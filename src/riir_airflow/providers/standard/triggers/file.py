"""FileTrigger: fires once a path (or glob) exists."""

from __future__ import annotations

import glob
import os
from collections.abc import AsyncIterator
from typing import Any

from riir_airflow.sdk.triggers import BaseTrigger, TriggerEvent

__all__ = ["FileTrigger"]


class FileTrigger(BaseTrigger):
    def __init__(self, filepath: str, recursive: bool = False, poke_interval: float = 5.0, **kwargs: Any) -> None:
        super().__init__()
        self.filepath = filepath
        self.recursive = recursive
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "riir_airflow.providers.standard.triggers.file.FileTrigger",
            {"filepath": self.filepath, "recursive": self.recursive, "poke_interval": self.poke_interval},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        import asyncio

        while True:
            for path in glob.glob(self.filepath, recursive=self.recursive):
                if os.path.isfile(path):
                    yield TriggerEvent(True)
                    return
                if os.path.isdir(path) and any(files for _, _, files in os.walk(path)):
                    yield TriggerEvent(True)
                    return
            await asyncio.sleep(self.poke_interval)
