"""`riir-airflow broker --workers N`: N processes serve one port as one broker (real processes,
SQLite metastore under a tmp $AIRFLOW_HOME, no JWT secret configured)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator

import pytest

from riir_airflow.sdk.state import DagRunState
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.records import DagRunRecord
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0
from .support import BrokerProcess, broker_env, login, riir


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    environment = broker_env(home, f"sqlite:///{home / 'airflow.db'}", riir__app_rate_limit="0")
    riir(environment, "db", "migrate")
    riir(environment, "users", "create", "-u", "ada", "-r", "admin", "-p", "s3cret")
    return environment


@pytest.fixture(scope="module")
def broker(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerProcess]:
    log = tmp_path_factory.mktemp("logs") / "broker.log"
    with BrokerProcess(env, log, "--workers", "2") as process:
        yield process


def _fresh_request(url: str, token: str) -> int:
    """One request on a new connection (the kernel hands new connections to either worker)."""
    request = urllib.request.Request(f"{url}/internal/v1/apps", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_both_workers_serve_and_accept_a_login_made_on_either(broker: BrokerProcess) -> None:
    token = login(broker.url, "ada", "s3cret")  # the JWT secret was generated once, for all workers
    assert {_fresh_request(broker.url, token) for _ in range(30)} == {200}
    # Healthy means one worker answers; the other may still be starting: give it a few seconds.
    deadline = time.monotonic() + 20
    while True:
        lines = [json.loads(line) for line in broker.log.read_text().splitlines() if line.strip()]
        started = sum(1 for entry in lines if entry["msg"].startswith("broker started"))
        if started == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert started == 2
    assert any("workers=2" in entry["msg"] for entry in lines)


def test_an_app_works_against_several_workers(env: dict[str, str], broker: BrokerProcess) -> None:
    created = json.loads(riir(env, "apps", "token", "create", "--dag-id", "dag_w", "--output", "json").stdout)
    apps = [BrokerStore(broker.url, created["token"]) for _ in range(4)]  # four connections
    apps[0].register([SerializedDag("dag_w", "/dags/dag_w.py")], code_hash="h")
    assert apps[0].acquire_lease("dag_w").held
    apps[0].create_dag_run(DagRunRecord("dag_w", "r1", "manual", DagRunState.QUEUED, run_after=T0))
    for app in apps[1:]:
        assert [r.run_id for r in app.list_dag_runs("dag_w")] == ["r1"]


def test_workers_below_one_are_refused(env: dict[str, str]) -> None:
    done = riir(env, "broker", "--workers", "0", check=False)
    assert done.returncode == 1 and "at least 1" in done.stderr
