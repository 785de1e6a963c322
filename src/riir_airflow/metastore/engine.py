"""The metastore's SQLAlchemy engine, built from `[database] sql_alchemy_conn`.

Contract:
- `database_url()` reads `[database] sql_alchemy_conn` with Airflow's precedence (env
  `AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`, `_CMD`, `_SECRET`, airflow.cfg; default
  `sqlite:///{AIRFLOW_HOME}/airflow.db`).
- `normalize_url()` maps `postgresql://` / `postgres://` (and the psycopg2 driver name Airflow
  users often have in their config) to psycopg 3 (`postgresql+psycopg://`), the only PostgreSQL
  driver the broker extra installs. Other schemes than postgresql and sqlite are refused.
- `create_engine()`:
  * SQLite: creates the file's folder; every connection gets WAL, foreign keys on (the schema's
    ON DELETE CASCADE relies on it), `synchronous=NORMAL` and a busy timeout. pysqlite's own
    transaction handling is switched off and SQLAlchemy's "begin" emits `BEGIN`, or
    `BEGIN IMMEDIATE` on a connection with the `riir_write=True` execution option, so a
    read-then-write transaction takes the write lock up front and concurrent writers queue on the
    busy timeout instead of failing with "database is locked" on lock upgrade.
  * PostgreSQL: a pool sized from `[database] sql_alchemy_pool_size` / `_max_overflow` /
    `_pool_recycle`, last-in first-out (a busy broker keeps reusing a few warm connections).
    The broker's engine (`server=True`) folds the overflow into the pool: up to
    `pool_size + max_overflow` connections as configured, but kept open once made, where
    SQLAlchemy closes an overflow connection as soon as it is returned (under load: a new
    PostgreSQL backend per burst of requests).
    A connection is pinged at checkout only when it sat idle in the pool for more than
    `PING_AFTER_IDLE_S` (a restarted server costs one silent reconnect, not an error): a ping per
    checkout (SQLAlchemy's `pool_pre_ping`) is one more round trip on every broker request, and
    a connection that was in use a moment ago is known to be alive. `pool_pre_ping` in
    `sql_alchemy_engine_args` still switches the ping-every-checkout behaviour on.
  * `[database] sql_alchemy_engine_args` (JSON) is passed on to SQLAlchemy.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

__all__ = ["PING_AFTER_IDLE_S", "WRITE", "create_engine", "database_url", "normalize_url", "safe_url"]

log = logging.getLogger(__name__)

# Execution option that makes a SQLite transaction take the write lock at BEGIN.
WRITE = "riir_write"
_SQLITE_BUSY_TIMEOUT_S = 30.0
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 2.0
_LAST_USED = "riir_last_used"


def _conf(config: Any = None) -> Any:
    if config is not None:
        return config
    from riir_airflow.compat.config import conf

    return conf


def database_url(config: Any = None) -> str:
    """`[database] sql_alchemy_conn` of `config` (default: the process configuration)."""
    return str(_conf(config).get("database", "sql_alchemy_conn"))


def normalize_url(url: str | sa.URL) -> sa.URL:
    """The URL with PostgreSQL on psycopg 3; ValueError for a database other than PostgreSQL/SQLite."""
    parsed = sa.make_url(url) if isinstance(url, str) else url
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg", "psycopg2"):
            raise ValueError(f"unsupported PostgreSQL driver {driver!r}: riir-airflow uses psycopg 3")
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise ValueError(f"unsupported SQLite driver {driver!r}: riir-airflow uses the stdlib sqlite3")
        return parsed.set(drivername="sqlite")
    raise ValueError(f"unsupported database {backend!r}: the metastore runs on postgresql or sqlite")


def safe_url(url: str | sa.URL) -> str:
    """The URL with its password hidden, for logs and error messages."""
    parsed = sa.make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def _engine_args(config: Any) -> dict[str, Any]:
    text = _conf(config).get("database", "sql_alchemy_engine_args", fallback="") or ""
    if not str(text).strip():
        return {}
    args = json.loads(text)
    if not isinstance(args, dict):
        raise TypeError("[database] sql_alchemy_engine_args must be a JSON object")
    return args


def _is_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or bool(url.query.get("mode") == "memory")


def create_engine(
    url: str | sa.URL | None = None, *, config: Any = None, server: bool = False, **kwargs: Any
) -> sa.Engine:
    """An engine for the metastore at `url` (default: `database_url(config)`); `kwargs` override
    `[database] sql_alchemy_engine_args`. See the module docstring for what each dialect gets;
    `server=True` is the broker's engine (a pool that keeps its connections, below)."""
    parsed = normalize_url(url if url is not None else database_url(config))
    args: dict[str, Any] = _engine_args(config) if url is None else {}
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, {**args, **kwargs})
    cfg = _conf(config)
    pooled = {
        "pool_size": cfg.getint("database", "sql_alchemy_pool_size", fallback=5),
        "max_overflow": cfg.getint("database", "sql_alchemy_max_overflow", fallback=10),
        "pool_recycle": cfg.getint("database", "sql_alchemy_pool_recycle", fallback=1800),
        "pool_use_lifo": True,
    }
    if server and pooled["pool_size"] > 0 and pooled["max_overflow"] > 0:
        pooled["pool_size"] += pooled["max_overflow"]
        pooled["max_overflow"] = 0
    merged = {**pooled, **args, **kwargs}
    if merged.get("poolclass") in (sa.NullPool, sa.StaticPool):  # pools without a size
        merged.pop("pool_size")
        merged.pop("max_overflow")
        merged.pop("pool_use_lifo")
    engine = sa.create_engine(parsed, **merged)
    if not merged.get("pool_pre_ping") and merged.get("poolclass") is not sa.NullPool:
        _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: sa.Engine) -> None:
    """Ping a pooled connection at checkout if it was idle for more than PING_AFTER_IDLE_S; a
    dead one is replaced by a fresh connection (SQLAlchemy's pessimistic disconnect handling)."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= PING_AFTER_IDLE_S:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure means the connection is unusable
            raise sa.exc.DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        if alive is False:
            raise sa.exc.DisconnectionError("pooled connection failed its ping")


def _sqlite_engine(url: sa.URL, args: dict[str, Any]) -> sa.Engine:
    memory = _is_memory(url)
    if not memory:
        Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        args.setdefault("poolclass", sa.StaticPool)  # one shared in-memory database
    connect_args = dict(args.pop("connect_args", {}))
    connect_args.setdefault("timeout", _SQLITE_BUSY_TIMEOUT_S)
    connect_args.setdefault("check_same_thread", False)
    engine = sa.create_engine(url, connect_args=connect_args, **args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_conn.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(connect_args['timeout'] * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine
