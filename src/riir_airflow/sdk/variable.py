"""`Variable`: global key/value settings shared by DAGs, with both Airflow spellings.

Reads go through the secrets chain (`[secrets] backend`, then `AIRFLOW_VAR_<KEY>`, then the
metastore the runtime installed); writes go to the metastore only, as in Airflow.

`Variable.get(key, default, deserialize_json)` accepts the 3.x keyword `default=` and the 2.x
keyword `default_var=` (Airflow 3 rejects the latter; riir serves 2.x DAG files too). A default,
even None, is returned as given when the key is missing. Without one, the error is
`VariableNotFound`, which is both a `KeyError` (what 2.x raised, so `except KeyError` keeps
working) and an `AirflowRuntimeError` (what 3.x raises); its message reads
`Variable <key> does not exist`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from riir_airflow.sdk.exceptions import AirflowRuntimeError
from riir_airflow.sdk.types import NOTSET, is_arg_set

__all__ = ["Variable", "VariableNotFound"]

log = logging.getLogger(__name__)


class VariableNotFound(AirflowRuntimeError, KeyError):
    """A Variable that no backend holds was read without a default."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Variable {key} does not exist")
        self.key = key

    def __str__(self) -> str:
        # KeyError would show the repr of the message; show the message itself.
        return str(self.args[0])


def _metastore_for(action: str) -> Any:
    from riir_airflow.sdk.secrets import get_metastore_backend

    store = get_metastore_backend()
    if store is None:
        raise AirflowRuntimeError(
            f"Variable.{action} needs the metastore, which is only available inside a running task "
            "or after the runtime has installed it (riir_airflow.sdk.secrets.set_metastore_backend)."
        )
    return store


class Variable:
    """A Variable's data (`key`, `value`/`val`, `description`) and the class-level API to use them."""

    def __init__(
        self,
        key: str | None = None,
        val: Any = None,
        description: str | None = None,
        *,
        value: Any = None,
    ) -> None:
        self.key = key
        self.val = value if value is not None else val
        self.description = description

    @property
    def value(self) -> Any:
        return self.val

    def get_val(self) -> Any:
        return self.val

    def __repr__(self) -> str:
        return f"Variable(key={self.key!r}, description={self.description!r})"

    # -- reading --------------------------------------------------------------------------------
    @staticmethod
    def get_variable_from_secrets(key: str) -> str | None:
        """The raw string of `key` from the secrets chain, or None (2.x name, still used)."""
        from riir_airflow.sdk.secrets import get_variable

        return get_variable(key)

    @classmethod
    def get(
        cls,
        key: str,
        default: Any = NOTSET,
        deserialize_json: bool = False,
        *,
        default_var: Any = NOTSET,
    ) -> Any:
        """The value of `key` (JSON-decoded with `deserialize_json`), else the default.

        Raises VariableNotFound when the key is missing and no default was given, TypeError when
        both `default` and `default_var` are given.
        """
        if is_arg_set(default_var):
            if is_arg_set(default):
                raise TypeError("Variable.get() got both 'default' and 'default_var'")
            default = default_var
        raw = cls.get_variable_from_secrets(key)
        if raw is None:
            if is_arg_set(default):
                return default
            raise VariableNotFound(key)
        return json.loads(raw) if deserialize_json else raw

    # -- writing --------------------------------------------------------------------------------
    @classmethod
    def set(
        cls,
        key: str,
        value: Any,
        description: str | None = None,
        serialize_json: bool = False,
        **_: Any,
    ) -> None:
        """Store `value` (as JSON with `serialize_json`, else as `str(value)`) in the metastore.

        A value also defined in a secrets backend or the environment keeps being read from there;
        a warning says so. Extra keyword arguments (2.x `session=`) are accepted and ignored.
        """
        text = json.dumps(value, indent=2) if serialize_json else str(value)
        cls._warn_if_shadowed(key)
        _metastore_for("set").set_variable(key, text, description)

    @classmethod
    def delete(cls, key: str, **_: Any) -> int:
        """Remove `key` from the metastore; returns how many rows went (0 or 1)."""
        removed = _metastore_for("delete").delete_variable(key)
        return int(removed or 0)

    @classmethod
    def setdefault(
        cls, key: str, default: Any, description: str | None = None, deserialize_json: bool = False
    ) -> Any:
        """The value of `key`; when missing, store `default` first and return it.

        Raises ValueError when the key is missing and `default` is None (nothing to store).
        """
        current = cls.get(key, default=None, deserialize_json=deserialize_json)
        if current is not None:
            return current
        if default is None:
            raise ValueError("Default Value must be set")
        cls.set(key, default, description=description, serialize_json=deserialize_json)
        return default

    @classmethod
    def update(cls, key: str, value: Any, serialize_json: bool = False, **_: Any) -> None:
        """Change an existing Variable's value (VariableNotFound if it does not exist)."""
        if cls.get_variable_from_secrets(key) is None:
            raise VariableNotFound(key)
        cls.set(key, value, description=None, serialize_json=serialize_json)

    @staticmethod
    def _warn_if_shadowed(key: str) -> None:
        from riir_airflow.sdk.secrets import get_metastore_backend, secrets_backends

        store = get_metastore_backend()
        for backend in secrets_backends():
            if backend is store:
                return
            try:
                found = backend.get_variable(key) is not None
            except Exception:  # noqa: BLE001 - a broken backend is reported at read time
                found = False
            if found:
                log.warning(
                    "Variable %r is also defined in %s, which is read before the metastore: "
                    "the value set here will not be seen while that definition exists.",
                    key,
                    type(backend).__name__,
                )
                return
