"""`riir-airflow dags ...` on DAG files and the local store; the running-system commands
(`trigger`, `pause`, `state`, ...) are in `cli.remote_dags`. `dags list` and `dags report` list
the running system's DAGs when one is configured (as Airflow 3 reads its metastore), a file or
folder's with a PATH argument or `--local` (see `cli.remote`)."""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path
from typing import Any

from riir_airflow.cli.dag_files import resolve_dag
from riir_airflow.cli.main import CommandError
from riir_airflow.cli.output import add_output_argument, print_rows

__all__ = ["parse_conf", "parse_logical_date", "parse_pattern", "register"]


def parse_logical_date(value: str | None) -> Any:
    if value is None:
        return None
    import pendulum

    from riir_airflow.sdk.timezone import default_timezone

    try:
        parsed = pendulum.parse(value, tz=default_timezone())
    except ValueError as exc:  # pendulum's ParserError is a ValueError
        raise CommandError(f"Invalid logical date {value!r}: {exc}") from None
    # pendulum also parses durations ("P1D"), intervals ("a/b") and bare times: not dates.
    if not isinstance(parsed, datetime.datetime):
        raise CommandError(f"Invalid logical date {value!r}: not a date-time (got a {type(parsed).__name__})")
    return parsed


def parse_conf(value: str | None, option: str = "--conf") -> dict[str, Any]:
    if not value:
        return {}
    try:
        conf = json.loads(value)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{option} is not valid JSON: {exc}") from None
    if not isinstance(conf, dict):
        raise CommandError(f"{option} must be a JSON object")
    return conf


