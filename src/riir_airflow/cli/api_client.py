"""`ApiClient`: the CLI's way to a running system, through the broker's REST API.

Where it goes (first that applies): `--api-url`; `$RIIR_API_URL`; the `api_url` of
`$AIRFLOW_HOME/riir-standalone.json` (written by `riir-airflow standalone` on this machine);
`[riir] broker_url`; `http://[api] host:port`.
Who it is: `$RIIR_API_TOKEN` (a JWT from `POST /auth/token`); else `$RIIR_API_USERNAME` /
`$RIIR_API_PASSWORD`; else the credentials `standalone` wrote to that file (mode 0600, as
Airflow's standalone keeps its generated password), exchanged for a JWT at `/auth/token`.
So on the machine that runs `standalone` the CLI works with no login, as Airflow's does.

Errors come back as `CommandError` with the API's `detail`; nothing is retried blindly.

`running_system_configured()` says whether any of those addresses is set (not just the
`[api]` default; the standalone file only while its process lives): the commands that have a
local meaning too (`dags list`, `dags list-runs`, `tasks list`, `tasks clear`, `dags report`)
then go to the running system by default.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from riir_airflow.cli.main import CommandError

__all__ = ["STANDALONE_FILE", "ApiClient", "quote", "running_system_configured", "standalone_file"]

STANDALONE_FILE = "riir-standalone.json"


def standalone_file() -> Path:
    from riir_airflow.compat.config import conf

    return Path(conf.airflow_home) / STANDALONE_FILE


def _standalone_info() -> dict[str, Any]:
    try:
        return json.loads(standalone_file().read_text())
    except (OSError, ValueError):
        return {}


def quote(value: str) -> str:
    """One path segment (a dag_id, run_id, key...) escaped for a URL."""
    return urllib.parse.quote(str(value), safe="")


def running_system_configured(api_url: str | None = None) -> bool:
    """True when the CLI is told where a running system is: `--api-url`, `$RIIR_API_URL`,
    `$RIIR_BROKER_URL`, `[riir] broker_url`, or a `riir-standalone.json` under `$AIRFLOW_HOME`."""
    from riir_airflow.compat.config import conf

    return bool(
        api_url
        or os.environ.get("RIIR_API_URL")
        or os.environ.get("RIIR_BROKER_URL")
        or _standalone_running()
        or conf.get("riir", "broker_url", fallback="")
    )


def _standalone_running() -> bool:
    """The standalone file names an API and its process (when it says which) is alive."""
    info = _standalone_info()
    if not info.get("api_url"):
        return False
    pid = info.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        return True
    return True


class ApiClient:
    def __init__(self, url: str, token: str | None) -> None:
        from riir_airflow.store.broker_http import BrokerConnection

        self.url = url.rstrip("/")
        self._http = BrokerConnection(self.url, token, timeout=30.0, retries=2)

    @classmethod
    def from_config(cls, api_url: str | None = None) -> ApiClient:
        from riir_airflow.cli.app import broker_url_from_config

        info = _standalone_info()
        url = api_url or os.environ.get("RIIR_API_URL") or info.get("api_url") or broker_url_from_config()
        token = os.environ.get("RIIR_API_TOKEN")
        client = cls(url, token)
        if token is None:
            username = os.environ.get("RIIR_API_USERNAME") or info.get("username")
            password = os.environ.get("RIIR_API_PASSWORD") or info.get("password")
            if not username or not password:
                raise CommandError(
                    f"no credentials for the API at {url}: set RIIR_API_TOKEN (or RIIR_API_USERNAME and "
                    f"RIIR_API_PASSWORD), or run this where `riir-airflow standalone` runs"
                )
            client.login(username, password)
        return client

    def login(self, username: str, password: str) -> None:
        answer = self.call("POST", "/auth/token", {"username": username, "password": password})
        self._http.token = answer["access_token"]

    def call(self, method: str, path: str, body: Any = None, *, ok_missing: bool = False, missing: Any = None) -> Any:
        """The decoded JSON answer of `method path`; None for an empty one, or `missing` for 404
        when `ok_missing`; CommandError with the API's detail for any other error."""
        data = json.dumps(body).encode() if body is not None else None
        try:
            status, raw = self._http.request(method, path, data, safe=method == "GET")
        except Exception as exc:  # noqa: BLE001 - BrokerUnavailable and network errors
            raise CommandError(f"cannot reach the API at {self.url}: {exc}") from None
        if status == 404 and ok_missing:
            return missing
        if status >= 400:
            try:
                detail = json.loads(raw).get("detail", raw.decode(errors="replace"))
            except (ValueError, AttributeError):
                detail = raw.decode(errors="replace")
            raise CommandError(f"{method} {path}: {status} {detail}")
        return json.loads(raw) if raw else None

    def get(self, path: str, **params: Any) -> Any:
        query = urllib.parse.urlencode(
            [(k, v) for k, vs in params.items() if vs is not None for v in (vs if isinstance(vs, list) else [vs])]
        )
        return self.call("GET", f"{path}?{query}" if query else path)

    def delete(self, path: str) -> bool:
        """DELETE `path`: True when done, False when there was nothing there (404)."""
        marker = object()
        return self.call("DELETE", path, ok_missing=True, missing=marker) is not marker

    def get_all(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paged collection (`{key: [...], "total_entries": N}`), page by page."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.get(path, **params, limit=100, offset=len(items))
            batch = page.get(key) or []
            items += batch
            if not batch or len(items) >= int(page.get("total_entries", 0)):
                return items

    # -- what several commands need -------------------------------------------------------------
    def alive_apps_serving(self, dag_ids: list[str]) -> dict[str, str]:
        """{dag_id: app_id} for each of `dag_ids` that an alive app serves."""
        from riir_airflow.wire.messages import AppList, load

        status, raw = self._http.request("GET", "/internal/v1/apps", None)
        if status >= 400:
            raise CommandError(f"cannot list the apps: {status} {raw.decode(errors='replace')}")
        serving: dict[str, str] = {}
        for app in load(raw, AppList).apps:
            if app.state.value == "alive":
                for dag_id in app.dag_ids:
                    if dag_id in dag_ids:
                        serving[dag_id] = app.app_id
        return serving

    def delete_dag(self, dag_id: str) -> bool:
        """Remove the DAG and its metadata; False if the broker does not know it."""
        path = f"/api/v2/dags/{urllib.parse.quote(dag_id, safe='')}"
        status, raw = self._http.request("DELETE", path, None, safe=False)
        if status == 404:
            return False
        if status >= 400:
            raise CommandError(f"DELETE {path}: {status} {raw.decode(errors='replace')}")
        return True
