"""The fork server: task workers forked from a process that has the DAG loaded and no threads.

Why: a task must start in milliseconds without re-importing its DAG file, so workers are forked
from a process that already imported it. Forking the app itself is unsafe once it runs threads
(heartbeats, HTTP connections, the trigger loop): a child can inherit a lock some other thread
held. So the app forks this server first, right after loading the file and before starting any
thread; the server does nothing but fork workers on request.

Contract:
- `ForkServer(target).start()` forks the server; call it before the app starts any thread.
- `spawn(request)` asks the server for a worker running `target(request)`; it returns a
  `WorkerHandle` with the worker's pid and the read ends of two pipes: `output` (the worker's
  stdout and stderr, so every line it or its children print) and `result` (the bytes
  `target` returned, written just before the worker exits). EOF on `result` means the worker
  is gone; no bytes there means it died before finishing (killed, crashed).
- Workers ignore SIGINT (a Ctrl-C reaches the app, which drains) and die with SIGTERM/SIGKILL
  (the app's kill and timeouts); they are killed when the server goes, and the server exits
  when the app goes (its socket closes, or, on Linux, the parent-death signal): no orphan
  keeps running a task whose app is dead.
- Thread-safe: concurrent `spawn` calls are serialized.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ForkServer", "WorkerHandle", "die_with_parent"]

_MAX_REQUEST = 4 * 1024 * 1024
_PR_SET_PDEATHSIG = 1


@dataclass
class WorkerHandle:
    pid: int
    output: int  # read end: the worker's stdout + stderr
    result: int  # read end: the worker's result bytes, then EOF


def die_with_parent(sig: int) -> None:
    """Ask Linux to send `sig` to this process when its parent exits (no-op elsewhere)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class ForkServer:
    """See the module docstring. `target` runs in each worker: request bytes in, result bytes out."""

    def __init__(self, target: Callable[[bytes], bytes]) -> None:
        self._target = target
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self.pid: int | None = None

    def start(self) -> ForkServer:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for s in (parent, child):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _MAX_REQUEST)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the server
            parent.close()
            try:
                self._serve(child)
            finally:
                os._exit(0)
        child.close()
        self._sock, self.pid = parent, pid
        return self

    def spawn(self, request: bytes) -> WorkerHandle:
        if self._sock is None:
            raise RuntimeError("the fork server is not running")
        if len(request) > _MAX_REQUEST:
            raise ValueError(f"task request of {len(request)} bytes is over {_MAX_REQUEST}")
        out_r, out_w = os.pipe()
        res_r, res_w = os.pipe()
        try:
            with self._lock:
                socket.send_fds(self._sock, [request], [out_w, res_w])
                reply = self._sock.recv(16)
        finally:
            os.close(out_w)
            os.close(res_w)
        if len(reply) != 8:
            os.close(out_r)
            os.close(res_r)
            raise RuntimeError("the fork server is gone")
        (pid,) = struct.unpack("!q", reply)
        return WorkerHandle(pid=pid, output=out_r, result=res_r)

    def stop(self) -> None:
        """Close the server's socket: it exits, and its running workers get SIGKILL (Linux)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None

    # -- in the server process ------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        # Every object the server holds now (the loaded DAG, the warmed-up modules) is moved out
        # of the collector's reach: a worker's collections then never walk (and so copy-on-write)
        # those pages. One full collection in a worker otherwise copied ~40 ms worth of them.
        gc.collect()
        gc.freeze()
        die_with_parent(signal.SIGTERM)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(sock, _MAX_REQUEST, 2)
            except OSError:
                return
            if not data:
                return  # the app closed its end
            out_w, res_w = fds
            pid = os.fork()
            if pid == 0:
                sock.close()
                self._work(data, out_w, res_w)  # never returns
            os.close(out_w)
            os.close(res_w)
            sock.send(struct.pack("!q", pid))

    def _work(self, request: bytes, out_w: int, res_w: int) -> None:
        code = 0
        try:
            die_with_parent(signal.SIGKILL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the task may wait for its own children
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            os.close(out_w)
            # Fresh line-buffered streams on the pipe, whatever sys.stdout was in the server.
            sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
            _write_all(res_w, self._target(request))
        except BaseException:  # noqa: BLE001 - report, then exit: nothing may escape a worker
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
