"""Health, version and login shapes, checked against Airflow 3's own response models.

`airflow_shapes.json` holds the JSON schemas of Airflow's `HealthInfoResponse`, `VersionInfo`
and `LoginResponse` (`model_json_schema()` in the Airflow virtualenv; the file says which
version). A response must validate against the schema and have exactly its properties.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
import sqlalchemy as sa

import riir_airflow
from riir_airflow.wire.messages import SerializedDag

from .conftest import T0, Broker
from .support import http

SHAPES = json.loads((Path(__file__).parent / "airflow_shapes.json").read_text())


def _assert_airflow_shape(model: str, body: Any) -> None:
    schema = SHAPES[model]
    fastjsonschema.compile(schema)(body)
    assert set(body) == set(schema["properties"])
    for name, sub in body.items():
        ref = schema["properties"][name].get("$ref") or next(
            (alt["$ref"] for alt in schema["properties"][name].get("anyOf", []) if "$ref" in alt), None
        )
        if ref and isinstance(sub, dict):
            assert set(sub) == set(schema["$defs"][ref.rsplit("/", 1)[1]]["properties"]), name


def test_version_has_airflow_3s_shape_and_names_the_followed_airflow_version(sqlite_broker: Broker) -> None:
    status, body = http("GET", f"{sqlite_broker.url}/api/v2/version")
    assert status == 200
    _assert_airflow_shape("VersionInfo", body)
    assert body == {"version": riir_airflow.__version__, "git_version": f"riir-{riir_airflow.riir_version}"}


def test_health_without_apps_has_airflow_3s_shape_with_no_scheduler(sqlite_broker: Broker) -> None:
    status, body = http("GET", f"{sqlite_broker.url}/api/v2/monitor/health")
    assert status == 200
    _assert_airflow_shape("HealthInfoResponse", body)
    assert body == {
        "metadatabase": {"status": "healthy"},
        "scheduler": {"status": "unhealthy", "latest_scheduler_heartbeat": None},
        "triggerer": {"status": "unhealthy", "latest_triggerer_heartbeat": None},
        "dag_processor": {"status": None, "latest_dag_processor_heartbeat": None},
    }


def test_health_reports_alive_apps_as_scheduler_and_triggerer_with_the_latest_heartbeat(
    sqlite_broker: Broker,
) -> None:
    app = sqlite_broker.client(sqlite_broker.app_token("dag_a"))
    app.register([SerializedDag("dag_a", "/a.py")], code_hash="h")
    sqlite_broker.clock.advance(datetime.timedelta(seconds=7))
    app.heartbeat()
    body = http("GET", f"{sqlite_broker.url}/api/v2/monitor/health")[1]
    _assert_airflow_shape("HealthInfoResponse", body)
    beat = (T0 + datetime.timedelta(seconds=7)).isoformat()
    assert body["scheduler"] == {"status": "healthy", "latest_scheduler_heartbeat": beat}
    assert body["triggerer"] == {"status": "healthy", "latest_triggerer_heartbeat": beat}
    assert datetime.datetime.fromisoformat(beat) == T0 + datetime.timedelta(seconds=7)


def test_health_reports_an_unusable_metastore_as_unhealthy(sqlite_broker: Broker) -> None:
    with sqlite_broker.store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE variable"))
    status, body = http("GET", f"{sqlite_broker.url}/api/v2/monitor/health")
    assert status == 200
    assert body["metadatabase"] == {"status": "unhealthy"}


def test_health_and_version_need_no_credentials(sqlite_broker: Broker) -> None:
    for path in ("/api/v2/monitor/health", "/api/v2/version"):
        assert http("GET", sqlite_broker.url + path)[0] == 200


def test_login_response_has_airflow_3s_shape(sqlite_broker: Broker) -> None:
    sqlite_broker.registry.create_user("ada", "pw", "viewer", sqlite_broker.clock.now())
    status, body = http("POST", f"{sqlite_broker.url}/auth/token", {"username": "ada", "password": "pw"})
    assert status == 201
    _assert_airflow_shape("LoginResponse", body)


def test_get_auth_token_without_credentials_is_403_as_in_airflow(sqlite_broker: Broker) -> None:
    status, body = http("GET", f"{sqlite_broker.url}/auth/token")
    assert status == 403 and "simple_auth_manager_all_admins" in body["detail"]


@pytest.mark.parametrize("path", ["/internal/v1/store/no_such_op", "/internal/v1/nothing"])
def test_unknown_internal_paths_are_404(sqlite_broker: Broker, path: str) -> None:
    assert http("POST", sqlite_broker.url + path, {"v": 1}, token=sqlite_broker.jwt())[0] == 404
