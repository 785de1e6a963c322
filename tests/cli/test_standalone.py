"""`riir-airflow standalone` as a newcomer runs it: one command, nothing configured. It prints
the admin password once, serves the API, runs one app per DAG file, restarts an app whose file
changes, reports a file that does not import, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from broker.support import free_port, http, login

DAG = textwrap.dedent("""
    from riir_airflow.sdk import DAG, task

    with DAG("edited", schedule=None):
        @task
        def first():
            return 1

        first()
""")


def _start(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "RIIR_"))}
    env["AIRFLOW_HOME"] = str(home)
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "riir_airflow", "standalone", "--port", str(port), "--drain-grace", "5"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def _until(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (OSError, AssertionError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _api(url: str, token: str, path: str) -> Any:
    status, body = http("GET", f"{url}{path}", token=token)
    assert status == 200, (status, body)
    return body


def test_standalone_runs_apps_per_file_restarts_edited_ones_and_reports_broken_files(tmp_path: Path) -> None:
    home, port, log = tmp_path / "home", free_port(), tmp_path / "standalone.log"
    dags = home / "dags"
    dags.mkdir(parents=True)
    (dags / "edited.py").write_text(DAG)
    process = _start(home, port, log)
    try:
        state_file = home / "riir-standalone.json"
        state = _until("the standalone file", lambda: json.loads(state_file.read_text()).get("api_url") and
                       json.loads(state_file.read_text()))  # fmt: skip
        assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
        assert f"admin / {state['password']}" in log.read_text()  # printed once, at creation
        url = state["api_url"]
        token = login(url, "admin", state["password"])
        versions = lambda: _api(url, token, "/api/v2/dags/edited/dagVersions")["dag_versions"]
        _until("edited registered", lambda: len(versions()) == 1)

        (dags / "edited.py").write_text(DAG.replace("\n    first()\n", "\n    first() >> first.override(task_id='second')()\n"))
        _until("the edited file's app to register its new version", lambda: len(versions()) == 2)
        tasks = _api(url, token, "/api/v2/dags/edited/tasks")["tasks"]
        assert sorted(t["task_id"] for t in tasks) == ["first", "second"]

        (dags / "broken.py").write_text("from riir_airflow.sdk import DAG\nraise ValueError('nope')\n")
        errors = _until(
            "the broken file's import error",
            lambda: _api(url, token, "/api/v2/importErrors")["import_errors"],
        )
        assert errors[0]["filename"] == str((dags / "broken.py").resolve())
        assert "nope" in errors[0]["stack_trace"]
        assert process.poll() is None  # a broken file does not stop the system
    finally:
        assert _stop(process) == 0
    process = _start(home, port, log)  # a second start: same admin, password not printed again
    try:
        _until("the second start", lambda: http("GET", f"{url}/api/v2/monitor/health")[0] == 200)
        assert log.read_text().count(f"admin / {state['password']}") == 1
    finally:
        assert _stop(process) == 0


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    return [int(p) for p, pp in (line.split() for line in out.splitlines()) if int(pp) == pid]


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited
    except FileNotFoundError:
        return True


def test_the_broker_and_apps_end_when_standalone_is_killed_without_a_chance_to_stop_them(tmp_path: Path) -> None:
    home, port, log = tmp_path / "home", free_port(), tmp_path / "standalone.log"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "edited.py").write_text(DAG)
    process = _start(home, port, log)
    children: list[int] = []
    try:
        state_file = home / "riir-standalone.json"
        _until("the API", lambda: json.loads(state_file.read_text()).get("api_url"))
        children = _until("the broker and one app", lambda: len(_children(process.pid)) >= 2 and _children(process.pid))
        process.kill()  # SIGKILL: standalone cannot stop them itself
        process.wait()
        _until("its broker and apps to end", lambda: all(_gone(pid) for pid in children), timeout=45)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in children:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
