"""What the commands acting on a running system share: `--api-url`, the local/remote choice,
finding a run by id or logical date, dates as the API wants them, confirmation prompts.

Which way a command goes (commands that also have a local meaning):
- a DAG *file or folder* as the target, or `--local`: the local one (files, `dags test` store);
- else `--api-url` or a configured running system (`api_client.running_system_configured`):
  the broker's REST API, as Airflow 3's CLI reads the metastore;
- else the local one (a dag_id is looked up in `[core] dags_folder`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riir_airflow.cli.main import CommandError

if TYPE_CHECKING:
    from riir_airflow.cli.api_client import ApiClient

__all__ = [
    "add_api_argument",
    "add_local_switch",
    "api_date",
    "client",
    "confirm",
    "find_run",
    "is_path",
    "use_api",
]


def add_api_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-url",
        default=None,
        help="the broker's address (default: $RIIR_API_URL, then the running standalone's, then config)",
    )


def add_local_switch(parser: argparse.ArgumentParser) -> None:
    add_api_argument(parser)
    parser.add_argument(
        "--local",
        action="store_true",
        help="use DAG files and the local store even when a running system is configured",
    )


def is_path(target: str | None) -> bool:
    """Whether a command's target names a DAG file or folder (not a dag_id)."""
    if not target:
        return False
    return target.endswith(".py") or os.sep in target or Path(target).is_file()


def use_api(args: argparse.Namespace, target: str | None = None) -> bool:
    from riir_airflow.cli.api_client import running_system_configured

    if getattr(args, "local", False) or is_path(target):
        return False
    return running_system_configured(getattr(args, "api_url", None))


def client(args: argparse.Namespace) -> ApiClient:
    from riir_airflow.cli.api_client import ApiClient

    return ApiClient.from_config(getattr(args, "api_url", None))


def api_date(value: str | None, option: str = "date") -> str | None:
    """An ISO date-time for the API (naive ones in the default timezone), or None."""
    if value is None:
        return None
    from riir_airflow.cli.dags import parse_logical_date

    try:
        return parse_logical_date(value).isoformat()
    except CommandError as exc:
        raise CommandError(f"{option}: {exc}") from None


def find_run(api: ApiClient, dag_id: str, run_id_or_date: str) -> dict[str, Any] | None:
    """The run (DAGRunResponse) named by its run_id or, failing that, by its logical date."""
    from riir_airflow.cli.api_client import quote

    run = api.call("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id_or_date)}", ok_missing=True)
    if run is not None:
        return run
    try:
        when = api_date(run_id_or_date)
    except CommandError:
        return None
    runs = api.get(f"/api/v2/dags/{quote(dag_id)}/dagRuns", logical_date_gte=when, logical_date_lte=when)
    return runs["dag_runs"][0] if runs.get("dag_runs") else None


def confirm(question: str, yes: bool) -> bool:
    """True when `yes` or the user answers y/yes on stdin (EOF: no)."""
    if yes:
        return True
    print(question, flush=True)
    while True:
        try:
            answer = input().strip().lower()
        except EOFError:
            return False
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        print("Please respond with y/yes or n/no.", flush=True)
