"""`riir-airflow pools ...` on a running system, through `/api/v2/pools` (Airflow 3's commands and
flags). Rows are `pool`, `slots`, `description`, `include_deferred` as Airflow prints them.

- `set NAME SLOTS DESCRIPTION [--include-deferred]`: creates or updates; `get NAME`, `list`,
  `delete NAME` (prints what was deleted), all with `-o FORMAT`; a missing pool is an error;
- `import FILE`: `{NAME: {"slots": N, "description": D, "include_deferred": B}}` (JSON, or YAML
  by extension), existing pools updated, in one bulk call;
- `export FILE` (`-` for stdout): the same shape.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from riir_airflow.cli.api_client import quote
from riir_airflow.cli.main import CommandError
from riir_airflow.cli.output import add_output_argument, print_rows
from riir_airflow.cli.remote import (
    add_api_argument,
    bulk_create,
    client,
    read_mapping_file,
    report_bulk,
    write_export,
)

__all__ = ["register"]


def register(commands: Any) -> None:
    group = commands.add_parser("pools", help="Manage the running system's pools")
    sub = group.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    put = sub.add_parser("set", help="Create or update a pool")
    put.add_argument("pool", metavar="NAME")
    put.add_argument("slots", type=int, help="number of slots (-1: unlimited)")
    put.add_argument("description")
    put.add_argument("--include-deferred", action="store_true", help="deferred tasks take slots too")
    add_output_argument(put)
    put.set_defaults(func=_set)

    get = sub.add_parser("get", help="Print a pool")
    get.add_argument("pool", metavar="NAME")
    add_output_argument(get)
    get.set_defaults(func=_get)

    lst = sub.add_parser("list", help="List the pools")
    add_output_argument(lst)
    lst.set_defaults(func=_list)

    delete = sub.add_parser("delete", help="Delete a pool")
    delete.add_argument("pool", metavar="NAME")
    add_output_argument(delete)
    delete.set_defaults(func=_delete)

    imp = sub.add_parser("import", help="Import pools from a JSON file")
    imp.add_argument("file", metavar="FILEPATH")
    imp.set_defaults(func=_import)

    exp = sub.add_parser("export", help="Export every pool to a JSON file ('-': stdout)")
    exp.add_argument("file", metavar="FILEPATH")
    exp.set_defaults(func=_export)

    for parser in (put, get, lst, delete, imp, exp):
        add_api_argument(parser)


def _path(name: str) -> str:
    return f"/api/v2/pools/{quote(name)}"


def _row(pool: dict[str, Any]) -> dict[str, Any]:
    return {"pool": pool["name"], "slots": pool["slots"], "description": pool.get("description"),
            "include_deferred": pool.get("include_deferred", False)}  # fmt: skip


def _existing(api: Any, name: str) -> dict[str, Any]:
    pool = api.call("GET", _path(name), ok_missing=True)
    if pool is None:
        raise CommandError(f"Pool {name} does not exist")
    return pool


def _set(args: argparse.Namespace) -> int:
    if args.slots < -1:
        raise CommandError("SLOTS must be -1 (unlimited) or more")
    api = client(args)
    body = {"name": args.pool, "slots": args.slots, "description": args.description,
            "include_deferred": args.include_deferred}  # fmt: skip
    if api.call("GET", _path(args.pool), ok_missing=True) is None:
        pool = api.call("POST", "/api/v2/pools", body)
    else:
        mask = "update_mask=slots&update_mask=description&update_mask=include_deferred"
        patch = {"pool": args.pool, **{k: v for k, v in body.items() if k != "name"}}  # PoolPatchBody
        pool = api.call("PATCH", f"{_path(args.pool)}?{mask}", patch)
    print_rows([_row(pool)], args.output)
    return 0


def _get(args: argparse.Namespace) -> int:
    print_rows([_row(_existing(client(args), args.pool))], args.output)
    return 0


def _list(args: argparse.Namespace) -> int:
    pools = client(args).get_all("/api/v2/pools", "pools", order_by="name")
    print_rows([_row(p) for p in pools], args.output)
    return 0


def _delete(args: argparse.Namespace) -> int:
    api = client(args)
    pool = _existing(api, args.pool)
    api.call("DELETE", _path(args.pool))
    print_rows([_row(pool)], args.output)
    return 0


def _import(args: argparse.Namespace) -> int:
    data = read_mapping_file(args.file)
    entities, invalid = [], []
    for name, spec in data.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("slots"), int) or spec["slots"] < -1:
            invalid.append(str(name))
            continue
        entities.append({"name": str(name), "slots": spec["slots"], "description": spec.get("description", ""),
                         "include_deferred": bool(spec.get("include_deferred", False))})  # fmt: skip
    if invalid:
        raise CommandError(
            f"Invalid pool(s) in {args.file} (each needs integer slots >= -1): {', '.join(invalid)}"
        )
    result = bulk_create(client(args), "/api/v2/pools", entities, "overwrite")
    print(f"Uploaded {len(result['success'])} pool(s)")
    return report_bulk(result, "Failed to update pool(s)")


def _export(args: argparse.Namespace) -> int:
    pools = client(args).get_all("/api/v2/pools", "pools", order_by="name")
    data = {p["name"]: {"description": p.get("description"), "slots": p["slots"],
                        "include_deferred": p.get("include_deferred", False)} for p in pools}  # fmt: skip
    text = json.dumps(data, sort_keys=True, indent=4) + "\n"
    write_export(args.file, text, f"Exported {len(data)} pools to {args.file}")
    return 0
