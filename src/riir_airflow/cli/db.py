"""`riir-airflow db migrate | check | reset`: create, check and reset the metastore schema.

Contract:
- `db migrate [-r REVISION]` creates the schema in an empty database or upgrades it to the head
  revision (or REVISION); it creates `$AIRFLOW_HOME` (the folder of airflow.cfg) and a SQLite
  file's folder when missing. Running it again is harmless.
- `db check` exits 0 when the metastore is reachable and at the head revision; otherwise it
  prints the reason to stderr and exits 1 (unreachable, no schema yet, behind or ahead).
- `db reset [-y]` drops every metastore table and migrates again; without `-y` it asks first
  (and does nothing unless the answer is yes, also when stdin is not a terminal).
- The database is `[database] sql_alchemy_conn` (default `sqlite:///$AIRFLOW_HOME/airflow.db`).
  Passwords in URLs are never printed.

SQLAlchemy and Alembic (the `broker` extra) are imported only when a db command runs, so the
rest of the CLI, and a DAG app's install without the extra, never load them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from riir_airflow.cli.main import CommandError

__all__ = ["register"]


def register(commands: Any) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # our one-line summaries say what happened
    db = commands.add_parser("db", help="Create, check and reset the metastore database")
    sub = db.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    migrate = sub.add_parser("migrate", help="Create the schema or upgrade it to the latest revision")
    migrate.add_argument(
        "-r", "--to-revision", default="head", help="Alembic revision to migrate to (default: head)"
    )
    migrate.set_defaults(func=_migrate)

    check = sub.add_parser("check", help="Exit 0 if the metastore is reachable and up to date")
    check.set_defaults(func=_check)

    reset = sub.add_parser("reset", help="Drop every metastore table and create the schema again")
    reset.add_argument("-y", "--yes", action="store_true", help="Do not ask for confirmation")
    reset.set_defaults(func=_reset)


def _engine() -> Any:
    try:
        from riir_airflow.metastore.engine import create_engine, safe_url
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise CommandError(
            f"the db commands need the broker extra (pip install 'riir-airflow[broker]'): {exc}"
        ) from None
    try:
        engine = create_engine()
    except (ValueError, TypeError) as exc:
        raise CommandError(f"[database] sql_alchemy_conn: {exc}") from None
    return engine, safe_url(engine.url)


def _ensure_home() -> None:
    """Create the folder airflow.cfg lives in, as Airflow does on first use."""
    from riir_airflow.compat.config import conf

    Path(os.path.dirname(conf.config_file) or conf.airflow_home).mkdir(parents=True, exist_ok=True)


def _migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from riir_airflow.metastore import migrate

    _ensure_home()
    engine, url = _engine()
    try:
        before, after = migrate.upgrade(engine, args.to_revision)
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot migrate the metastore at {url}: {_first_line(exc)}") from None
    finally:
        engine.dispose()
    if before == after:
        print(f"The metastore at {url} is already at revision {after}.")
    else:
        print(f"Migrated the metastore at {url} from revision {before or '(empty)'} to {after}.")
    return 0


def _check(args: argparse.Namespace) -> int:
    from riir_airflow.metastore import migrate

    engine, _ = _engine()
    try:
        status = migrate.check(engine)
    finally:
        engine.dispose()
    if status.ok:
        print(status.reason)
        return 0
    print(f"error: {status.reason}", file=sys.stderr)
    return 1


def _reset(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from riir_airflow.metastore import migrate

    engine, url = _engine()
    try:
        if not args.yes and not _confirm(
            f"This drops every table of the metastore at {url}. Proceed? (y/n) "
        ):
            print("Cancelled: nothing was changed.", file=sys.stderr)
            return 1
        revision = migrate.reset(engine)
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot reset the metastore at {url}: {_first_line(exc)}") from None
    finally:
        engine.dispose()
    print(f"Reset the metastore at {url}; it is at revision {revision}.")
    return 0


def _confirm(question: str) -> bool:
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
