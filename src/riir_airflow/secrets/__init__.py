"""`airflow.secrets`: the secrets backend base class (implementations in the submodules)."""

from __future__ import annotations

from riir_airflow.sdk.secrets import BaseSecretsBackend

__all__ = ["BaseSecretsBackend"]
