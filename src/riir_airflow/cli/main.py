"""`riir-airflow` argument parsing and dispatch. Each command group lives in its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys

__all__ = ["build_parser", "run"]


def build_parser() -> argparse.ArgumentParser:
    from riir_airflow.cli import (
        app,
        apps,
        broker,
        connections,
        dags,
        db,
        pools,
        standalone,
        tasks,
        users,
        variables,
    )

    parser = argparse.ArgumentParser(
        prog="riir-airflow",
        description="Run Apache Airflow DAG files: locally (dags test) or as broker + one app per DAG.",
    )
    commands = parser.add_subparsers(dest="group", metavar="COMMAND")
    commands.required = True
    dags.register(commands)
    tasks.register(commands)
    from riir_airflow.cli.runs import register_backfill_group  # `backfill create` (Airflow 3)

    register_backfill_group(commands)
    db.register(commands)
    broker.register(commands)
    users.register(commands)
    variables.register(commands)
    connections.register(commands)
    pools.register(commands)
    apps.register(commands)
    app.register(commands)
    standalone.register(commands)

    version = commands.add_parser("version", help="Show the version")
    version.set_defaults(func=_version)

    config = commands.add_parser("config", help="Read configuration")
    config_cmds = config.add_subparsers(dest="command", metavar="COMMAND")
    config_cmds.required = True
    get_value = config_cmds.add_parser("get-value", help="Print one option's value")
    get_value.add_argument("section")
    get_value.add_argument("option")
    get_value.set_defaults(func=_config_get_value)
    return parser


def _version(args: argparse.Namespace) -> int:
    import riir_airflow

    print(f"riir-airflow {riir_airflow.riir_version} (Airflow interface {riir_airflow.__version__})")
    return 0


def _config_get_value(args: argparse.Namespace) -> int:
    from riir_airflow.compat.config import conf

    if not conf.has_option(args.section, args.option):
        print(f"The option [{args.section}/{args.option}] is not found in config.", file=sys.stderr)
        return 1
    print(conf.get(args.section, args.option))
    return 0


SUPERVISOR_ENV = "RIIR_SUPERVISOR_PID"
"""Set by `standalone` for the broker and app processes it starts: they end with it, even when
it is killed without a chance to stop them (SIGKILL), instead of running on headless and
holding its port. Read once and removed, so a task's own `riir-airflow` subprocess is free."""


def _end_with_supervisor() -> bool:
    """False when this process was started by a supervisor that is already gone."""
    supervisor = os.environ.pop(SUPERVISOR_ENV, None)
    if supervisor is None:
        return True
    import signal

    from riir_airflow.runtime.app.forkserver import die_with_parent

    die_with_parent(signal.SIGTERM)
    return str(os.getppid()) == supervisor  # checked after: it may have died before the prctl


def run(argv: list[str] | None = None) -> int:
    if not _end_with_supervisor():
        return 1
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="[%(asctime)s] {%(name)s} %(levelname)s - %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


class CommandError(Exception):
    """A user-facing failure: printed as `error: ...`, exit code 1, no traceback."""
