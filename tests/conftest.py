"""Shared fixtures: an isolated $AIRFLOW_HOME, and running a DAG in-process on a FakeClock.

Nothing here is autouse: the older suites under tests/sdk bring their own fixtures.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import pytest

DEFAULT_DATE = pendulum.datetime(2024, 1, 1, tz="UTC")
REPO = Path(__file__).resolve().parents[1]


def _clean_airflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_", "AIRFLOW__", "AIRFLOW_CTX_")) or key in (
            "AIRFLOW_CONFIG",
            "AIRFLOW_TEST_MODE",
        ):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def airflow_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty $AIRFLOW_HOME (and no AIRFLOW_VAR_/AIRFLOW_CONN_/AIRFLOW__ from outside)."""
    home = tmp_path / "airflow_home"
    home.mkdir()
    _clean_airflow_env(monkeypatch)
    monkeypatch.setenv("AIRFLOW_HOME", str(home))
    return home


@dataclass
class RunResult:
    """A finished in-process DAG run, read back from the store."""

    run: Any
    store: Any

    @property
    def state(self) -> str:
        return self.run.state.value

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def ti(self, task_id: str, map_index: int = -1) -> Any:
        return self.store.get_task_instance(self.run.dag_id, self.run.run_id, task_id, map_index)

    def ti_state(self, task_id: str) -> str:
        ti = self.ti(task_id)
        assert ti is not None, f"no task instance {task_id}"
        return ti.state.value

    @property
    def states(self) -> dict[str, str]:
        return {
            ti.task_id: ti.state.value for ti in self.store.get_task_instances(self.run.dag_id, self.run.run_id)
        }

    def tries(self, task_id: str) -> list[Any]:
        return self.store.get_task_instance_tries(self.run.dag_id, self.run.run_id, task_id)

    def xcoms(self, task_id: str) -> dict[str, Any]:
        from riir_airflow.sdk.serde import deserialize_value

        return {
            x.key: deserialize_value(x.value)
            for x in self.store.get_xcoms(self.run.dag_id, run_id=self.run.run_id, task_ids=[task_id])
        }

    def xcom(self, task_id: str, key: str = "return_value", default: Any = None) -> Any:
        return self.xcoms(task_id).get(key, default)

    def rendered(self, task_id: str) -> dict[str, str] | None:
        return self.store.get_rendered_fields(self.run.dag_id, self.run.run_id, task_id, -1)

    def log(self, task_id: str, try_number: int = 1) -> str:
        return self.store.read_log(self.run.dag_id, self.run.run_id, task_id, -1, try_number)

    def report(self) -> dict[str, Any]:
        from riir_airflow.runtime.report import run_report

        return run_report(self.store, self.run)


RunDag = Callable[..., RunResult]


@pytest.fixture
def local_store(tmp_path: Path) -> Iterator[Any]:
    from riir_airflow.store.local import LocalStore

    store = LocalStore(tmp_path / "store.db")
    yield store
    store.close()


@pytest.fixture
def run_dag(airflow_home: Path, local_store: Any) -> RunDag:
    """`run_dag(dag, logical_date=..., conf=..., clock=..., mark_success_pattern=...)`: one manual
    run to its end, in this process, on a FakeClock (starting at the logical date) unless given."""
    from riir_airflow.runtime.clock import FakeClock
    from riir_airflow.runtime.dag_runner import DagRunner
    from riir_airflow.runtime.local import using_store

    def _run(
        dag: Any,
        *,
        logical_date: datetime.datetime | None = DEFAULT_DATE,
        conf: dict[str, Any] | None = None,
        clock: Any = None,
        mark_success_pattern: str | None = None,
    ) -> RunResult:
        clock = clock or FakeClock(logical_date or DEFAULT_DATE)
        with using_store(local_store):
            runner = DagRunner(dag, local_store, clock, mark_success_pattern=mark_success_pattern)
            run = runner.create_manual_run(logical_date=logical_date, conf=conf)
            run = runner.run(run)
        return RunResult(run, local_store)

    return _run


def riir_cli(
    *args: str,
    home: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m riir_airflow ARGS` in a subprocess with AIRFLOW_HOME=home (stdin: `input`,
    else empty)."""
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_", "AIRFLOW__", "AIRFLOW_CTX_"))
        and k not in ("AIRFLOW_CONFIG", "AIRFLOW_TEST_MODE")
    }
    full_env["AIRFLOW_HOME"] = str(home)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "riir_airflow", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or home,
        timeout=timeout,
        check=False,
        input=input if input is not None else "",
    )


@pytest.fixture
def cli(airflow_home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`cli("dags", "test", path, ...)`: the CLI in a subprocess against the test's AIRFLOW_HOME."""

    def _cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return riir_cli(*args, home=airflow_home, **kwargs)

    return _cli
