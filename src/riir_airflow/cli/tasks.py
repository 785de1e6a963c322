"""`riir-airflow tasks ...`: run or render one task of a DAG file, list tasks; the
running-system commands (`states-for-dag-run`, and `list`/`clear` of a dag_id when a running
system is configured) are in `cli.remote_tasks`."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from riir_airflow.cli.dag_files import resolve_dag
from riir_airflow.cli.dags import parse_conf, parse_logical_date
from riir_airflow.cli.main import CommandError

__all__ = ["register"]


def register(commands: Any) -> None:
    tasks = commands.add_parser("tasks", help="Work with tasks")
    sub = tasks.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for name, help_text, func in (
        ("test", "Run one task, ignoring its dependencies, against the local store", _test),
        ("render", "Print a task's rendered templated fields", _render),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("target", help="DAG file (or a dag_id in the dags folder)")
        p.add_argument("task_id")
        p.add_argument("logical_date", nargs="?", help="ISO date-time or run id (default: now)")
        p.add_argument("--dag-id")
        p.add_argument("-f", "--subdir", dest="subdir")
        p.add_argument("-t", "--task-params", help="JSON merged into the task's params")
        p.add_argument("--map-index", type=int, default=-1)
        p.set_defaults(func=func)

    from riir_airflow.cli import remote_tasks
    from riir_airflow.cli.remote import add_local_switch

    lst = sub.add_parser("list", help="List a DAG's task ids")
    lst.add_argument("target", help="dag_id (running system or dags folder) or DAG file")
    lst.add_argument("--dag-id")
    add_local_switch(lst)
    lst.set_defaults(func=_list)
    remote_tasks.register(sub)

    from riir_airflow.cli.runs import register_tasks_commands  # clear

    register_tasks_commands(sub)


def _single_task(args: argparse.Namespace, action: str) -> int:
    """Run or render one task inside a temporary manual run that is deleted afterwards
    (or inside an existing run, when the date argument names one)."""
    from riir_airflow.runtime.local import local_store, using_store
    from riir_airflow.runtime.single_task import SingleTaskError, render_single_task, run_single_task
    from riir_airflow.sdk.exceptions import ParamValidationError

    task_params = parse_conf(args.task_params, "-t/--task-params")
    dag = resolve_dag(args.target, args.dag_id, args.subdir)
    if args.task_id not in dag.task_dict:
        raise CommandError(f"Task {args.task_id!r} not found in DAG {dag.dag_id!r}")
    store = local_store()
    try:
        with using_store(store):
            existing = store.get_dag_run(dag.dag_id, args.logical_date) if args.logical_date else None
            logical_date = None if existing else parse_logical_date(args.logical_date)
            if action == "render":
                try:
                    fields = render_single_task(
                        dag, args.task_id, store, logical_date=logical_date, run=existing,
                        task_params=task_params, map_index=args.map_index,
                    )
                except ParamValidationError as exc:
                    raise CommandError(f"Invalid params for task {args.task_id!r}: {exc}") from None
                except SingleTaskError as exc:
                    raise CommandError(str(exc)) from None
                for field, value in fields.items():
                    print(f"\n# {'-' * 58}\n# property: {field}\n# {'-' * 58}\n{value}")
                return 0
            os.environ["AIRFLOW_TEST_MODE"] = "True"
            try:
                state = run_single_task(
                    dag, args.task_id, store, logical_date=logical_date, run=existing,
                    task_params=task_params, map_index=args.map_index,
                )
            except SingleTaskError as exc:
                raise CommandError(str(exc)) from None
            print(json.dumps({"task_id": args.task_id, "state": state.value}))
            return 0 if state.value in ("success", "skipped") else 1
    finally:
        store.close()


def _test(args: argparse.Namespace) -> int:
    return _single_task(args, "test")


def _render(args: argparse.Namespace) -> int:
    return _single_task(args, "render")


def _list(args: argparse.Namespace) -> int:
    from riir_airflow.cli.remote import use_api

    if use_api(args, args.target):
        from riir_airflow.cli.remote_tasks import list_tasks

        return list_tasks(args)
    dag = resolve_dag(args.target, args.dag_id)
    for task in dag.topological_order():
        print(task.task_id)
    return 0
