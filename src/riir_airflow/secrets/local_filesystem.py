"""`airflow.secrets.local_filesystem`: `LocalFilesystemBackend` from `riir_airflow.sdk.secrets`."""

from __future__ import annotations

from riir_airflow.sdk.secrets import LocalFilesystemBackend

__all__ = ["LocalFilesystemBackend"]
