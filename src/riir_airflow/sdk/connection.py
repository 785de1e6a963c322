"""`Connection`: credentials and endpoint of an external system, with Airflow's URI format.

Connections reach a DAG as `AIRFLOW_CONN_<ID>` environment variables, secrets-backend values,
files or metastore rows, in one of two forms: a URI (`postgres://user:p%40ss@host:5432/db?k=v`)
or a JSON object. Parsing and printing them must match Airflow exactly (spec 9.2), because the
same strings are shared between Airflow and riir deployments:

- the scheme is the conn_type, with `-` read as `_` and `postgresql` read as `postgres`;
- userinfo, host and path are percent-decoded; the path (minus its `/`) is the schema;
- the query is the extra: `__extra__=<JSON>` keeps nesting, plain `k=v` pairs become strings;
- a host that carries its own protocol is written `type://proto://host` (two `://`).

Lookups (`Connection.get`, `BaseHook.get_connection`) go through the secrets chain in
`riir_airflow.sdk.secrets`; a missing id raises AirflowNotFoundException naming it.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from riir_airflow.sdk.exceptions import AirflowException, AirflowNotFoundException

__all__ = ["Connection"]

log = logging.getLogger(__name__)

_FIELDS = ("conn_id", "conn_type", "description", "host", "login", "password", "schema", "port", "extra")
EXTRA_KEY = "__extra__"


def _normalize_conn_type(conn_type: str | None) -> str | None:
    if conn_type == "postgresql":
        return "postgres"
    return conn_type.replace("-", "_") if conn_type else conn_type


class Connection:
    """One connection. Build it from fields, from `uri=`, or with `from_json`/`from_uri`."""

    EXTRA_KEY = EXTRA_KEY

    def __init__(
        self,
        conn_id: str | None = None,
        conn_type: str | None = None,
        description: str | None = None,
        host: str | None = None,
        login: str | None = None,
        password: str | None = None,
        schema: str | None = None,
        port: int | None = None,
        extra: str | dict[str, Any] | None = None,
        uri: str | None = None,
    ) -> None:
        self.conn_id = conn_id
        self.description = description
        if uri and any(v is not None for v in (conn_type, host, login, password, schema, port, extra)):
            raise AirflowException(
                "You must create an object using the URI or individual values (conn_type, host, login, "
                "password, schema, port or extra). You can't mix these two ways to create this object."
            )
        self.conn_type: str | None = conn_type
        self.host = host
        self.login = login
        self.password = password
        self.schema = schema
        self.port = int(port) if port is not None and port != "" else None
        self.extra: str | None = json.dumps(extra) if isinstance(extra, dict) else extra
        if uri:
            self._parse_uri(uri)

    # -- URI ------------------------------------------------------------------------------------
    def _parse_uri(self, uri: str) -> None:
        scheme_count = uri.count("://")
        if scheme_count > 2:
            raise AirflowException(f"Invalid connection string: {uri}.")
        host_with_protocol = scheme_count == 2
        raw_type = urlsplit(uri).scheme
        self.conn_type = _normalize_conn_type(raw_type)
        rest = uri.replace(f"{raw_type}://", "" if host_with_protocol else "//", 1)
        if host_with_protocol:
            before = rest.split("://", 1)[0]
            if "@" in before or ":" in before:
                raise AirflowException(f"Invalid connection string: {uri}.")
        parts = urlsplit(rest)
        protocol = parts.scheme if host_with_protocol else None
        host = _hostname(parts)
        self.host = f"{protocol}://{host}" if protocol else host
        self.schema = unquote(parts.path[1:]) if parts.path[1:] else parts.path[1:]
        self.login = unquote(parts.username) if parts.username else parts.username
        self.password = unquote(parts.password) if parts.password else parts.password
        self.port = parts.port
        if parts.query:
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self.extra = query[EXTRA_KEY] if EXTRA_KEY in query else json.dumps(query)

    def get_uri(self) -> str:
        """The connection as a URI that `Connection(uri=...)` parses back to the same fields."""
        uri = f"{(self.conn_type or '').replace('_', '-')}://"
        protocol, host = self.host.split("://", 1) if self.host and "://" in self.host else (None, self.host)
        if protocol:
            uri += f"{protocol}://"
        auth = ""
        if self.login is not None:
            auth += quote(self.login, safe="")
        if self.password is not None:
            auth += ":" + quote(self.password, safe="")
        if auth:
            uri += auth + "@"
        host_block = quote(host, safe="") if host else ""
        if self.port:
            host_block += f"@:{self.port}" if not host_block and not auth else f":{self.port}"
        if self.schema:
            host_block += f"/{quote(self.schema, safe='')}"
        uri += host_block
        if self.extra:
            extra = self.extra_dejson
            try:
                query: str | None = urlencode(extra)
            except TypeError:
                query = None
            # Plain pairs only when they read back identically; otherwise the JSON is embedded.
            if not query or extra != dict(parse_qsl(query, keep_blank_values=True)):
                query = urlencode({EXTRA_KEY: self.extra})
            uri += ("?" if self.schema else "/?") + query
        return uri

    # -- extra ----------------------------------------------------------------------------------
    @property
    def extra_dejson(self) -> dict[str, Any]:
        """`extra` parsed as JSON; `{}` when empty or not valid JSON (logged)."""
        if not self.extra:
            return {}
        try:
            value = json.loads(self.extra)
        except json.JSONDecodeError:
            log.error("Failed to parse the extra of connection %r as JSON", self.conn_id)
            return {}
        return value if isinstance(value, dict) else {}

    def get_extra_dejson(self, nested: bool = False) -> dict[str, Any]:
        """`extra_dejson`; with `nested`, string values holding JSON objects are parsed too."""
        extra = self.extra_dejson
        if nested:
            for key, value in extra.items():
                if isinstance(value, str) and value.lstrip().startswith("{"):
                    try:
                        extra[key] = json.loads(value)
                    except json.JSONDecodeError:
                        pass
        return extra

    def get_extra(self) -> str | None:
        return self.extra

    def get_password(self) -> str | None:
        return self.password

    # -- dict / JSON ----------------------------------------------------------------------------
    def to_dict(self, *, prune_empty: bool = False, validate: bool = True) -> dict[str, Any]:
        """The fields as a dict with `extra` parsed; `prune_empty` drops None/empty values."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _FIELDS if name != "extra"}
        if prune_empty:
            out = {k: v for k, v in out.items() if v not in (None, "")}
        extra = self.extra_dejson
        if extra or not prune_empty:
            out["extra"] = extra
        if validate:
            json.dumps(out)
        return out

    def as_json(self) -> str:
        """The JSON form used in `AIRFLOW_CONN_*` (no conn_id, empty fields left out)."""
        out = self.to_dict(prune_empty=True, validate=False)
        out.pop("conn_id", None)
        return json.dumps(out)

    @classmethod
    def from_json(cls, value: str, conn_id: str | None = None) -> Connection:
        """Build from the JSON form: `extra` may be a dict or a string, `port` an int or digits."""
        kwargs = json.loads(value)
        if not isinstance(kwargs, dict):
            raise TypeError(f"Connection {conn_id!r}: the JSON form must be an object")
        extra = kwargs.pop("extra", None)
        if extra:
            kwargs["extra"] = extra if isinstance(extra, str) else json.dumps(extra)
        if kwargs.get("conn_type"):
            kwargs["conn_type"] = _normalize_conn_type(kwargs["conn_type"])
        port = kwargs.pop("port", None)
        if port not in (None, ""):
            try:
                kwargs["port"] = int(port)
            except ValueError:
                raise ValueError(f"Expected integer value for `port`, but got {port!r} instead.") from None
        kwargs.pop("conn_id", None)
        return cls(conn_id=conn_id, **kwargs)

    @classmethod
    def from_uri(cls, uri: str, conn_id: str | None = None) -> Connection:
        return cls(conn_id=conn_id, uri=uri)

    # -- lookup ---------------------------------------------------------------------------------
    @classmethod
    def get(cls, conn_id: str) -> Connection:
        """The connection `conn_id` from the secrets chain (3.x spelling)."""
        from riir_airflow.sdk.secrets import get_connection

        return get_connection(conn_id)

    @classmethod
    def get_connection_from_secrets(cls, conn_id: str) -> Connection:
        """The connection `conn_id` from the secrets chain (2.x spelling)."""
        return cls.get(conn_id)

    def get_hook(self, *, hook_params: dict[str, Any] | None = None) -> Any:
        """An instance of the hook class registered for this conn_type, bound to this conn_id."""
        from riir_airflow.sdk.hooks import hook_class_for

        hook_class = hook_class_for(self.conn_type)
        conn_arg = getattr(hook_class, "conn_name_attr", None)
        kwargs = dict(hook_params or {})
        if conn_arg:
            kwargs[conn_arg] = self.conn_id
        return hook_class(**kwargs)

    def test_connection(self) -> tuple[bool, str]:
        """Ask the hook to test the connection, when the hook supports it."""
        try:
            hook = self.get_hook()
        except AirflowException as err:
            return False, str(err)
        if not hasattr(hook, "test_connection"):
            return False, f"Hook {type(hook).__name__} doesn't implement or inherit test_connection method"
        return hook.test_connection()

    # -- object protocol ------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Connection):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f}={'***' if f == 'password' and self.password else repr(getattr(self, f))}"
            for f in _FIELDS
            if getattr(self, f) is not None
        )
        return f"Connection({shown})"


def _hostname(parts: Any) -> str:
    """The percent-decoded host of a split URI (also when the "host" contains `/` or `@`)."""
    hostname = unquote(parts.hostname or "")
    if "/" in hostname:
        hostname = parts.netloc
        if "@" in hostname:
            hostname = hostname.rsplit("@", 1)[1]
        if ":" in hostname:
            hostname = hostname.split(":", 1)[0]
        hostname = unquote(hostname)
    return hostname


def missing_connection(conn_id: str) -> AirflowNotFoundException:
    """The error for an id no backend knows (the message Airflow prints)."""
    return AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
