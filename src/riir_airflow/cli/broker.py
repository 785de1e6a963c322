"""`riir-airflow broker [--host H] [--port P]`: run the broker (uvicorn) over the metastore.

Contract:
- Listens on `--host`/`--port`, else `[api] host`/`port` (default 127.0.0.1:8080; see
  `BrokerSettings.from_config`), and serves `riir_airflow.broker.create_app` over the metastore
  of `[database] sql_alchemy_conn`: `MetastoreStore` and `MetastoreRegistry` sharing one
  `Database`, so fenced writes are atomic.
- Refuses to start (exit 1, `error: ...` on stderr) when the metastore is unreachable or not at
  the head revision: `riir-airflow db migrate` first, as Airflow's api-server expects.
- Logs are JSON lines on stderr (`broker.app.configure_logging`); the first says where the API is served. SIGINT
  or SIGTERM stops it gracefully (uvicorn), closing the database connections.

`open_metastore()` is shared with the `users` and `apps` commands, which act on the same
metastore directly (like Airflow's CLI on the API server's machine).
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from riir_airflow.cli.main import CommandError

__all__ = ["open_metastore", "register"]

log = logging.getLogger("riir_airflow.broker")


def register(commands: Any) -> None:
    parser = commands.add_parser("broker", help="Run the broker: the DAG apps' API, login, health")
    parser.add_argument("--host", default=None, help="Address to listen on (default: [api] host, 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help="Port to listen on (default: [api] port, 8080)"
    )
    parser.add_argument(
        "--log-level", default="INFO", help="Log level of the JSON logs on stderr (default INFO)"
    )
    parser.set_defaults(func=_broker)


def open_metastore(*, require_schema: bool = True) -> tuple[Any, Any, str]:
    """(MetastoreStore, MetastoreRegistry, printable URL) on the configured metastore; a
    CommandError if the broker extra is missing, the URL is bad, or the schema is not ready."""
    try:
        from riir_airflow.metastore import migrate
        from riir_airflow.metastore.crypto import cipher_from_config
        from riir_airflow.metastore.database import Database
        from riir_airflow.metastore.engine import create_engine, safe_url
        from riir_airflow.metastore.registry import MetastoreRegistry
        from riir_airflow.metastore.store import MetastoreStore
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CommandError(
            f"this command needs the broker extra (pip install 'riir-airflow[broker]'): {exc}"
        ) from None
    try:
        engine = create_engine()
    except (ValueError, TypeError) as exc:
        raise CommandError(f"[database] sql_alchemy_conn: {exc}") from None
    url = safe_url(engine.url)
    if require_schema:
        status = migrate.check(engine)
        if not status.ok:
            engine.dispose()
            raise CommandError(
                f"the metastore at {url} is not ready: {status.reason}; run `riir-airflow db migrate`"
            )
    db = Database(engine)
    store = MetastoreStore(db, cipher=cipher_from_config(), owns_engine=True)
    return store, MetastoreRegistry(db), url


def _broker(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from riir_airflow.broker import BrokerSettings, create_app
        from riir_airflow.broker.app import configure_logging
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CommandError(
            f"the broker needs the broker extra (pip install 'riir-airflow[broker]'): {exc}"
        ) from None
    from riir_airflow.compat.config import conf

    configure_logging(args.log_level.upper())
    settings = BrokerSettings.from_config(conf, host=args.host, port=args.port)
    store, registry, url = open_metastore()
    if not conf.get("api_auth", "jwt_secret", fallback=""):
        log.warning("no [api_auth] jwt_secret configured: login tokens will not survive a broker restart")
    app = create_app(store, registry, settings)
    log.info("broker serving url=http://%s:%s metastore=%s", settings.host, settings.port, url)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    return 0
