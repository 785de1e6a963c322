"""`riir-airflow standalone [DAGS_FOLDER]`: the whole system on one machine, with no setup.

What it does, in order:
- Uses `$AIRFLOW_HOME` (default ~/airflow) and its metastore (`[database] sql_alchemy_conn`:
  the embedded SQLite `$AIRFLOW_HOME/airflow.db` unless configured otherwise, PostgreSQL
  included), migrated to the latest schema.
- Keeps its secrets in `$AIRFLOW_HOME/riir-standalone.json` (mode 0600): the JWT signing key,
  the app bootstrap secret, and the `admin` user's generated password, which it prints once,
  when it creates the user. The same file tells the CLI on this machine where the API is and
  how to log in (`riir_airflow.cli.api_client`), so `dags trigger` and friends need no login.
- Starts the broker (`riir-airflow broker`, on `--port`, default `[api] port` 8080) and, once
  it answers, one app (`riir-airflow app FILE`) per DAG file in DAGS_FOLDER (default `[core]
  dags_folder`, i.e. `$AIRFLOW_HOME/dags`). Every second it looks at the folder again: an app
  whose file changed is drained and started again, a new file gets an app, a removed file's app
  is drained (its DAG's metadata stays: retiring is `riir-airflow app retire`). An app that
  crashes is restarted with backoff; one whose file does not import waits for the file to change.
- Children run in their own sessions, so a Ctrl-C reaches only this process, which then stops
  them in order: the apps drain first, then the broker stops.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow.cli.main import SUPERVISOR_ENV, CommandError

__all__ = ["register"]

log = logging.getLogger("riir_airflow.standalone")
_IMPORT_ERROR_EXIT = 2
_SCAN_SECONDS = 1.0


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "standalone", help="Run the broker and one app per DAG file on this machine, with no setup"
    )
    parser.add_argument("dags_folder", nargs="?", default=None, help="Default: [core] dags_folder")
    parser.add_argument("--port", type=int, default=None, help="The broker's port (default: [api] port, 8080)")
    parser.add_argument("--parallelism", type=int, default=None, help="Tries each app runs at once (default: cores)")
    parser.add_argument("--drain-grace", type=float, default=30.0, help="Seconds an app gets to drain (default 30)")
    parser.add_argument("--prepare-metastore", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=_standalone)


@dataclass
class _App:
    path: Path
    mtime: float
    process: subprocess.Popen[bytes] | None = None
    failures: int = 0
    retry_at: float = 0.0
    waiting_for_change: bool = False


def _state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        state = {}
    state.setdefault("jwt_secret", secrets.token_hex(32))
    state.setdefault("bootstrap_secret", secrets.token_hex(24))
    state.setdefault("username", "admin")
    state.setdefault("password", secrets.token_urlsafe(12))
    return state


def _write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(state, out, indent=2)
    os.replace(tmp, path)


def _prepare_metastore(username: str, password: str) -> bool:
    """Migrate the metastore and create the admin user if missing; True if it was created."""
    from riir_airflow.cli.broker import open_metastore
    from riir_airflow.metastore import migrate
    from riir_airflow.metastore.engine import create_engine

    engine = create_engine()
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    store, registry, _ = open_metastore()
    try:
        if registry.get_user(username) is not None:
            return False
        registry.create_user(username, password, "admin")
        return True
    finally:
        store.close()


def _prepare_in_subprocess(env: dict[str, str], username: str, password: str) -> bool:
    """`_prepare_metastore` in a short-lived child: the supervisor, which runs for as long as the
    system does, never loads the database and migration code (about 40 MiB it would keep)."""
    done = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "standalone", "--prepare-metastore"],
        env={**env, "RIIR_STANDALONE_USERNAME": username, "RIIR_STANDALONE_PASSWORD": password},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise CommandError(f"could not prepare the metastore: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout.strip().endswith("created")


def _wait_healthy(url: str, broker: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if broker.poll() is not None:
            raise CommandError(f"the broker exited with code {broker.returncode}; see its log above")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise CommandError(f"the broker did not answer at {url} within {timeout:.0f}s")


def _standalone(args: argparse.Namespace) -> int:
    from riir_airflow.cli.api_client import standalone_file
    from riir_airflow.compat.config import conf
    from riir_airflow.jsonlog import configure_json_logging

    if args.prepare_metastore:
        created = _prepare_metastore(os.environ["RIIR_STANDALONE_USERNAME"], os.environ["RIIR_STANDALONE_PASSWORD"])
        print("created" if created else "exists")
        return 0
    configure_json_logging("INFO")
    home = Path(conf.airflow_home)
    home.mkdir(parents=True, exist_ok=True)
    folder = Path(args.dags_folder or conf.get("core", "dags_folder", fallback="") or home / "dags").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    port = args.port or int(conf.get("api", "port", fallback=8080) or 8080)
    url = f"http://127.0.0.1:{port}"
    state_path = standalone_file()
    state = _state(state_path)
    _write_state(state_path, state)
    created = _prepare_in_subprocess(dict(os.environ), state["username"], state["password"])

    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__API_AUTH__JWT_SECRET": state["jwt_secret"],
        "AIRFLOW__RIIR__APP_BOOTSTRAP_SECRET": state["bootstrap_secret"],
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "RIIR_BROKER_URL": url,
        SUPERVISOR_ENV: str(os.getpid()),  # the broker and apps end with this process
    })  # fmt: skip
    broker = subprocess.Popen(
        [sys.executable, "-m", "riir_airflow", "broker", "--host", "127.0.0.1", "--port", str(port)],
        env=env, start_new_session=True,
    )  # fmt: skip
    apps: dict[Path, _App] = {}
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        _wait_healthy(url, broker)
        state.update(api_url=url, pid=os.getpid(), dags_folder=str(folder))
        _write_state(state_path, state)
        banner = [
            "",
            f"riir-airflow standalone is running: web UI at {url}/ui/",
            f"  REST API at {url}/api/v2  (OpenAPI docs: {url}/docs)",
            f"  DAGs folder: {folder}",
            f"  login: {state['username']} / "
            + (state["password"] if created else f"(password in {state_path})"),
            "",
        ]
        print("\n".join(banner), file=sys.stderr, flush=True)
        while not stopping:
            _reconcile(apps, folder, env, url, args)
            if broker.poll() is not None:
                log.error("the broker exited code=%s: stopping", broker.returncode)
                break
            deadline = time.monotonic() + _SCAN_SECONDS
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        _stop_apps(list(apps.values()), args.drain_grace)
        _stop(broker, 10.0)
        state.pop("pid", None)
        _write_state(state_path, state)
    return 0


def _start_app(app: _App, env: dict[str, str], url: str, args: argparse.Namespace) -> None:
    command = [sys.executable, "-m", "riir_airflow", "app", str(app.path), "--broker", url,
               "--drain-grace", str(args.drain_grace)]  # fmt: skip
    if args.parallelism:
        command += ["--parallelism", str(args.parallelism)]
    app.process = subprocess.Popen(command, env=env, start_new_session=True)
    log.info("app started fileloc=%s pid=%s", app.path, app.process.pid)


def _reconcile(apps: dict[Path, _App], folder: Path, env: dict[str, str], url: str, args: argparse.Namespace) -> None:
    from riir_airflow.runtime.loader import find_dag_files

    files = {path.resolve(): path.stat().st_mtime for path in find_dag_files(folder) if path.exists()}
    for path in [p for p in apps if p not in files]:
        log.info("DAG file removed fileloc=%s: draining its app", path)
        _stop_apps([apps.pop(path)], args.drain_grace)
    now = time.monotonic()
    for path, mtime in files.items():
        app = apps.get(path)
        if app is None:
            app = apps[path] = _App(path, mtime)
            _start_app(app, env, url, args)
            continue
        if mtime != app.mtime:
            log.info("DAG file changed fileloc=%s: restarting its app", path)
            _stop_apps([app], args.drain_grace)
            app.mtime, app.failures, app.waiting_for_change = mtime, 0, False
            _start_app(app, env, url, args)
            continue
        if app.process is not None and app.process.poll() is not None:
            code = app.process.returncode
            app.process = None
            if code == _IMPORT_ERROR_EXIT:
                log.error("DAG file does not import fileloc=%s: waiting for it to change", path)
                app.waiting_for_change = True
            else:
                app.failures += 1
                app.retry_at = now + min(60.0, 2.0**app.failures)
                log.error("app exited code=%s fileloc=%s: restarting in %.0fs", code, path, app.retry_at - now)
        if app.process is None and not app.waiting_for_change and now >= app.retry_at:
            _start_app(app, env, url, args)


def _stop_apps(apps: list[_App], grace: float) -> None:
    running = [a.process for a in apps if a.process is not None and a.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    for process in running:
        _stop(process, grace + 10.0)
    for app in apps:
        app.process = None


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
