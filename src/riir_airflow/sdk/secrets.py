"""Secrets backends and the lookup chain for Variables and Connections.

Airflow looks a Variable or Connection up in this order, and so does riir (spec 9.3):

1. the backend named in `[secrets] backend` (a class path, built with `[secrets] backend_kwargs`);
2. environment variables (`AIRFLOW_VAR_<KEY>`, `AIRFLOW_CONN_<ID>`, ids upper-cased);
3. the metastore.

The SDK never talks to a database. The runtime installs the metastore step with
`set_metastore_backend(obj)`: any object with `get_variable(key)`, `set_variable(key, value,
description)`, `delete_variable(key)` and `get_connection(conn_id)` (see `MetastoreBackend`).
`added_backends(...)` puts extra backends in front for a while (`dag.test(conn_file_path=...)`).

A failing custom backend is logged and skipped, as in Airflow, so one unreachable vault does not
hide values that the environment or the metastore hold; metastore errors propagate.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from riir_airflow.sdk.exceptions import AirflowException
from riir_airflow.sdk.masking import is_sensitive_key, mask_secret

if TYPE_CHECKING:
    from riir_airflow.compat.config import AirflowConfigParser
    from riir_airflow.sdk.connection import Connection

__all__ = [
    "BaseSecretsBackend",
    "EnvironmentVariablesBackend",
    "LocalFilesystemBackend",
    "MetastoreBackend",
    "added_backends",
    "configured_backend",
    "get_connection",
    "get_metastore_backend",
    "get_variable",
    "secrets_backends",
    "set_metastore_backend",
]

log = logging.getLogger(__name__)

CONN_ENV_PREFIX = "AIRFLOW_CONN_"
VAR_ENV_PREFIX = "AIRFLOW_VAR_"


class BaseSecretsBackend:
    """Base for secrets backends. Subclasses implement `get_conn_value` and `get_variable`.

    `get_connection` turns what `get_conn_value` returns (a URI or a JSON object string) into a
    Connection; `get_config` serves `_secret` configuration options and returns None by default.
    """

    def __init__(self, **kwargs: Any) -> None:
        pass

    @staticmethod
    def build_path(path_prefix: str, secret_id: str, sep: str = "/") -> str:
        """`prefix<sep>id`, the usual key layout of vault-like stores."""
        return f"{path_prefix}{sep}{secret_id}"

    def get_conn_value(self, conn_id: str) -> str | None:
        """The stored value (URI or JSON) for `conn_id`, or None."""
        raise NotImplementedError

    def deserialize_connection(self, conn_id: str, value: str) -> Connection:
        """A Connection from its stored form: JSON when it starts with `{`, else a URI."""
        from riir_airflow.sdk.connection import Connection

        value = value.strip()
        if value.startswith("{"):
            return Connection.from_json(value, conn_id=conn_id)
        return Connection(conn_id=conn_id, uri=value)

    def get_connection(self, conn_id: str) -> Connection | None:
        value = self.get_conn_value(conn_id)
        return self.deserialize_connection(conn_id, value) if value else None

    def get_variable(self, key: str) -> str | None:
        """The raw string value of Variable `key`, or None."""
        raise NotImplementedError

    def get_config(self, key: str) -> str | None:
        """A configuration value stored under `key` (for `..._secret` options), or None."""
        return None


class EnvironmentVariablesBackend(BaseSecretsBackend):
    """`AIRFLOW_VAR_<KEY>` and `AIRFLOW_CONN_<ID>` (upper-cased), read at lookup time."""

    def __init__(self, environ: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._environ = environ

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def get_conn_value(self, conn_id: str) -> str | None:
        return self.environ.get(CONN_ENV_PREFIX + conn_id.upper())

    def get_variable(self, key: str) -> str | None:
        return self.environ.get(VAR_ENV_PREFIX + key.upper())


class LocalFilesystemBackend(BaseSecretsBackend):
    """Variables and connections from local files (`.json`, `.env`, and `.yaml` with PyYAML).

    Variables files map keys to values; a value that is not a string (a JSON object, a number)
    is returned as its JSON text, so `Variable.get(key, deserialize_json=True)` works on it.
    Connections files map ids to a URI, a JSON string, or an object of connection fields.
    Ids are matched exactly (not upper-cased). Files are re-read when they change.
    """

    def __init__(
        self,
        variables_file_path: str | os.PathLike[str] | None = None,
        connections_file_path: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.variables_file = os.fspath(variables_file_path) if variables_file_path else None
        self.connections_file = os.fspath(connections_file_path) if connections_file_path else None
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def _load(self, path: str | None) -> dict[str, Any]:
        if not path:
            return {}
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            raise AirflowException(f"File {path} was not found.") from None
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            cached = self._cache[path] = (mtime, _parse_secrets_file(path))
        return cached[1]

    def _single(self, path: str | None, key: str) -> Any:
        value = self._load(path).get(key)
        if isinstance(value, list):
            if len(value) != 1:
                raise AirflowException(f'The "{path}" file contains multiple values for key {key!r}')
            value = value[0]
        return value

    def get_variable(self, key: str) -> str | None:
        value = self._single(self.variables_file, key)
        return value if value is None or isinstance(value, str) else json.dumps(value)

    def get_connection(self, conn_id: str) -> Connection | None:
        value = self._single(self.connections_file, conn_id)
        if value is None:
            return None
        if isinstance(value, str):
            return self.deserialize_connection(conn_id, value)
        if not isinstance(value, dict):
            raise AirflowException(f"Connection {conn_id!r} in {self.connections_file}: unexpected {value!r}")
        return _connection_from_fields(conn_id, value)

    def get_conn_value(self, conn_id: str) -> str | None:
        conn = self.get_connection(conn_id)
        return conn.get_uri() if conn is not None else None


def _connection_from_fields(conn_id: str, fields: dict[str, Any]) -> Connection:
    from riir_airflow.sdk.connection import Connection

    allowed = {"conn_type", "description", "host", "login", "password", "schema", "port", "extra"}
    allowed |= {"uri", "extra_dejson", "conn_id"}
    unknown = set(fields) - allowed
    if unknown:
        raise AirflowException(f"Connection {conn_id!r} has unknown fields: {', '.join(sorted(unknown))}")
    values = {k: v for k, v in fields.items() if k != "conn_id"}
    if "extra_dejson" in values:
        values["extra"] = values.pop("extra_dejson")
    if isinstance(values.get("extra"), dict):
        values["extra"] = json.dumps(values["extra"])
    return Connection(conn_id=conn_id, **values)


def _parse_secrets_file(path: str) -> dict[str, Any]:
    """A secrets file's mapping; `.env` keys that repeat collect their values in a list."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    ext = os.path.splitext(path)[1].lower()
    if ext == ".env":
        result: dict[str, Any] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise AirflowException(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
            result.setdefault(key.strip(), []).append(value.strip())
        return result
    if ext == ".json":
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as err:
            raise AirflowException(f"{path}: invalid JSON: {err}") from None
    elif ext in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise AirflowException(f"{path}: reading YAML secrets files needs PyYAML installed") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise AirflowException(f"{path}: invalid YAML: {err}") from None
    else:
        raise AirflowException(f"{path}: unsupported file format (use .env, .json, .yaml or .yml)")
    if not isinstance(data, dict):
        raise AirflowException(f"{path}: the file must contain a mapping of keys to values")
    return data


class MetastoreBackend(Protocol):
    """What the runtime installs as the last step of the chain (the store, or the broker).

    Missing keys are None, never exceptions. `set_variable` with `description=None` leaves a
    stored description unchanged.
    """

    def get_variable(self, key: str) -> str | None: ...

    def set_variable(self, key: str, value: str, description: str | None = None) -> None: ...

    def delete_variable(self, key: str) -> int | None: ...

    def get_connection(self, conn_id: str) -> Connection | None: ...


_state_lock = threading.Lock()
_metastore: MetastoreBackend | None = None
_added: tuple[BaseSecretsBackend, ...] = ()
_configured: tuple[tuple[str, str], BaseSecretsBackend | None] | None = None
_env_backend = EnvironmentVariablesBackend()


def set_metastore_backend(backend: MetastoreBackend | None) -> None:
    """Install (or with None, remove) the metastore step of the chain. Called by the runtime."""
    global _metastore
    _metastore = backend


def get_metastore_backend() -> MetastoreBackend | None:
    return _metastore


@contextlib.contextmanager
def added_backends(*backends: BaseSecretsBackend) -> Iterator[None]:
    """Consult `backends` before all others inside the block (e.g. files given to `dag.test`)."""
    global _added
    with _state_lock:
        previous, _added = _added, (*backends, *_added)
    try:
        yield
    finally:
        with _state_lock:
            _added = previous


def _import_string(path: str) -> Any:
    module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except AttributeError as err:
        raise ImportError(f"{module_name!r} has no attribute {attr!r}") from err


def configured_backend(config: AirflowConfigParser | None = None) -> BaseSecretsBackend | None:
    """The backend `[secrets] backend` names (None when unset), built once per setting."""
    global _configured
    if config is None:
        from riir_airflow.compat.config import conf as config
    class_path = config.get("secrets", "backend", fallback="") or ""
    kwargs_text = config.get("secrets", "backend_kwargs", fallback="") or ""
    key = (class_path.strip(), kwargs_text.strip())
    cached = _configured
    if cached is not None and cached[0] == key:
        return cached[1]
    backend = None
    if key[0]:
        try:
            kwargs = json.loads(key[1]) if key[1] else {}
            backend = _import_string(key[0])(**kwargs)
        except Exception as err:
            raise AirflowException(f"Cannot build the [secrets] backend {key[0]!r}: {err}") from err
    _configured = (key, backend)
    return backend


def secrets_backends() -> list[Any]:
    """The chain in lookup order: added, configured, environment, then the metastore if installed."""
    chain: list[Any] = [*_added]
    custom = configured_backend()
    if custom is not None:
        chain.append(custom)
    chain.append(_env_backend)
    if _metastore is not None:
        chain.append(_metastore)
    return chain


def get_variable(key: str) -> str | None:
    """The raw value of Variable `key` from the first backend that has it, else None.

    A value whose key looks sensitive (`*password*`, `*secret*`, ...) is masked from then on."""
    value = _lookup_variable(key)
    if value is not None and is_sensitive_key(key):
        mask_secret(value)
    return value


def _lookup_variable(key: str) -> str | None:
    for backend in secrets_backends():
        if backend is _metastore:
            return _metastore.get_variable(key)
        try:
            value = backend.get_variable(key)
        except Exception:
            log.exception("Unable to read variable %r from %s; trying the next backend", key, backend)
            continue
        if value is not None:
            return value
    return None


def get_connection(conn_id: str) -> Connection:
    """Connection `conn_id` from the first backend that has it; AirflowNotFoundException if none."""
    from riir_airflow.sdk.connection import missing_connection

    for backend in secrets_backends():
        if backend is _metastore:
            conn = _metastore.get_connection(conn_id)
        else:
            try:
                conn = backend.get_connection(conn_id)
            except Exception:
                log.exception(
                    "Unable to read connection %r from %s; trying the next backend", conn_id, backend
                )
                continue
        if conn is not None:
            mask_secret(conn.password)  # rendered fields and logs show it as ***
            return conn
    raise missing_connection(conn_id)
