"""Fixtures for the DAG app tests: a real broker process and real app processes on 127.0.0.1.

`system` runs each test twice: on a broker over a fresh SQLite metastore and over a private
schema of the test PostgreSQL server (failing, never skipping, when it is unreachable). Apps
register with the bootstrap secret, as under `standalone`. Timings are short (heartbeat 0.5 s,
lease 3 s) so crash and takeover tests do not wait long.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from broker.support import BrokerProcess, broker_env, login, riir
from store.metastore_support import postgres_schema

from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.wire.messages import Command, CommandKind

BOOTSTRAP = "bootstrap-" + "b" * 40
JWT = "jwt-" + "j" * 60


class AppProcess:
    """`riir-airflow app FILE` in its own session; `log` is its stderr."""

    def __init__(self, system: System, path: Path, *args: str) -> None:
        self.path = path
        self.log = system.home / f"app-{path.stem}-{len(system.apps)}.log"
        with open(self.log, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "riir_airflow", "app", str(path), "--broker", system.broker.url,
                 "--token", BOOTSTRAP, "--parallelism", "2", *args],
                env=system.env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            )  # fmt: skip

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)

    def wait(self, timeout: float = 60) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class System:
    env: dict[str, str]
    home: Path
    broker: BrokerProcess
    apps: list[AppProcess] = field(default_factory=list)
    _admin: BrokerStore | None = None

    @property
    def dags(self) -> Path:
        path = self.home / "dags"
        path.mkdir(exist_ok=True)
        return path

    @property
    def admin(self) -> BrokerStore:
        """A store with an admin user's JWT: reads any DAG's rows, queues commands."""
        if self._admin is None:
            self._admin = BrokerStore(self.broker.url, login(self.broker.url, "admin", "admin"))
        return self._admin

    def write_dag(self, name: str, source: str) -> Path:
        path = self.dags / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return path

    def start_app(self, path: Path, *args: str, wait_for: str | None = None) -> AppProcess:
        app = AppProcess(self, path, *args)
        self.apps.append(app)
        if wait_for is not None:
            self.wait(lambda: self.serving(wait_for), what=f"an app serving {wait_for}", app=app)
        return app

    def serving(self, dag_id: str) -> bool:
        return any(a.state.value == "alive" and dag_id in a.dag_ids for a in self.admin.list_apps())

    def wait(self, predicate: Callable[[], Any], *, timeout: float = 60, what: str = "", app: AppProcess | None = None) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if app is not None and app.process.poll() is not None:
                raise AssertionError(f"app exited {app.process.returncode} waiting for {what}:\n{app.text()[-4000:]}")
            time.sleep(0.05)
        logs = "\n".join(a.text()[-3000:] for a in self.apps)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")

    def trigger(self, dag_id: str, **fields: Any) -> Command:
        return self.admin.enqueue_command(Command(kind=CommandKind.TRIGGER_RUN, dag_id=dag_id, **fields))

    def runs(self, dag_id: str) -> list[Any]:
        return self.admin.list_dag_runs(dag_id)

    def finished_run(self, dag_id: str, run_id: str | None = None, timeout: float = 60) -> Any:
        def done() -> Any:
            runs = [r for r in self.runs(dag_id) if run_id is None or r.run_id == run_id]
            return next((r for r in runs if r.state.value in ("success", "failed")), None)

        return self.wait(done, timeout=timeout, what=f"a finished run of {dag_id}")

    def states(self, dag_id: str, run_id: str) -> dict[str, str]:
        return {
            (ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"): ti.state.value
            for ti in self.admin.get_task_instances(dag_id, run_id)
        }

    def restart_broker(self, down_seconds: float = 0.0) -> None:
        port = self.broker.port
        self.broker.stop()
        time.sleep(down_seconds)
        self.broker = _broker_on(self.env, self.home, port)


def _broker_on(env: dict[str, str], home: Path, port: int | None = None) -> BrokerProcess:
    broker = BrokerProcess(env, home / f"broker-{time.monotonic_ns()}.log")
    if port is not None:
        broker.port, broker.url = port, f"http://127.0.0.1:{port}"
    return broker.__enter__()


@pytest.fixture(params=["sqlite", "postgres"])
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[System]:
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'airflow.db'}"
        else:
            url = stack.enter_context(postgres_schema())
        env = broker_env(
            tmp_path, url,
            api_auth__jwt_secret=JWT, riir__app_bootstrap_secret=BOOTSTRAP,
            riir__app_heartbeat_interval="0.5", riir__app_heartbeat_timeout="30", riir__lease_ttl="3",
            riir__command_recheck_seconds="0.5", riir__token_cache_seconds="0", riir__app_rate_limit="0",
            core__dags_are_paused_at_creation="False",
        )  # fmt: skip
        riir(env, "db", "migrate")
        riir(env, "users", "create", "--username", "admin", "--role", "admin", "--password", "admin")
        system = System(env=env, home=tmp_path, broker=_broker_on(env, tmp_path))
        try:
            yield system
        finally:
            for app in system.apps:
                app.stop()
            system.broker.stop()
