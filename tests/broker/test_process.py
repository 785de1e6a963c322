"""`riir-airflow broker`, `users` and `apps` as an operator runs them: real processes, SQLite
metastore under a tmp $AIRFLOW_HOME, configuration from the environment only."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.records import DagRunRecord
from riir_airflow.wire.errors import Forbidden, Unauthorized
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0
from .support import BrokerProcess, broker_env, free_port, http, login, riir, wait_healthy


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    environment = broker_env(
        home, f"sqlite:///{home / 'airflow.db'}", riir__token_cache_seconds="0", riir__app_rate_limit="0"
    )
    riir(environment, "db", "migrate")
    return environment


@pytest.fixture(scope="module")
def broker(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    with BrokerProcess(env, tmp_path_factory.mktemp("logs") / "broker.log") as process:
        yield process


def _log_lines(broker: BrokerProcess) -> list[dict]:
    return [json.loads(line) for line in broker.log.read_text().splitlines() if line.strip()]


def test_users_create_then_login_gives_a_jwt_the_broker_accepts(
    env: dict[str, str], broker: BrokerProcess
) -> None:
    done = riir(env, "users", "create", "--username", "ada", "--role", "Admin", "--password", "s3cret",
                "--email", "ada@example.com", "--firstname", "Ada", "--lastname", "L")  # fmt: skip
    assert "created" in done.stdout
    token = login(broker.url, "ada", "s3cret")
    assert BrokerStore(broker.url, token).list_dag_runs("any") == []
    assert http("POST", f"{broker.url}/auth/token", {"username": "ada", "password": "wrong"})[0] == 401
    listed = json.loads(riir(env, "users", "list", "--output", "json").stdout)
    assert {"username": "ada", "role": "admin", "email": "ada@example.com", "first_name": "Ada",
            "last_name": "L", "active": True} in listed  # fmt: skip


def test_users_create_with_a_random_password_prints_it_once(
    env: dict[str, str], broker: BrokerProcess
) -> None:
    done = riir(env, "users", "create", "-u", "bob", "-r", "viewer", "--use-random-password")
    password = done.stdout.strip().splitlines()[-1].removeprefix("Password: ")
    assert login(broker.url, "bob", password)


def test_users_create_refuses_a_taken_username_and_an_unknown_role(env: dict[str, str]) -> None:
    riir(env, "users", "create", "-u", "carol", "-r", "op", "-p", "x")
    taken = riir(env, "users", "create", "-u", "carol", "-r", "op", "-p", "y", check=False)
    assert taken.returncode == 1 and "already" in taken.stderr
    bad_role = riir(env, "users", "create", "-u", "dave", "-r", "superuser", "-p", "y", check=False)
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr


def test_an_app_token_from_the_cli_is_scoped_to_its_dags_and_revocable(
    env: dict[str, str], broker: BrokerProcess
) -> None:
    created = json.loads(riir(env, "apps", "token", "create", "--dag-id", "dag_a", "--output", "json").stdout)
    assert created["dag_ids"] == ["dag_a"] and created["token"].startswith("riir_app_")
    app = BrokerStore(broker.url, created["token"])
    app.register([SerializedDag("dag_a", "/dags/a.py")], code_hash="abc", fileloc="/dags/a.py")
    assert app.acquire_lease("dag_a").held
    app.create_dag_run(DagRunRecord("dag_a", "r1", "manual", DagRunState.QUEUED, run_after=T0))
    with pytest.raises(Forbidden):
        app.list_dag_runs("dag_b")
    listed = json.loads(riir(env, "apps", "list", "--output", "json").stdout)
    assert any(
        a["app_id"] == app.app_id and a["dag_ids"] == ["dag_a"] and a["state"] == "alive" for a in listed
    )
    tokens = json.loads(riir(env, "apps", "token", "list", "--output", "json").stdout)
    assert any(t["token_id"] == created["token_id"] and t["active"] for t in tokens)
    riir(env, "apps", "token", "revoke", created["token_id"])
    with pytest.raises(Unauthorized):
        app.list_dag_runs("dag_a")
    again = riir(env, "apps", "token", "revoke", created["token_id"], check=False)
    assert again.returncode == 1


def test_broker_logs_are_json_lines_naming_the_app_and_its_dags(
    env: dict[str, str], broker: BrokerProcess
) -> None:
    token = json.loads(riir(env, "apps", "token", "create", "-d", "dag_log", "-o", "json").stdout)["token"]
    app = BrokerStore(broker.url, token)
    app.register([SerializedDag("dag_log", "/dags/log.py")], code_hash="h")
    app.acquire_lease("dag_log")
    lines = _log_lines(broker)
    assert all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)
    assert any(line.get("app_id") == app.app_id and line.get("dag_ids") == "dag_log" for line in lines)
    assert any(line.get("dag_id") == "dag_log" and "lease acquired" in line["msg"] for line in lines)
    assert any("broker serving" in line["msg"] and line.get("url") == broker.url for line in lines)


def test_the_broker_refuses_to_start_on_an_unmigrated_metastore(tmp_path: Path) -> None:
    env = broker_env(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}")
    done = riir(env, "broker", "--port", str(free_port()), check=False)
    assert done.returncode == 1
    assert "riir-airflow db migrate" in done.stderr


def test_the_broker_listens_where_the_config_says_and_stops_on_sigterm(
    env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "broker.log"
    with open(log, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "riir_airflow", "broker"],
                                   env={**env, "AIRFLOW__API__PORT": str(port)}, stderr=err)  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process=process)
        assert http("GET", f"http://127.0.0.1:{port}/api/v2/version")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after its graceful shutdown
    messages = [json.loads(line)["msg"] for line in log.read_text().splitlines() if line.strip()]
    assert f"broker serving url=http://127.0.0.1:{port}" in " ".join(messages)
    assert "broker stopped" in messages
