"""Running brokers for tests: in a thread (with an injectable clock) or as a process.

- `ThreadBroker`: `create_app(...)` served by uvicorn on a free loopback port in a background
  thread of the test process: a real HTTP server, with a `FakeClock` the test can move.
- `BrokerProcess`: `riir-airflow broker` as a subprocess on a free loopback port, configured by
  environment (`AIRFLOW__...`) only, as an operator would run it; its stderr is kept in a file.
- `riir(...)`: run another `riir-airflow` command in a subprocess with the same environment.
- `http(...)`: one raw request with urllib, for tests that pin status codes and body shapes.
- `login(...)`: a JWT from `POST /auth/token`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

import uvicorn

from riir_airflow.broker import BrokerSettings, create_app

__all__ = [
    "BrokerProcess",
    "ThreadBroker",
    "broker_env",
    "free_port",
    "http",
    "login",
    "riir",
    "wait_healthy",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadBroker:
    """A broker over `store` and `registry` serving on 127.0.0.1 from a thread while inside."""

    def __init__(self, store: Any, registry: Any, settings: BrokerSettings | None = None, *, clock: Any = None,
                 reaper: bool = False) -> None:  # fmt: skip
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(store, registry, settings, clock=clock, reaper=reaper)
        self.ctx = self.app.state.broker
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the in-thread broker did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def http(
    method: str,
    url: str,
    body: Any = None,
    *,
    token: str | None = None,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """(status, parsed JSON body or None) of one request; `body` is sent as JSON, `raw` as is."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, content = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, content = err.code, err.read()
    try:
        return status, json.loads(content) if content else None
    except ValueError:
        return status, content


def login(url: str, username: str, password: str) -> str:
    status, body = http("POST", f"{url}/auth/token", {"username": username, "password": password})
    assert status == 201, (status, body)
    return body["access_token"]


def wait_healthy(url: str, timeout: float = 60.0, process: Any = None) -> None:
    """Wait until `GET /api/v2/version` answers (the broker is serving)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"broker exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/version", timeout=2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"broker at {url} did not answer within {timeout}s")


def broker_env(home: Path, database_url: str, **options: str) -> dict[str, str]:
    """The environment of a broker (and of CLI commands on its metastore) under `home`:
    `options` are `AIRFLOW__SECTION__KEY` names (without the prefix) and their values."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONFIG"))}
    env.update({"AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url})
    env.update({f"AIRFLOW__{name.upper()}": value for name, value in options.items()})
    return env


def riir(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `riir-airflow ARGS` (as `python -m riir_airflow`) with `env`; output captured."""
    done = subprocess.run(
        [sys.executable, "-m", "riir_airflow", *args],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"riir-airflow {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


class BrokerProcess:
    """`riir-airflow broker --port P` in a subprocess while inside; `log` is its stderr file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        with open(self.log, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "riir_airflow", "broker", "--port", str(self.port), *self.args],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        try:
            wait_healthy(self.url, process=self.process)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}\n{self.log.read_text()}") from None
        return self

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        return self.process.returncode

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
