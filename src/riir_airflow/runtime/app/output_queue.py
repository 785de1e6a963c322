"""Task output waiting for the broker: in memory up to a bound, then in a spool file on disk.

Why: while the broker is away an app keeps running tries, and their output has to wait. A
chatty task can print far more than an app should hold in memory, so past `memory_bytes` the
chunks go to an unnamed temporary file (removed by the OS when the app exits, however it
exits) and come back from it, in order, once the broker answers again.

Contract of `OutputQueue` (not thread-safe: its owner holds a lock around every call):
- `push(key, text)` appends; order is kept across memory and disk (once a chunk went to disk,
  the following ones do too until the disk part is drained).
- Past `memory_bytes + disk_bytes` queued, new chunks are dropped and counted; `take` reports
  the count so the log can say what is missing (the oldest output is what an operator usually
  needs: how the task started).
- `take(budget)` removes chunks from the front, about `budget` characters at most (always at
  least one chunk), so what one request carries stays under the broker's request size limit;
  `give_back(chunks)` puts taken chunks back at the front.
"""

from __future__ import annotations

import json
import struct
import tempfile
from typing import IO, Any

__all__ = ["OutputQueue"]

Chunk = tuple[tuple[Any, ...], str]  # (key, text)
_HEADER = struct.Struct("!II")  # length of the key (JSON) and of the text (UTF-8)


class OutputQueue:
    def __init__(self, *, memory_bytes: int, disk_bytes: int, spool_dir: str | None = None) -> None:
        self.memory_bytes = memory_bytes
        self.disk_bytes = disk_bytes
        self._spool_dir = spool_dir
        self._memory: list[Chunk] = []
        self._memory_size = 0
        self._file: IO[bytes] | None = None
        self._read_at = 0  # the file's unread records are [_read_at, end)
        self._disk_size = 0  # bytes written and not yet read back
        self.dropped = 0

    def __bool__(self) -> bool:
        return bool(self._memory) or self._disk_size > 0

    @property
    def on_disk(self) -> int:
        """Bytes of output waiting in the spool file."""
        return self._disk_size

    def push(self, key: tuple[Any, ...], text: str) -> None:
        if not self._disk_size and self._memory_size + len(text) <= self.memory_bytes:
            self._memory.append((key, text))
            self._memory_size += len(text)
            return
        data = text.encode("utf-8", errors="replace")
        record = json.dumps(key).encode()
        if self._disk_size + len(data) + len(record) > self.disk_bytes:
            self.dropped += len(text)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="riir-task-output-", dir=self._spool_dir)  # noqa: SIM115
        self._file.seek(0, 2)
        self._file.write(_HEADER.pack(len(record), len(data)) + record + data)
        self._disk_size += _HEADER.size + len(record) + len(data)

    def take(self, budget: int) -> tuple[list[Chunk], int]:
        """Chunks from the front (about `budget` characters), and the characters dropped since
        the last take."""
        taken: list[Chunk] = []
        size = 0
        while self._memory and (not taken or size + len(self._memory[0][1]) <= budget):
            chunk = self._memory.pop(0)
            taken.append(chunk)
            size += len(chunk[1])
            self._memory_size -= len(chunk[1])
        while self._disk_size and not self._memory and (not taken or size < budget):
            chunk = self._read_record()
            taken.append(chunk)
            size += len(chunk[1])
        dropped, self.dropped = self.dropped, 0
        return taken, dropped

    def give_back(self, chunks: list[Chunk]) -> None:
        self._memory[:0] = chunks
        self._memory_size += sum(len(text) for _, text in chunks)

    def _read_record(self) -> Chunk:
        assert self._file is not None
        self._file.seek(self._read_at)
        key_len, text_len = _HEADER.unpack(self._file.read(_HEADER.size))
        key = tuple(json.loads(self._file.read(key_len)))
        text = self._file.read(text_len).decode("utf-8", errors="replace")
        used = _HEADER.size + key_len + text_len
        self._read_at += used
        self._disk_size -= used
        if not self._disk_size:  # drained: start the file over instead of growing it
            self._file.seek(0)
            self._file.truncate()
            self._read_at = 0
        return key, text

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
