"""`riir-airflow apps ...`: app tokens and the registry of DAG apps, in the metastore.

Contract:
- `apps token create --dag-id D [--dag-id E ...] [--description T] [--output text|json]`
  issues an app token scoped to those dag_ids and prints it once (the metastore keeps only its
  hash): as the last stdout line (text), or `{"token_id", "token", "dag_ids"}` (json). Give it
  to the DAG app (`riir-airflow app FILE --token ...`, or its Kubernetes secret): it may read and
  change only those DAGs' rows through the broker, and never sees database credentials.
- `apps token list [--output ...]` lists tokens (ids, scopes, state; never the secret);
  `apps token revoke TOKEN_ID` revokes one for good (the broker refuses it within
  `[riir] token_cache_seconds`); an unknown id is an error (exit 1).
- `apps list [--output ...]` prints the registry: app id, state (alive/gone), last heartbeat,
  code hash and the dag_ids each app serves.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from riir_airflow.cli.main import CommandError

__all__ = ["register"]


def register(commands: Any) -> None:
    apps = commands.add_parser("apps", help="App tokens and the registry of DAG apps")
    sub = apps.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    listing = sub.add_parser("list", help="List the DAG apps the broker knows (alive and gone)")
    listing.add_argument("--output", "-o", choices=("text", "json"), default="text")
    listing.set_defaults(func=_list_apps)

    token = sub.add_parser("token", help="Issue, list and revoke app tokens")
    token_cmds = token.add_subparsers(dest="token_command", metavar="COMMAND")
    token_cmds.required = True
    create = token_cmds.add_parser("create", help="Issue a token scoped to some dag_ids (printed once)")
    create.add_argument("--dag-id", "-d", dest="dag_ids", action="append", required=True,
                        help="A DAG the token may read and change (repeat for several)")  # fmt: skip
    create.add_argument("--description", default=None)
    create.add_argument("--output", "-o", choices=("text", "json"), default="text")
    create.set_defaults(func=_create_token)
    tokens = token_cmds.add_parser("list", help="List app tokens (never their secrets)")
    tokens.add_argument("--output", "-o", choices=("text", "json"), default="text")
    tokens.set_defaults(func=_list_tokens)
    revoke = token_cmds.add_parser("revoke", help="Revoke a token for good")
    revoke.add_argument("token_id")
    revoke.set_defaults(func=_revoke_token)


def _with_registry(action: Any) -> Any:
    from riir_airflow.cli.broker import open_metastore

    store, registry, _ = open_metastore()
    try:
        return action(registry)
    finally:
        store.close()


def _now() -> Any:
    import pendulum

    return pendulum.now("UTC")


def _create_token(args: argparse.Namespace) -> int:
    dag_ids = sorted({d.strip() for d in args.dag_ids if d.strip()})
    if not dag_ids:
        raise CommandError("give at least one --dag-id")
    token_id, token = _with_registry(lambda r: r.create_app_token(dag_ids, _now(), args.description))
    if args.output == "json":
        print(json.dumps({"token_id": token_id, "token": token, "dag_ids": dag_ids}))
    else:
        print(f"App token {token_id} for dags {', '.join(dag_ids)} (shown only now):")
        print(token)
    return 0


def _list_tokens(args: argparse.Namespace) -> int:
    records = _with_registry(lambda r: r.list_tokens(kind="app"))
    now = _now()
    rows = [
        {"token_id": t.id, "dag_ids": list(t.dag_ids), "description": t.description,
         "created_at": t.created_at.isoformat(), "active": t.active(now)}
        for t in records
    ]  # fmt: skip
    if args.output == "json":
        print(json.dumps(rows))
    else:
        for row in rows:
            state = "active" if row["active"] else "revoked"
            print(f"{row['token_id']}\t{state}\t{','.join(row['dag_ids'])}\t{row['description'] or ''}")
    return 0


def _revoke_token(args: argparse.Namespace) -> int:
    if not _with_registry(lambda r: r.revoke_app_token(args.token_id, _now())):
        raise CommandError(f"no active app token {args.token_id!r}")
    print(f"App token {args.token_id} revoked.")
    return 0


def _list_apps(args: argparse.Namespace) -> int:
    apps = _with_registry(lambda r: r.list_apps())
    rows = [
        {"app_id": a.app_id, "state": a.state.value, "last_heartbeat": a.last_heartbeat.isoformat(),
         "code_hash": a.code_hash, "hostname": a.hostname, "pid": a.pid, "fileloc": a.fileloc, "dag_ids": a.dag_ids}
        for a in apps
    ]  # fmt: skip
    if args.output == "json":
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"{row['app_id']}\t{row['state']}\t{row['last_heartbeat']}\t{','.join(row['dag_ids'])}")
    return 0
