"""`riir-airflow tasks ...` against a running system, through the broker's REST API.

- `tasks states-for-dag-run DAG_ID RUN_ID_OR_LOGICAL_DATE [-o FORMAT]`: every task instance of
  the run (dag_id, logical_date, task_id, map_index, state, start_date, end_date, try_number);
- `tasks clear DAG_ID [-t REGEX] [-s START] [-e END] [-u] [-d] [-f] [-r] [-y]`: clears the
  matching task instances of the runs whose logical date is in [START, END] (every run without
  them); lists them and asks first unless `-y`; the DAG's app reruns them;
- `tasks list DAG_ID`: the DAG's task ids, sorted (`GET /dags/{dag_id}/tasks`).
`tasks clear` and `tasks list` with a DAG file, or `--local`, act locally (`cli.remote`).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from riir_airflow.cli.api_client import quote
from riir_airflow.cli.main import CommandError
from riir_airflow.cli.output import add_output_argument, print_rows
from riir_airflow.cli.remote import add_api_argument, api_date, client, confirm, find_run

__all__ = ["clear", "list_tasks", "register"]


def register(sub: Any) -> None:
    states = sub.add_parser("states-for-dag-run", help="The state of every task instance of a DAG run")
    states.add_argument("dag_id")
    states.add_argument("logical_date_or_run_id", help="the run's id or logical date")
    add_output_argument(states)
    add_api_argument(states)
    states.set_defaults(func=_states_for_dag_run)


def _states_for_dag_run(args: argparse.Namespace) -> int:
    api = client(args)
    api.call("GET", f"/api/v2/dags/{quote(args.dag_id)}")  # an unknown DAG is a 404 error
    run = find_run(api, args.dag_id, args.logical_date_or_run_id)
    if run is None:
        raise CommandError(f"DagRun for {args.dag_id} with run_id or logical_date of "
                           f"{args.logical_date_or_run_id!r} not found")  # fmt: skip
    path = f"/api/v2/dags/{quote(args.dag_id)}/dagRuns/{quote(run['dag_run_id'])}/taskInstances"
    tis = api.get_all(path, "task_instances", order_by=["task_id", "map_index"])
    rows = [
        {"dag_id": ti["dag_id"], "logical_date": run.get("logical_date"), "task_id": ti["task_id"],
         "map_index": ti.get("map_index", -1), "state": ti.get("state"), "start_date": ti.get("start_date"),
         "end_date": ti.get("end_date"), "try_number": ti.get("try_number")}
        for ti in tis
    ]  # fmt: skip
    print_rows(rows, args.output)
    return 0


def clear(args: argparse.Namespace) -> int:
    """`tasks clear DAG_ID ...` on the running system (parser in `cli.runs`)."""
    if args.run:
        raise CommandError(
            "--run is for the local store: on a running system the DAG's app reruns cleared tasks"
        )
    dag_id = args.dag_id or args.target
    api = client(args)
    api.call("GET", f"/api/v2/dags/{quote(dag_id)}")
    start, end = api_date(args.start_date, "--start-date"), api_date(args.end_date, "--end-date")
    body: dict[str, Any] = {
        "dry_run": True, "only_failed": args.only_failed, "only_running": args.only_running,
        "include_upstream": args.upstream, "include_downstream": args.downstream, "reset_dag_runs": True,
    }  # fmt: skip
    if start:
        body["start_date"] = start
    if end:
        body["end_date"] = end
    if args.task_regex:
        try:
            pattern = re.compile(args.task_regex)
        except re.error as exc:
            raise CommandError(f"-t/--task-regex is not a valid regular expression: {exc}") from None
        tis = api.get_all(f"/api/v2/dags/{quote(dag_id)}/dagRuns/~/taskInstances", "task_instances",
                          logical_date_gte=start, logical_date_lte=end)  # fmt: skip
        task_ids = sorted({ti["task_id"] for ti in tis if pattern.search(ti["task_id"])})
        if not task_ids:
            print("No task instances to clear.", file=sys.stderr)
            return 0
        body["task_ids"] = task_ids
    path = f"/api/v2/dags/{quote(dag_id)}/clearTaskInstances"
    selected = api.call("POST", path, body)["task_instances"]
    if not selected:
        print("No task instances to clear.", file=sys.stderr)
        return 0
    listing = "\n".join(
        f"<TaskInstance: {dag_id}.{ti['task_id']} {ti['dag_run_id']}"
        f"{f' map_index={ti["map_index"]}' if ti.get('map_index', -1) >= 0 else ''} [{ti.get('state')}]>"
        for ti in selected
    )
    if not confirm(
        f"You are about to clear these {len(selected)} tasks:\n{listing}\n\nAre you sure? [y/n]", args.yes
    ):
        print("Cancelled, nothing was cleared.")
        return 0
    cleared = api.call("POST", path, {**body, "dry_run": False})["task_instances"]
    runs = {ti["dag_run_id"] for ti in cleared}
    print(f"Cleared {len(cleared)} task instance(s) in {len(runs)} run(s).")
    return 0


def list_tasks(args: argparse.Namespace) -> int:
    """`tasks list DAG_ID` on the running system: the task ids of the DAG's newest registration."""
    dag_id = args.dag_id or args.target
    api = client(args)
    answer = api.call("GET", f"/api/v2/dags/{quote(dag_id)}/tasks", ok_missing=True)
    if answer is None:
        api.call("GET", f"/api/v2/dags/{quote(dag_id)}")  # the DAG's own 404, if that is it
        raise CommandError(f"the API at {api.url} cannot list tasks (no /dags/{{dag_id}}/tasks)")
    for task_id in sorted(t["task_id"] for t in answer.get("tasks", [])):
        print(task_id)
    return 0
