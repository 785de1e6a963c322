"""`airflow.secrets.environment_variables`: `EnvironmentVariablesBackend` and its prefixes."""

from __future__ import annotations

from riir_airflow.sdk.secrets import CONN_ENV_PREFIX, VAR_ENV_PREFIX, EnvironmentVariablesBackend

__all__ = ["CONN_ENV_PREFIX", "VAR_ENV_PREFIX", "EnvironmentVariablesBackend"]
