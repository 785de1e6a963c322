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
- `--workers N` (else `[riir] broker_workers`, default 1) serves the same port from N processes
  (uvicorn's worker processes, each building its own app with `app_from_environment`, its own
  connection pool and caches): a Python process uses one core at most. A JWT secret generated
  for this run (none configured) is handed to every worker, so a login token works on all.
  What is kept per process: see `[riir] broker_workers` in `broker/settings.py`.

`open_metastore()` is shared with the `users` and `apps` commands, which act on the same
metastore directly (like Airflow's CLI on the API server's machine).
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from riir_airflow.cli.main import CommandError

__all__ = ["app_from_environment", "open_metastore", "register"]

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
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Worker processes serving the port (default: [riir] broker_workers, 1)",
    )
    parser.set_defaults(func=_broker)


def open_metastore(*, require_schema: bool = True, server: bool = False) -> tuple[Any, Any, str]:
    """(MetastoreStore, MetastoreRegistry, printable URL) on the configured metastore; a
    CommandError if the broker extra is missing, the URL is bad, or the schema is not ready.

    `server=True` (the broker): the engine's pool keeps its connections (`create_engine(server=True)`)."""
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
        engine = create_engine(server=server)
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


_LOG_LEVEL_ENV = "RIIR_BROKER_LOG_LEVEL"
_JWT_SECRET_ENV = "AIRFLOW__API_AUTH__JWT_SECRET"


def app_from_environment() -> Any:
    """The broker app of one worker process (`--workers` > 1): configuration from the environment
    and airflow.cfg, as `riir-airflow broker` read them in the parent process."""
    from riir_airflow.broker import BrokerSettings, create_app
    from riir_airflow.broker.app import configure_logging
    from riir_airflow.compat.config import conf

    configure_logging(os.environ.get(_LOG_LEVEL_ENV, "INFO"))
    settings = BrokerSettings.from_config(conf)
    store, registry, _url = open_metastore(server=True)
    return create_app(store, registry, settings)


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
    settings = BrokerSettings.from_config(conf, host=args.host, port=args.port, broker_workers=args.workers)
    if settings.broker_workers < 1:
        raise CommandError(
            f"--workers / [riir] broker_workers must be at least 1, not {settings.broker_workers}"
        )
    store, registry, url = open_metastore(server=True)
    if not conf.get("api_auth", "jwt_secret", fallback=""):
        log.warning("no [api_auth] jwt_secret configured: login tokens will not survive a broker restart")
    served = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": 5,
    }
    if settings.broker_workers == 1:
        app = create_app(store, registry, settings)
        log.info(
            "broker serving url=http://%s:%s ui=http://%s:%s/ui/ metastore=%s",
            settings.host, settings.port, settings.host, settings.port, url,
        )  # fmt: skip
        uvicorn.run(app, **served)
        return 0
    store.close()  # the check is done; each worker opens its own pool
    registry.db.dispose()
    # Workers read the configuration anew: hand them what this process decided.
    os.environ[_LOG_LEVEL_ENV] = args.log_level.upper()
    os.environ[_JWT_SECRET_ENV] = settings.jwt_secret  # generated when none is configured
    if args.host is not None:
        os.environ["AIRFLOW__API__HOST"] = settings.host
    if args.port is not None:
        os.environ["AIRFLOW__API__PORT"] = str(settings.port)
    log.info(
        "broker serving url=http://%s:%s ui=http://%s:%s/ui/ metastore=%s workers=%s",
        settings.host, settings.port, settings.host, settings.port, url, settings.broker_workers,
    )  # fmt: skip
    uvicorn.run(
        "riir_airflow.cli.broker:app_from_environment",
        factory=True,
        workers=settings.broker_workers,
        **served,
    )
    return 0
