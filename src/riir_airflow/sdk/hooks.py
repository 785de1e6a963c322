"""`BaseHook`: the base of hooks, and the conn_type -> hook class registry.

Hooks wrap a client for an external system and get their credentials with
`BaseHook.get_connection(conn_id)`, which reads the secrets chain (a missing id raises
AirflowNotFoundException naming it). Provider hooks declare `conn_type` and `conn_name_attr`
(`postgres`, `postgres_conn_id`); defining such a subclass registers it, so
`Connection.get_hook()` / `BaseHook.get_hook(conn_id)` can build the right hook for a
connection without Airflow's providers manager, as long as the hook's module was imported.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from riir_airflow.sdk.exceptions import AirflowException

if TYPE_CHECKING:
    from riir_airflow.sdk.connection import Connection

__all__ = ["BaseHook", "hook_class_for", "register_hook"]

_HOOKS: dict[str, type[Any]] = {}


def register_hook(conn_type: str, hook_class: type[Any]) -> None:
    """Make `hook_class` the hook for connections of `conn_type` (later registrations win)."""
    _HOOKS[conn_type] = hook_class


def hook_class_for(conn_type: str | None) -> type[Any]:
    """The hook class registered for `conn_type`; AirflowException when there is none."""
    try:
        return _HOOKS[conn_type or ""]
    except KeyError:
        raise AirflowException(
            f'Unknown hook type "{conn_type}": import the module that defines its hook first'
        ) from None


class BaseHook:
    """Base class for hooks. Subclasses set `conn_name_attr`, `default_conn_name`, `conn_type`."""

    conn_name_attr: ClassVar[str | None] = None
    default_conn_name: ClassVar[str] = "default_conn_id"
    conn_type: ClassVar[str | None] = None
    hook_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        conn_type = cls.__dict__.get("conn_type")
        if isinstance(conn_type, str) and conn_type:
            register_hook(conn_type, cls)

    def __init__(self, logger_name: str | None = None) -> None:
        self._logger_name = logger_name

    @property
    def log(self) -> logging.Logger:
        """The hook's logger (`airflow.task.hooks.<module>.<class>` unless a name was given).

        Works even when a subclass's `__init__` skipped `super().__init__()`.
        """
        name = getattr(self, "_logger_name", None)
        cls = type(self)
        return logging.getLogger(name or f"airflow.task.hooks.{cls.__module__}.{cls.__name__}")

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        """The connection `conn_id` from the secrets chain (AirflowNotFoundException if missing)."""
        from riir_airflow.sdk.connection import Connection

        conn = Connection.get(conn_id)
        logging.getLogger(__name__).debug("Using connection ID %r for task execution.", conn.conn_id)
        return conn

    @classmethod
    def get_hook(cls, conn_id: str, hook_params: dict[str, Any] | None = None) -> Any:
        """A hook instance for connection `conn_id`, chosen by its conn_type."""
        return cls.get_connection(conn_id).get_hook(hook_params=hook_params)

    def get_conn(self) -> Any:
        """The client object for the external system; implemented by each hook."""
        raise NotImplementedError

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {}
