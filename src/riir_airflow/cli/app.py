"""`riir-airflow app FILE` (run a DAG file as its app) and `riir-airflow app retire FILE|--dag-id`.

Contract:
- `app FILE [--broker URL] [--token T] [--parallelism N] [--drain-grace S]`: see
  `riir_airflow.runtime.app.main`. The broker is `--broker`, else `$RIIR_BROKER_URL`, else
  `[riir] broker_url`, else `http://[api] host:port`; the token is `--token`, else
  `$RIIR_APP_TOKEN`, else `[riir] app_token`, else `[riir] app_bootstrap_secret` (the broker
  then issues the app a token scoped to its DAGs). Parallelism defaults to `[riir]
  app_parallelism` when set, else the number of cores. Logs are JSON lines on stderr with the
  app's id and dag_ids on every line.
- `app retire FILE` (its DAGs) or `app retire --dag-id D ...`: removes each DAG and all its
  metadata (runs, task instances and their history, XComs, rendered fields, logs, versions,
  leases, queued commands) through the broker's API (`DELETE /api/v2/dags/{dag_id}`).
  Refuses (exit 1) while an app that is alive still serves one of them, unless `--force`.
  Needs an operator's credentials (see `riir_airflow.cli.api_client`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from riir_airflow.cli.main import CommandError

__all__ = ["register"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "app",
        help="Run a DAG file as its app (`app FILE`), or retire a DAG (`app retire FILE|--dag-id ID`)",
        description="`riir-airflow app FILE`: load the file once, register with the broker, schedule and "
        "run its DAGs until SIGTERM (then drain). `riir-airflow app retire FILE|--dag-id ID`: remove "
        "the DAGs and all their metadata.",
    )
    parser.add_argument("target", metavar="FILE", help="The DAG file (or `retire`)")
    parser.add_argument("retire_file", nargs="?", metavar="RETIRE_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--broker", default=None, help="The broker's URL")
    parser.add_argument("--token", default=None, help="An app token (or the bootstrap secret)")
    parser.add_argument("--parallelism", type=int, default=None, help="Tries run at once (default: cores)")
    parser.add_argument(
        "--drain-grace", type=float, default=None,
        help="Seconds running tries get on SIGTERM before being handed back (default 60)",
    )  # fmt: skip
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--dag-id", dest="dag_ids", action="append", default=[], help="retire: a DAG id")
    parser.add_argument("--force", action="store_true", help="retire: even while an app serves the DAG")
    parser.add_argument("--api-url", default=None, help="retire: the broker's API (default: see README)")
    parser.set_defaults(func=_app)


def broker_url_from_config(explicit: str | None = None) -> str:
    from riir_airflow.compat.config import conf

    url = explicit or os.environ.get("RIIR_BROKER_URL") or conf.get("riir", "broker_url", fallback="")
    if url:
        return str(url)
    host = conf.get("api", "host", fallback="127.0.0.1") or "127.0.0.1"
    if host == "0.0.0.0":
        host = "127.0.0.1"
    return f"http://{host}:{conf.get('api', 'port', fallback='8080') or 8080}"


def _app(args: argparse.Namespace) -> int:
    if args.target == "retire":
        return _retire(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from riir_airflow.compat.config import conf
    from riir_airflow.jsonlog import configure_json_logging
    from riir_airflow.runtime.app.main import AppOptions, run_app

    path = Path(args.target)
    if not path.is_file():
        raise CommandError(f"no DAG file at {path}")
    token = (
        args.token
        or os.environ.get("RIIR_APP_TOKEN")
        or conf.get("riir", "app_token", fallback="")
        or conf.get("riir", "app_bootstrap_secret", fallback="")
        or None
    )
    parallelism = args.parallelism or int(conf.get("riir", "app_parallelism", fallback=0) or 0) or os.cpu_count() or 2
    grace = args.drain_grace if args.drain_grace is not None else float(
        conf.get("riir", "drain_grace_seconds", fallback=60) or 60
    )
    configure_json_logging(args.log_level.upper(), {"fileloc": str(path.resolve())})
    return run_app(
        AppOptions(
            path=path, broker_url=broker_url_from_config(args.broker), token=token,
            parallelism=parallelism, drain_grace=grace,
        )
    )


def _retire(args: argparse.Namespace) -> int:
    from riir_airflow.cli.api_client import ApiClient
    from riir_airflow.runtime.loader import load_dag_file

    dag_ids = list(args.dag_ids)
    if args.retire_file:
        loaded = load_dag_file(args.retire_file)
        if loaded.errors and not loaded.dags:
            raise CommandError(f"{args.retire_file} does not load ({loaded.errors[0]}): name the DAGs with --dag-id")
        dag_ids += list(loaded.dags)
    if not dag_ids:
        raise CommandError("name a DAG file or --dag-id")
    client = ApiClient.from_config(args.api_url)
    serving = client.alive_apps_serving(dag_ids)
    if serving and not args.force:
        listed = ", ".join(f"{dag_id} (app {app_id})" for dag_id, app_id in sorted(serving.items()))
        raise CommandError(f"still served by a running app: {listed}; stop it first or pass --force")
    for dag_id in dag_ids:
        if client.delete_dag(dag_id):
            print(f"retired {dag_id}")
        else:
            print(f"{dag_id}: not registered, nothing to retire")
    return 0
