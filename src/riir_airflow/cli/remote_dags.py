"""`riir-airflow dags ...` against a running system, through the broker's REST API.

Airflow 3's commands and flags:
- `dags list [--columns C,..] [-o FORMAT]`: the registered DAGs (not stale ones);
- `dags trigger DAG_ID [-c JSON] [-r RUN_ID] [-l LOGICAL_DATE] [--no-replace-microseconds]`:
  a manual run, created queued (the DAG's app starts it); prints the run;
- `dags pause|unpause DAG_ID [--treat-dag-id-as-regex] [-y]`: prints dag_id / is_paused;
- `dags list-runs DAG_ID [--state S] [-s START] [-e END] [--no-backfill]`: newest first,
  dates are logical dates (inclusive);
- `dags state DAG_ID RUN_ID_OR_LOGICAL_DATE`: the run's state (`, {conf}` when it has one),
  `None` when there is no such run;
- `dags delete DAG_ID [-y]`: the DAG's metadata (runs, task instances, XComs, logs, versions);
  a still-running app registers the DAG again (`riir-airflow app retire` refuses that case);
- `dags report`: per DAG file what the broker knows (DAGs, last parse time and duration).
`dags list`, `list-runs` and `report` also have a local meaning: see `cli.remote`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from riir_airflow.cli.api_client import quote
from riir_airflow.cli.main import CommandError
from riir_airflow.cli.output import add_output_argument, print_rows
from riir_airflow.cli.remote import add_api_argument, api_date, client, confirm, find_run

__all__ = ["list_dags", "list_runs", "register", "report"]

DAG_COLUMNS = "dag_id,fileloc,owners,is_paused"
RUN_COLUMNS = ("dag_id", "run_id", "state", "run_after", "logical_date", "start_date", "end_date")


def register(sub: Any) -> None:
    """The `dags` subcommands that exist only against a running system."""
    trigger = sub.add_parser("trigger", help="Trigger a DAG run on the running system (created queued)")
    trigger.add_argument("dag_id")
    trigger.add_argument("-c", "--conf", help="JSON object: the run's conf")
    trigger.add_argument("-r", "--run-id", help="the run's id (default: generated)")
    trigger.add_argument("-l", "--logical-date", help="the run's logical date (default: none, as Airflow 3)")
    trigger.add_argument(
        "--no-replace-microseconds",
        dest="replace_microseconds",
        action="store_false",
        help="keep the logical date's microseconds (default: zeroed)",
    )
    add_output_argument(trigger)
    add_api_argument(trigger)
    trigger.set_defaults(func=_trigger)

    for name, paused in (("pause", True), ("unpause", False)):
        p = sub.add_parser(name, help=f"{name.capitalize()} a DAG (its app is told at once)")
        p.add_argument("dag_id")
        p.add_argument(
            "--treat-dag-id-as-regex", action="store_true", help="dag_id is a regex searched in every dag_id"
        )
        p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation (regex)")
        add_output_argument(p)
        add_api_argument(p)
        p.set_defaults(func=_set_paused, paused=paused)

    state = sub.add_parser("state", help="The state of a DAG run")
    state.add_argument("dag_id")
    state.add_argument("logical_date_or_run_id", help="the run's id or logical date")
    add_api_argument(state)
    state.set_defaults(func=_state)

    delete = sub.add_parser("delete", help="Delete a DAG's metadata (runs, task instances, logs...)")
    delete.add_argument("dag_id")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_api_argument(delete)
    delete.set_defaults(func=_delete)


# -- dags list -------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ",".join(v["name"] if isinstance(v, dict) and "name" in v else str(v) for v in value)
    return value


def list_dags(args: argparse.Namespace) -> int:
    columns = [c.strip() for c in (args.columns or DAG_COLUMNS).split(",") if c.strip()]
    dags = client(args).get_all("/api/v2/dags", "dags", order_by="dag_id")
    if dags and (unknown := [c for c in columns if c not in dags[0]]):
        raise CommandError(
            f"--columns: no such column {', '.join(unknown)} (choose from {', '.join(dags[0])})"
        )
    rows = [{c: (d[c] if args.output in ("json", "yaml") else _cell(d[c])) for c in columns} for d in dags]
    print_rows(rows, args.output)
    return 0


# -- dags trigger ----------------------------------------------------------------------------------
def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("dag_id", "dag_run_id", "state", "run_type", "logical_date", "run_after", "data_interval_start",
            "data_interval_end", "start_date", "end_date", "conf")  # fmt: skip
    return {k: run.get(k) for k in keys}


def _trigger(args: argparse.Namespace) -> int:
    from riir_airflow.cli.dags import parse_conf, parse_logical_date

    conf = parse_conf(args.conf)
    logical = parse_logical_date(args.logical_date)
    if logical is not None and args.replace_microseconds:
        logical = logical.replace(microsecond=0)
    body: dict[str, Any] = {
        "logical_date": logical.isoformat() if logical is not None else None,
        "conf": conf,
    }
    if args.run_id:
        body["dag_run_id"] = args.run_id
    run = client(args).call("POST", f"/api/v2/dags/{quote(args.dag_id)}/dagRuns", body)
    print_rows([_run_row(run)], args.output)
    return 0


# -- dags pause / unpause --------------------------------------------------------------------------
def _set_paused(args: argparse.Namespace) -> int:
    api = client(args)
    if args.treat_dag_id_as_regex:
        try:
            pattern = re.compile(args.dag_id)
        except re.error as exc:
            raise CommandError(f"dag_id is not a valid regular expression: {exc}") from None
        dags = [d for d in api.get_all("/api/v2/dags", "dags") if pattern.search(d["dag_id"])]
    else:
        dags = [api.call("GET", f"/api/v2/dags/{quote(args.dag_id)}")]
    todo = [d for d in dags if d["is_paused"] != args.paused]
    if not todo:
        print(f"No {'un' if args.paused else ''}paused DAGs were found", file=sys.stderr)
        return 0
    if args.treat_dag_id_as_regex:
        listing = "\n".join(d["dag_id"] for d in todo)
        verb = "pause" if args.paused else "unpause"
        if not confirm(
            f"You are about to {verb} {len(todo)} DAGs:\n{listing}\n\nAre you sure? [y/n]", args.yes
        ):
            print("Operation cancelled by user", file=sys.stderr)
            return 0
    rows = []
    for dag in todo:
        answer = api.call("PATCH", f"/api/v2/dags/{quote(dag['dag_id'])}", {"is_paused": args.paused})
        rows.append({"dag_id": answer["dag_id"], "is_paused": answer["is_paused"]})
    print_rows(rows, args.output)
    return 0


# -- dags list-runs --------------------------------------------------------------------------------
def list_runs(args: argparse.Namespace) -> int:
    dag_id = args.dag_id or args.target
    params: dict[str, Any] = {
        "state": args.state.lower() if args.state else None,
        "logical_date_gte": api_date(args.start_date, "--start-date"),
        "logical_date_lte": api_date(args.end_date, "--end-date"),
        "order_by": "-run_after",
    }
    if args.no_backfill:
        params["run_type"] = ["manual", "scheduled", "asset_triggered"]
    runs = client(args).get_all(f"/api/v2/dags/{quote(dag_id)}/dagRuns", "dag_runs", **params)
    rows = [{k: (r.get("dag_run_id") if k == "run_id" else r.get(k)) for k in RUN_COLUMNS} for r in runs]
    print_rows(rows, args.output)
    return 0


# -- dags state ------------------------------------------------------------------------------------
def _state(args: argparse.Namespace) -> int:
    run = find_run(client(args), args.dag_id, args.logical_date_or_run_id)
    if run is None:
        print("None")
        return 0
    conf = run.get("conf")
    print(f"{run['state']}, {json.dumps(conf)}" if conf else run["state"])
    return 0


# -- dags delete -----------------------------------------------------------------------------------
def _delete(args: argparse.Namespace) -> int:
    api = client(args)
    api.call("GET", f"/api/v2/dags/{quote(args.dag_id)}")  # 404 before asking
    question = (
        f"This will drop all existing records related to DAG {args.dag_id!r} (runs, task instances, "
        "XComs, logs, versions). Proceed? (y/n)"
    )
    if not confirm(question, args.yes):
        print("Cancelled", file=sys.stderr)
        return 0
    api.call("DELETE", f"/api/v2/dags/{quote(args.dag_id)}")
    print(f"Deleted DAG {args.dag_id!r} and its metadata.")
    return 0


# -- dags report -----------------------------------------------------------------------------------
def report(args: argparse.Namespace) -> int:
    """Per DAG file: its DAGs as the broker has them, when it was last parsed and for how long."""
    api = client(args)
    by_file: dict[str, list[dict[str, Any]]] = {}
    for dag in api.get_all("/api/v2/dags", "dags", order_by="dag_id"):
        by_file.setdefault(dag["fileloc"], []).append(dag)
    errors = api.get_all("/api/v2/importErrors", "import_errors")
    rows = [
        {
            "file": fileloc,
            "duration": dags[0].get("last_parse_duration"),
            "dag_num": len(dags),
            "last_parsed_time": max((d.get("last_parsed_time") or "" for d in dags), default="") or None,
            "dags": ",".join(d["dag_id"] for d in dags),
        }
        for fileloc, dags in sorted(by_file.items())
    ]
    print_rows(rows, args.output)
    for err in errors:
        print(f"Failed to load: {err.get('filename')}: {err.get('stack_trace', '').strip()}", file=sys.stderr)
    return 1 if errors else 0


def local_report(args: argparse.Namespace) -> int:
    """Airflow's DagBag report: how long each file of a folder takes to load, its DAGs and tasks."""
    import time
    from pathlib import Path

    from riir_airflow.compat.config import conf
    from riir_airflow.runtime.loader import find_dag_files, load_dag_file

    path = Path(args.path or conf.get("core", "dags_folder"))
    if not path.exists():
        raise CommandError(f"No such file or folder: {path}")
    rows, failed = [], []
    for file in [path] if path.is_file() else find_dag_files(path):
        started = time.perf_counter()
        loaded = load_dag_file(file)
        duration = time.perf_counter() - started
        failed += loaded.errors
        rows.append({
            "file": str(file), "duration": f"{duration:.4f}", "dag_num": len(loaded.dags),
            "task_num": sum(len(d.task_dict) for d in loaded.dags.values()), "dags": ",".join(sorted(loaded.dags)),
        })  # fmt: skip
    rows.sort(key=lambda r: float(r["duration"]), reverse=True)
    print_rows(rows, args.output)
    for err in failed:
        print(f"Failed to load: {err}", file=sys.stderr)
    return 1 if failed else 0
