"""The CLI against `riir-airflow standalone` as a user runs it: no URL, no login in the
environment (the CLI finds both in `$AIRFLOW_HOME/riir-standalone.json`); a run triggered with
`dags trigger` is run by the DAG's app and followed with `dags state` and
`tasks states-for-dag-run` to success."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker.support import free_port, riir

DAG = textwrap.dedent("""
    from riir_airflow.sdk import DAG, task

    with DAG("cli_e2e", schedule=None):
        @task
        def first():
            return 1

        @task
        def second(x):
            return x + 1

        second(first())
""")


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[dict[str, str]]:
    home = tmp_path / "home"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "cli_e2e.py").write_text(DAG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RIIR_"))}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__RIIR__APP_RATE_LIMIT="0")
    log = open(tmp_path / "standalone.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "riir_airflow", "standalone", "--port", str(free_port()), "--parallelism", "2",
         "--drain-grace", "5"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield env
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
        log.close()


def _until(what: str, check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _json(env: dict[str, str], *args: str) -> Any:
    done = riir(env, *args, "-o", "json", check=False)
    return json.loads(done.stdout) if done.returncode == 0 else None


def test_trigger_through_the_cli_is_run_by_the_app_and_followed_to_success_with_no_login(
    standalone: dict[str, str],
) -> None:
    env = standalone
    info = Path(env["AIRFLOW_HOME"]) / "riir-standalone.json"
    _until("the broker to serve", lambda: info.exists() and "api_url" in json.loads(info.read_text()))
    _until("the DAG to be registered", lambda: any(d["dag_id"] == "cli_e2e" for d in _json(env, "dags", "list") or []))
    riir(env, "dags", "unpause", "cli_e2e")
    [run] = _json(env, "dags", "trigger", "cli_e2e", "-r", "from_cli", "-c", '{"k": "v"}')
    assert run["dag_run_id"] == "from_cli" and run["state"] == "queued"
    state = _until(
        "the run to finish",
        lambda: (s := riir(env, "dags", "state", "cli_e2e", "from_cli").stdout.strip()).startswith(("success", "failed"))
        and s,
    )
    assert state == 'success, {"k": "v"}'
    tis = _json(env, "tasks", "states-for-dag-run", "cli_e2e", "from_cli")
    assert {(ti["task_id"], ti["state"]) for ti in tis} == {("first", "success"), ("second", "success")}
    runs = _json(env, "dags", "list-runs", "cli_e2e", "--state", "success")
    assert [r["run_id"] for r in runs] == ["from_cli"]
    assert _json(env, "dags", "pause", "cli_e2e") == [{"dag_id": "cli_e2e", "is_paused": True}]
