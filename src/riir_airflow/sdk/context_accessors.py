"""The `var` and `conn` objects of the task context, for templates and task code.

`{{ var.value.KEY }}` is Variable KEY as a string, `{{ var.json.KEY.sub }}` the same value
decoded from JSON, `{{ var.value.get("KEY", "fallback") }}` with a default;
`{{ conn.ID.host }}` reads connection ID, `{{ conn.get("ID") }}` returns None (or a given default)
instead of failing when it is missing.

Values are looked up when accessed, never in advance: a template that does not mention a
variable must not depend on it existing. Names starting with `__` are never treated as keys, so
Python and Jinja probing (`__html__`, `__deepcopy__`, ...) does not turn into store lookups.
"""

from __future__ import annotations

from typing import Any

from riir_airflow.sdk.exceptions import AirflowNotFoundException
from riir_airflow.sdk.types import NOTSET

__all__ = ["ConnectionAccessor", "VariableAccessor", "make_var_accessors"]


class VariableAccessor:
    """Attribute access to Variables: `var.value.KEY` (raw) or `var.json.KEY` (JSON-decoded)."""

    def __init__(self, *, deserialize_json: bool) -> None:
        self._deserialize_json = deserialize_json

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        from riir_airflow.sdk.variable import Variable

        return Variable.get(key, deserialize_json=self._deserialize_json)

    def __getitem__(self, key: str) -> Any:
        return self.__getattr__(key)

    def get(self, key: str, default: Any = NOTSET) -> Any:
        """The Variable's value, or `default` when it does not exist (error without a default)."""
        from riir_airflow.sdk.variable import Variable

        return Variable.get(key, default=default, deserialize_json=self._deserialize_json)

    def __repr__(self) -> str:
        return "<VariableAccessor (json)>" if self._deserialize_json else "<VariableAccessor (value)>"

    # Keep copies and pickles of a context from probing keys through __getattr__.
    def __getstate__(self) -> dict[str, Any]:
        return {"_deserialize_json": self._deserialize_json}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._deserialize_json = state["_deserialize_json"]


class ConnectionAccessor:
    """Attribute access to Connections: `conn.ID` is `Connection.get(ID)`."""

    def __getattr__(self, conn_id: str) -> Any:
        if conn_id.startswith("__"):
            raise AttributeError(conn_id)
        from riir_airflow.sdk.connection import Connection

        return Connection.get(conn_id)

    def __getitem__(self, conn_id: str) -> Any:
        return self.__getattr__(conn_id)

    def get(self, conn_id: str, default_conn: Any = None) -> Any:
        """The connection, or `default_conn` when no backend defines it."""
        from riir_airflow.sdk.connection import Connection

        try:
            return Connection.get(conn_id)
        except AirflowNotFoundException:
            return default_conn

    def __repr__(self) -> str:
        return "<ConnectionAccessor>"

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass


def make_var_accessors() -> dict[str, VariableAccessor]:
    """The context's `var` entry: `{"value": raw accessor, "json": JSON accessor}`."""
    return {
        "value": VariableAccessor(deserialize_json=False),
        "json": VariableAccessor(deserialize_json=True),
    }
