"""What the commands acting on a running system share: `--api-url`, the local/remote choice,
finding a run by id or logical date, dates as the API wants them, confirmation prompts, and the
files and bulk calls of the `import`/`export` commands (variables, connections, pools).

Which way a command goes (commands that also have a local meaning):
- a DAG *file or folder* as the target, or `--local`: the local one (files, `dags test` store);
- else `--api-url` or a configured running system (`api_client.running_system_configured`):
  the broker's REST API, as Airflow 3's CLI reads the metastore;
- else the local one (a dag_id is looked up in `[core] dags_folder`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riir_airflow.cli.main import CommandError

if TYPE_CHECKING:
    from riir_airflow.cli.api_client import ApiClient

__all__ = [
    "add_api_argument",
    "add_local_switch",
    "api_date",
    "bulk_create",
    "client",
    "confirm",
    "find_run",
    "is_path",
    "read_mapping_file",
    "report_bulk",
    "use_api",
    "write_export",
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


def read_mapping_file(path: str) -> dict[str, Any]:
    """The object a JSON (or, by extension, YAML) file holds (`-`: stdin); a CommandError when it
    cannot be read or parsed or holds something else."""
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    try:
        if path.endswith((".yaml", ".yml")):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - JSON and YAML parse errors
        raise CommandError(
            f"{path} is not valid {'YAML' if path.endswith(('.yaml', '.yml')) else 'JSON'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise CommandError(f"{path} must hold one object ({{key: ...}})")
    return data


def write_export(path: str, text: str, done: str) -> None:
    """An `export` command's output: `text` written to stdout for `-`; else to the file `path`
    (a CommandError when it cannot be written), then `done` printed."""
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc}") from None
    print(done)


def bulk_create(
    api: ApiClient, path: str, entities: list[dict[str, Any]], on_existence: str
) -> dict[str, Any]:
    """Send one bulk `create` action of `entities` to the collection `path` (PATCH, nothing sent
    for none), `on_existence` being its `action_on_existence`; {"success": [ids], "errors": [{...}]}."""
    if not entities:
        return {"success": [], "errors": []}
    answer = api.call(
        "PATCH",
        path,
        {"actions": [{"action": "create", "entities": entities, "action_on_existence": on_existence}]},
    )
    result = (answer or {}).get("create") or {}
    return {"success": list(result.get("success") or []), "errors": list(result.get("errors") or [])}


def report_bulk(result: dict[str, Any], failure: str) -> int:
    """Print each error of a `bulk_create` result to stderr as `<failure>: <error>`; the
    command's exit code: 1 when there was an error, else 0."""
    for error in result["errors"]:
        print(f"{failure}: {error.get('error', error)}", file=sys.stderr)
    return 1 if result["errors"] else 0
