"""Commands about runs over time, on DAG files and the local store:

- `dags backfill FILE --start-date D --end-date D [--reprocess-behavior none|failed|completed]
  [--max-active-runs N] [--run-backwards] [--dry-run]`: Airflow 3's backfill, run in process;
- `dags next-execution FILE [--dag-id ID] [-n N] [--output json]`: the next runs the scheduler
  would create, continuing from the local history (DESIGN.md contract);
- `dags list-runs FILE [--state S] [-s START] [-e END] [--no-backfill] [-o FORMAT]`;
- `tasks clear FILE [-t REGEX] [-s START] [-e END] [-u] [-d] [-f] [-r] [-y] [--run]`;
  with a dag_id instead of a FILE and a running system configured, `list-runs` and `clear` act
  on the running system (`cli.remote_dags`, `cli.remote_tasks`; see `cli.remote`);
- `backfill create --dag-id ID --from-date D --to-date D [-f FILE] ...`: Airflow 3's spelling.

`--now ISO` (hidden) pins "now" for next-execution and backfill, for tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riir_airflow.cli.dag_files import load_or_fail, resolve_dag
from riir_airflow.cli.dags import parse_conf, parse_logical_date, parse_pattern
from riir_airflow.cli.main import CommandError
from riir_airflow.cli.output import add_output_argument, print_rows
from riir_airflow.cli.remote import add_local_switch, confirm, use_api

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["register_backfill_group", "register_dags_commands", "register_tasks_commands"]


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    import pendulum

    return pendulum.instance(value).in_timezone("UTC").isoformat()


def _text(value: Any) -> str:
    return _iso(value) or ""


def _add_target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="DAG file (or a dag_id in the dags folder)")
    parser.add_argument("--dag-id", help="which DAG of the file (when it defines several)")


def _add_now(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", help=argparse.SUPPRESS)


def _dags_of(target: str, dag_id: str | None) -> list[DAG]:
    """Every DAG of a file (or the one --dag-id names); a dag_id target names one DAG."""
    path = Path(target)
    if (path.suffix == ".py" or path.is_file()) and dag_id is None:
        if not path.is_file():
            raise CommandError(f"DAG file not found: {target}")
        return sorted(load_or_fail(path).values(), key=lambda d: d.dag_id)
    return [resolve_dag(target, dag_id)]


def _add_backfill_options(backfill: argparse.ArgumentParser) -> None:
    backfill.add_argument(
        "-s",
        "--start-date",
        "--from-date",
        dest="start_date",
        required=True,
        help="first logical date (inclusive)",
    )
    backfill.add_argument(
        "-e", "--end-date", "--to-date", dest="end_date", required=True, help="last logical date (inclusive)"
    )
    backfill.add_argument(
        "--reprocess-behavior",
        choices=("none", "failed", "completed"),
        help="what to do with dates that already have a finished run (default: none)",
    )
    backfill.add_argument(
        "--max-active-runs", type=_positive_int, help="runs left active at most (default: 10)"
    )
    backfill.add_argument("--run-backwards", "-B", action="store_true", help="latest logical date first")
    backfill.add_argument("--dry-run", action="store_true", help="print the runs without running them")
    backfill.add_argument("-c", "--conf", "--dag-run-conf", dest="conf", help="JSON object: every run's conf")
    backfill.add_argument("--mark-success-pattern", help="regex of task ids to mark success without running")
    add_output_argument(backfill)
    _add_now(backfill)
    backfill.set_defaults(func=_backfill)


def register_backfill_group(commands: Any) -> None:
    """`backfill create --dag-id ID --from-date D --to-date D [-f FILE]`: Airflow 3's spelling of
    `dags backfill`; the dag_id is looked up in `[core] dags_folder` (or `-f`)."""
    group = commands.add_parser("backfill", help="Backfills (Airflow 3 spelling of dags backfill)")
    sub = group.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    create = sub.add_parser("create", help="Run the runs a backfill creates, in order, in this process")
    create.add_argument("--dag-id", dest="target", required=True, help="the DAG to backfill")
    create.add_argument(
        "-f", "--subdir", "--dagfile-path", dest="subdir", help="file or folder holding the DAG"
    )
    create.set_defaults(dag_id=None)
    _add_backfill_options(create)


def register_dags_commands(sub: Any) -> None:
    backfill = sub.add_parser("backfill", help="Run the runs a backfill creates, in order, in this process")
    _add_target(backfill)
    _add_backfill_options(backfill)

    nxt = sub.add_parser("next-execution", help="The next runs the scheduler would create")
    _add_target(nxt)
    nxt.add_argument("-n", "--num-executions", type=_positive_int, default=1, help="how many (default: 1)")
    nxt.add_argument(
        "--output",
        "-o",
        choices=("text", "table", "json"),
        default="text",
        help="json: report as last stdout line",
    )
    _add_now(nxt)
    nxt.set_defaults(func=_next_execution)

    runs = sub.add_parser("list-runs", help="List a DAG's runs (running system, or the local store)")
    _add_target(runs)
    add_local_switch(runs)
    runs.add_argument("--state", help="only runs in this state (queued, running, success, failed)")
    runs.add_argument("-s", "--start-date", help="only runs with a logical date at or after this")
    runs.add_argument("-e", "--end-date", help="only runs with a logical date at or before this")
    runs.add_argument("--no-backfill", action="store_true", help="leave out backfill runs")
    add_output_argument(runs)
    runs.set_defaults(func=_list_runs)


def register_tasks_commands(sub: Any) -> None:
    clear = sub.add_parser("clear", help="Clear task instances so they run again (running system or local store)")
    _add_target(clear)
    add_local_switch(clear)
    clear.add_argument("-t", "--task-regex", help="regex searched in task ids (default: every task)")
    clear.add_argument("-s", "--start-date", help="runs with a logical date at or after this")
    clear.add_argument("-e", "--end-date", help="runs with a logical date at or before this")
    clear.add_argument("-u", "--upstream", action="store_true", help="include upstream tasks")
    clear.add_argument("-d", "--downstream", action="store_true", help="include downstream tasks")
    clear.add_argument(
        "-f", "--only-failed", action="store_true", help="only failed and upstream_failed ones"
    )
    clear.add_argument("-r", "--only-running", action="store_true", help="only running ones")
    clear.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    clear.add_argument(
        "--run",
        action="store_true",
        help="riir: run the cleared runs again now, oldest first (no scheduler does)",
    )
    clear.set_defaults(func=_clear)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an integer") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return number


def _now(args: argparse.Namespace) -> Any:
    import pendulum

    if getattr(args, "now", None):
        return parse_logical_date(args.now).in_timezone("UTC")
    return pendulum.now("UTC")


# -- dags backfill ---------------------------------------------------------------------------------
def _backfill(args: argparse.Namespace) -> int:
    from riir_airflow.engine import BackfillError
    from riir_airflow.runtime.backfill import plan_backfill, run_backfill
    from riir_airflow.runtime.clock import FakeClock, SystemClock
    from riir_airflow.runtime.local import local_store, using_store
    from riir_airflow.sdk.exceptions import ParamValidationError

    start, end = parse_logical_date(args.start_date), parse_logical_date(args.end_date)
    conf = parse_conf(args.conf)
    parse_pattern(args.mark_success_pattern, "--mark-success-pattern")
    dag = resolve_dag(args.target, args.dag_id, getattr(args, "subdir", None))
    clock = FakeClock(_now(args)) if args.now else SystemClock()
    store = local_store()
    try:
        with using_store(store):
            if args.dry_run:
                plan = plan_backfill(
                    dag,
                    store,
                    from_date=start,
                    to_date=end,
                    reprocess_behavior=args.reprocess_behavior,
                    reverse=args.run_backwards,
                    now=clock.now(),
                )
                print("Performing dry run of backfill.", file=sys.stderr)
                rows = [
                    {"logical_date": _text(e.logical_date), "run_id": e.run_id, "action": e.action.value}
                    for e in plan.entries
                ]
                print_rows(rows, args.output)
                return 0
            result = run_backfill(
                dag,
                store,
                from_date=start,
                to_date=end,
                reprocess_behavior=args.reprocess_behavior,
                max_active_runs=args.max_active_runs,
                reverse=args.run_backwards,
                conf=conf,
                clock=clock,
                mark_success_pattern=args.mark_success_pattern,
            )
    except BackfillError as exc:
        raise CommandError(str(exc)) from None
    except ParamValidationError as exc:
        raise CommandError(f"Invalid --conf for DAG {dag.dag_id!r}: {exc}") from None
    finally:
        store.close()
    rows = [
        {
            "logical_date": _text(o.logical_date),
            "run_id": o.entry.run_id,
            "action": o.entry.action.value,
            "state": o.outcome,
        }
        for o in result.outcomes
    ]
    if args.output in ("json", "yaml"):
        sys.stdout.flush()
    print_rows(rows, args.output)
    for o in result.outcomes:
        for key, why in o.blocked.items():
            print(f"{o.entry.run_id}: {key[0]} waits: {why}", file=sys.stderr)
    return 0 if result.ok else 1


# -- dags next-execution -------------------------------------------------------------------------------
def _next_execution(args: argparse.Namespace) -> int:
    from riir_airflow.engine import next_run_infos
    from riir_airflow.runtime.local import local_store

    now = _now(args)
    dags = _dags_of(args.target, args.dag_id)
    store = local_store()
    try:
        report: dict[str, list[dict[str, str | None]]] = {}
        for dag in dags:
            infos = next_run_infos(
                dag, now=now, count=args.num_executions, runs=store.list_dag_runs(dag.dag_id)
            )
            report[dag.dag_id] = [
                {
                    "logical_date": _iso(info.logical_date),
                    "data_interval_start": _iso(info.data_interval.start if info.data_interval else None),
                    "data_interval_end": _iso(info.data_interval.end if info.data_interval else None),
                    "run_after": _iso(info.run_after),
                }
                for info in infos
            ]
    finally:
        store.close()
    if args.output == "json":
        sys.stdout.flush()
        print(json.dumps(report, sort_keys=True))
        return 0
    if args.output == "table":
        print_rows([{"dag_id": dag_id, **row} for dag_id, rows in report.items() for row in rows], "table")
        return 0
    for dag_id, rows in report.items():
        prefix = f"{dag_id}: " if len(report) > 1 else ""
        for row in rows:
            print(f"{prefix}{row['logical_date']}")
        if len(rows) < args.num_executions:
            print(f"{prefix}None")
            print(
                f"[WARN] No following schedule can be found for {dag_id}. "
                "This DAG may have schedule interval '@once' or `None`, or an end_date.",
                file=sys.stderr,
            )
    return 0


# -- dags list-runs ------------------------------------------------------------------------------------------
def _list_runs(args: argparse.Namespace) -> int:
    import datetime

    if use_api(args, args.target):
        from riir_airflow.cli.remote_dags import list_runs

        return list_runs(args)
    from riir_airflow.runtime.local import local_store
    from riir_airflow.sdk.state import DagRunState

    states = None
    if args.state:
        try:
            states = [DagRunState(args.state.lower())]
        except ValueError:
            choices = ", ".join(s.value for s in DagRunState)
            raise CommandError(f"Invalid --state {args.state!r}: choose from {choices}") from None
    start, end = parse_logical_date(args.start_date), parse_logical_date(args.end_date)
    tiny = datetime.timedelta(microseconds=1)
    dags = _dags_of(args.target, args.dag_id)
    store = local_store()
    try:
        runs = [
            run
            for dag in dags
            for run in store.list_dag_runs(
                dag.dag_id,
                states=states,
                logical_date_after=start - tiny if start is not None else None,
                logical_date_before=end + tiny if end is not None else None,
            )
            if not (args.no_backfill and run.run_type == "backfill")
        ]
    finally:
        store.close()
    runs.sort(key=lambda r: (r.run_after, r.run_id), reverse=True)
    print_rows(
        [
            {
                "dag_id": r.dag_id,
                "run_id": r.run_id,
                "state": r.state.value,
                "run_after": _text(r.run_after),
                "logical_date": _text(r.logical_date),
                "start_date": _text(r.start_date),
                "end_date": _text(r.end_date),
            }
            for r in runs
        ],
        args.output,
    )
    return 0


# -- tasks clear ---------------------------------------------------------------------------------------------
def _clear(args: argparse.Namespace) -> int:
    if use_api(args, args.target):
        from riir_airflow.cli.remote_tasks import clear as clear_remote

        return clear_remote(args)
    from riir_airflow.runtime.clearing import clear, rerun_cleared, select_to_clear
    from riir_airflow.runtime.local import local_store, using_store

    pattern = parse_pattern(args.task_regex, "-t/--task-regex")
    start, end = parse_logical_date(args.start_date), parse_logical_date(args.end_date)
    dag = resolve_dag(args.target, args.dag_id)
    store = local_store()
    try:
        with using_store(store):
            selection = select_to_clear(
                dag,
                store,
                task_regex=pattern,
                upstream=args.upstream,
                downstream=args.downstream,
                start_date=start,
                end_date=end,
                only_failed=args.only_failed,
                only_running=args.only_running,
            )
            count = sum(len(item.instances) for item in selection)
            if not count:
                print("No task instances to clear.", file=sys.stderr)
                return 0
            if not args.yes:
                listing = "\n".join(
                    f"<TaskInstance: {dag.dag_id}.{ti.task_id} {ti.run_id}"
                    f"{f' map_index={ti.map_index}' if ti.map_index >= 0 else ''} [{ti.state.value}]>"
                    for item in selection
                    for ti in item.instances
                )
                if not confirm(
                    f"You are about to delete these {count} tasks:\n{listing}\n\nAre you sure? [y/n]", False
                ):
                    print("Cancelled, nothing was cleared.")
                    return 0
            cleared = clear(dag, store, selection)
            print(f"Cleared {cleared} task instance(s) in {len(selection)} run(s).")
            if not args.run:
                return 0
            finals = rerun_cleared(dag, store, selection)
    finally:
        store.close()
    print_rows([{"run_id": r.run_id, "state": r.state.value} for r in finals], "table")
    return 0 if all(r.state.value == "success" for r in finals) else 1
