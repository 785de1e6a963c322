"""The broker's settings, read once from Airflow-style configuration.

Contract: `BrokerSettings.from_config(conf)` reads
- `[api] host` / `port`: where `riir-airflow broker` listens (default 127.0.0.1:8080: loopback
  unless the operator says otherwise; Airflow's own default of 0.0.0.0 is not inherited);
- `[api_auth] jwt_secret` / `jwt_expiration_time`: the key that signs `/auth/token` JWTs and their
  lifetime in seconds. An empty secret gets a random one per process (as Airflow does), so tokens
  do not survive a broker restart until one is configured;
- `[riir] app_heartbeat_timeout` (s, default 60): an app silent for longer is gone, and its
  running task instances become zombies; `app_heartbeat_interval` (s, default 5) is what apps
  are told to use; `lease_ttl` (s, default 30): a lease not renewed for that long expires;
- `[riir] max_request_bytes` (default 8 MiB, 413 above; an app's registration:
  `max_register_bytes`, default 64 MiB), `app_rate_limit` (requests/s per token,
  default 500) and `app_rate_burst` (default 1000), 429 beyond;
- `[riir] app_bootstrap_secret`: a secret an app may present on its first registration to be
  issued a token scoped to the DAGs it registers (empty: bootstrap registration is off);
- `[riir] token_cache_seconds` (default 10): how long a verified app or API token is trusted
  without asking the registry again, i.e. how long a revocation made elsewhere (the CLI, another
  replica) may take to bite. An app sends about one request a second: with a 1 s cache nearly
  every request paid one more transaction to look its token up (bench/broker_load.py);
- `[riir] command_recheck_seconds` (default 2): how often a parked long-poll looks for commands
  queued through another broker replica (in this process, queuing wakes it at once);
- `[riir] broker_workers` (default 1; `riir-airflow broker --workers`): processes serving the
  broker's port, so the broker can use more than one core. Each is like a replica behind one
  address: the database (leases, fencing, the registry) is shared, but each keeps its own
  connection pool, token cache, rate-limit buckets (an app may get up to N times the rate),
  replies to retried writes (a retry that lands on another worker is applied again, as across
  replicas) and long-poll wake-ups (a command queued through another worker reaches a parked
  poll within `command_recheck_seconds`, not at once).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

__all__ = ["BrokerSettings"]

_UNSET_HOST_DEFAULTS = {"", "0.0.0.0"}


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    jwt_secret: str = ""
    jwt_expiration_time: int = 86400
    app_heartbeat_timeout: float = 60.0
    app_heartbeat_interval: float = 5.0
    lease_ttl: float = 30.0
    max_request_bytes: int = 8 * 1024 * 1024
    max_register_bytes: int = 64 * 1024 * 1024
    app_rate_limit: float = 500.0
    app_rate_burst: int = 1000
    app_bootstrap_secret: str = ""
    token_cache_seconds: float = 10.0
    long_poll_max_seconds: float = 60.0
    command_recheck_seconds: float = 2.0
    reap_interval_seconds: float = 2.0
    broker_workers: int = 1

    def __post_init__(self) -> None:
        if not self.jwt_secret:
            object.__setattr__(self, "jwt_secret", secrets.token_urlsafe(64))

    @classmethod
    def from_config(cls, conf: Any, **overrides: Any) -> BrokerSettings:
        """Settings from an `AirflowConfigParser`-like object; `overrides` win (CLI flags)."""

        def get(section: str, key: str, default: Any, kind: type = str) -> Any:
            value = conf.get(section, key, fallback=None)
            if value is None or value == "":
                return default
            return kind(value)

        host = get("api", "host", "127.0.0.1")
        if _host_is_airflow_default(conf, host):
            host = "127.0.0.1"
        values: dict[str, Any] = {
            "host": host,
            "port": get("api", "port", 8080, int),
            "jwt_secret": get("api_auth", "jwt_secret", ""),
            "jwt_expiration_time": get("api_auth", "jwt_expiration_time", 86400, int),
            "app_heartbeat_timeout": get("riir", "app_heartbeat_timeout", 60.0, float),
            "app_heartbeat_interval": get("riir", "app_heartbeat_interval", 5.0, float),
            "lease_ttl": get("riir", "lease_ttl", 30.0, float),
            "max_request_bytes": get("riir", "max_request_bytes", 8 * 1024 * 1024, int),
            "max_register_bytes": get("riir", "max_register_bytes", 64 * 1024 * 1024, int),
            "app_rate_limit": get("riir", "app_rate_limit", 500.0, float),
            "app_rate_burst": get("riir", "app_rate_burst", 1000, int),
            "app_bootstrap_secret": get("riir", "app_bootstrap_secret", ""),
            "token_cache_seconds": get("riir", "token_cache_seconds", 10.0, float),
            "command_recheck_seconds": get("riir", "command_recheck_seconds", 2.0, float),
            "broker_workers": get("riir", "broker_workers", 1, int),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _host_is_airflow_default(conf: Any, host: str) -> bool:
    """True when `host` is only Airflow's built-in `[api] host` default (0.0.0.0), not a value
    the operator set in the environment or the config file: riir listens on loopback unless told
    otherwise (in Kubernetes, `AIRFLOW__API__HOST=0.0.0.0` says otherwise)."""
    if host not in _UNSET_HOST_DEFAULTS:
        return False
    environ = getattr(conf, "environ", None) or {}
    if any(name in environ for name in ("AIRFLOW__API__HOST", "AIRFLOW__WEBSERVER__WEB_SERVER_HOST")):
        return False
    file_value = getattr(conf, "_file_value", None)
    if file_value is None:
        return True
    return file_value("api", "host") is None and file_value("webserver", "web_server_host") is None