def parse_pattern(value: str | None, option: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(value)
    except re.error as exc:
        raise CommandError(f"{option} is not a valid regular expression: {exc}") from None


def register(commands: Any) -> None:
    dags = commands.add_parser("dags", help="Work with DAGs")
    sub = dags.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    test = sub.add_parser("test", help="Run one DAG run in this process, against the local store")
    test.add_argument("target", help="DAG file (or a dag_id in the dags folder)")
    test.add_argument("logical_date_pos", nargs="?", metavar="LOGICAL_DATE", help="as --logical-date")
    test.add_argument("--dag-id", help="which DAG of the file (when it defines several)")
    test.add_argument("-l", "--logical-date", help="ISO date-time (default: now)")
    test.add_argument("-c", "--conf", help="JSON object: the run's conf")
    test.add_argument(
        "-f", "--subdir", "--dagfile-path", dest="subdir", help="file or folder holding the DAG"
    )
    test.add_argument("--mark-success-pattern", help="regex of task ids to mark success without running")
    test.add_argument(
        "--output", choices=("text", "json"), default="text", help="json: report as last stdout line"
    )
    test.set_defaults(func=_test)

    from riir_airflow.cli import remote_dags
    from riir_airflow.cli.remote import add_local_switch

    lst = sub.add_parser("list", help="List the DAGs of the running system, or of a file or folder")
    lst.add_argument("path", nargs="?", help="DAG file or folder (local; default: [core] dags_folder)")
    lst.add_argument("--columns", help=f"running system: comma-separated columns (default: {remote_dags.DAG_COLUMNS})")
    add_output_argument(lst)
    add_local_switch(lst)
    lst.set_defaults(func=_list)

    report = sub.add_parser("report", help="Per DAG file: its DAGs and how long it takes to load")
    report.add_argument("path", nargs="?", help="DAG file or folder (local; default: [core] dags_folder)")
    add_output_argument(report)
    add_local_switch(report)
    report.set_defaults(func=_report)
    remote_dags.register(sub)

    errors = sub.add_parser("list-import-errors", help="List files that fail to load")
    errors.add_argument("path", nargs="?", help="DAG file or folder (default: [core] dags_folder)")
    add_output_argument(errors)
    errors.set_defaults(func=_list_import_errors)

    show = sub.add_parser("show", help="Print a DAG's tasks and edges as text")
    show.add_argument("target", help="DAG file (or a dag_id in the dags folder)")
    show.add_argument("--dag-id")
    show.set_defaults(func=_show)

    from riir_airflow.cli.runs import register_dags_commands  # backfill, next-execution, list-runs

    register_dags_commands(sub)


def _test(args: argparse.Namespace) -> int:
    from riir_airflow.runtime.local import local_store, test_dag
    from riir_airflow.runtime.report import run_report
    from riir_airflow.sdk.exceptions import ParamValidationError

    # Arguments first: a bad one is reported without importing the DAG file.
    date_text = args.logical_date or args.logical_date_pos
    logical_date = parse_logical_date(date_text)
    conf = parse_conf(args.conf)
    mark_success = parse_pattern(args.mark_success_pattern, "--mark-success-pattern")
    dag = resolve_dag(args.target, args.dag_id, args.subdir)
    store = local_store()
    try:
        run = test_dag(
            dag,
            logical_date=logical_date,
            logical_date_given=date_text is not None,
            conf=conf,
            mark_success_pattern=mark_success,
            store=store,
        )
        report = run_report(store, run)
    except ParamValidationError as exc:  # raised before the run is created: nothing recorded
        raise CommandError(f"Invalid --conf for DAG {dag.dag_id!r}: {exc}") from None
    finally:
        store.close()
    if args.output == "json":
        sys.stdout.flush()
        print(json.dumps(report, sort_keys=True))
    else:
        print_rows(
            [
                {"task_id": k, "state": v["state"], "try_number": v["try_number"]}
                for k, v in report["tasks"].items()
            ],
            "table",
        )
        print(f"DagRun {report['run_id']}: {report['run_state']}")
    return 0 if report["run_state"] == "success" else 1


def _load_path(path_arg: str | None) -> tuple[list[Any], list[Any]]:
    from riir_airflow.compat.config import conf
    from riir_airflow.runtime.loader import find_dag_files, load_dag_file

    path = Path(path_arg or conf.get("core", "dags_folder"))
    if not path.exists():
        raise CommandError(f"No such file or folder: {path}")
    files = [path] if path.is_file() else find_dag_files(path)
    loaded = [load_dag_file(f) for f in files]
    return [d for lf in loaded for d in lf.dags.values()], [e for lf in loaded for e in lf.errors]


def _list(args: argparse.Namespace) -> int:
    from riir_airflow.cli.remote import use_api

    if args.path is None and use_api(args):
        from riir_airflow.cli.remote_dags import list_dags

        return list_dags(args)
    if args.columns:
        raise CommandError("--columns applies to the running system's DAGs (not with a PATH or --local)")
    dags, errors = _load_path(args.path)
    rows = [
        {"dag_id": d.dag_id, "fileloc": d.fileloc, "owners": d.owner, "tags": ",".join(sorted(d.tags))}
        for d in sorted(dags, key=lambda d: d.dag_id)
    ]
    print_rows(rows, args.output)
    for err in errors:
        print(f"Failed to load: {err}", file=sys.stderr)
    return 1 if errors else 0


def _report(args: argparse.Namespace) -> int:
    from riir_airflow.cli import remote_dags
    from riir_airflow.cli.remote import use_api

    if args.path is None and use_api(args):
        return remote_dags.report(args)
    return remote_dags.local_report(args)


def _list_import_errors(args: argparse.Namespace) -> int:
    _, errors = _load_path(args.path)
    print_rows([{"filepath": e.file, "line": e.line or "", "error": e.message} for e in errors], args.output)
    return 1 if errors else 0


def _show(args: argparse.Namespace) -> int:
    dag = resolve_dag(args.target, args.dag_id)
    print(f"DAG: {dag.dag_id}  schedule: {dag.timetable.summary}")
    for task in dag.topological_order():
        downstream = sorted(task.downstream_task_ids)
        arrow = (
            f" >> [{', '.join(downstream)}]"
            if len(downstream) > 1
            else (f" >> {downstream[0]}" if downstream else "")
        )
        print(f"  {task.task_id} ({task.task_type}, {task.trigger_rule.value}){arrow}")
    return 0
