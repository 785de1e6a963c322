"""`riir-airflow variables ...` on a running system, through `/api/v2/variables` (Airflow 3's
commands and flags):

- `get KEY [-d DEFAULT] [-j]`: the value (with `-j` parsed as JSON and printed as JSON); a
  missing key prints DEFAULT, or is an error without one;
- `set KEY VALUE [--description D] [-j]`: creates or updates (with `-j`, VALUE must be JSON and
  is stored as Airflow stores a JSON variable); an update keeps the description unless given;
- `list [-o FORMAT]`: the keys; `delete KEY`: a missing key is an error;
- `import FILE [-a overwrite|fail|skip]`: a JSON (or YAML) object `{KEY: VALUE}` or
  `{KEY: {"value": V, "description": D}}`; non-string values are stored as JSON; one bulk call;
- `export FILE` (`-` for stdout): the same shape, values that hold JSON written as JSON.
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
    group = commands.add_parser("variables", help="Manage the running system's Variables")
    sub = group.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    get = sub.add_parser("get", help="Print a variable's value")
    get.add_argument("key")
    get.add_argument("-d", "--default", default=None, help="printed when the variable does not exist")
    get.add_argument("-j", "--json", action="store_true", help="the value is JSON: print it parsed")
    get.set_defaults(func=_get)

    put = sub.add_parser("set", help="Create or update a variable")
    put.add_argument("key")
    put.add_argument("value")
    put.add_argument("--description", default=None, help="the variable's description")
    put.add_argument("-j", "--json", action="store_true", help="VALUE is JSON: check it and store it as JSON")
    put.set_defaults(func=_set)

    lst = sub.add_parser("list", help="List the variables' keys")
    add_output_argument(lst)
    lst.set_defaults(func=_list)

    delete = sub.add_parser("delete", help="Delete a variable")
    delete.add_argument("key")
    delete.set_defaults(func=_delete)

    imp = sub.add_parser("import", help="Import variables from a JSON or YAML file")
    imp.add_argument("file")
    imp.add_argument(
        "-a",
        "--action-on-existing-key",
        choices=("overwrite", "fail", "skip"),
        default="overwrite",
        help="what to do with a key that exists already (default: %(default)s)",
    )
    imp.set_defaults(func=_import)

    exp = sub.add_parser("export", help="Export every variable to a JSON file ('-': stdout)")
    exp.add_argument("file")
    exp.set_defaults(func=_export)

    for parser in (get, put, lst, delete, imp, exp):
        add_api_argument(parser)


def _path(key: str) -> str:
    return f"/api/v2/variables/{quote(key)}"


def _get(args: argparse.Namespace) -> int:
    var = client(args).call("GET", _path(args.key), ok_missing=True)
    if var is None:
        if args.default is None:
            raise CommandError(f"Variable {args.key} does not exist")
        print(args.default)
        return 0
    value = var.get("value")
    if args.json:
        try:
            print(json.dumps(json.loads(value)))
        except (TypeError, ValueError):
            raise CommandError(f"Variable {args.key} does not hold JSON") from None
    else:
        print(value)
    return 0


def _set(args: argparse.Namespace) -> int:
    value = args.value
    if args.json:
        try:
            value = json.dumps(json.loads(value), indent=2)
        except ValueError as exc:
            raise CommandError(f"VALUE is not valid JSON: {exc}") from None
    api = client(args)
    body: dict[str, Any] = {"key": args.key, "value": value, "description": args.description}
    if api.call("GET", _path(args.key), ok_missing=True) is None:
        api.call("POST", "/api/v2/variables", body)
    else:
        mask = ["value"] + (["description"] if args.description is not None else [])
        api.call("PATCH", _path(args.key) + "?" + "&".join(f"update_mask={m}" for m in mask), body)
    print(f"Variable {args.key} created")
    return 0


def _list(args: argparse.Namespace) -> int:
    variables = client(args).get_all("/api/v2/variables", "variables", order_by="key")
    print_rows([{"key": v["key"]} for v in variables], args.output)
    return 0


def _delete(args: argparse.Namespace) -> int:
    if not client(args).delete(_path(args.key)):
        raise CommandError(f"Variable {args.key} does not exist")
    print(f"Variable {args.key} deleted")
    return 0


def _entity(key: str, value: Any) -> dict[str, Any]:
    description = None
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "description"}:
        description, value = value.get("description"), value["value"]
    if not isinstance(value, str):
        value = json.dumps(value, indent=2)
    return {"key": key, "value": value, "description": description}


def _import(args: argparse.Namespace) -> int:
    data = read_mapping_file(args.file)
    entities = [_entity(str(k), v) for k, v in data.items()]
    result = bulk_create(client(args), "/api/v2/variables", entities, args.action_on_existing_key)
    print(f"{len(result['success'])} of {len(entities)} variables successfully updated.")
    return report_bulk(result, "Failed to import variable(s)")


def _export(args: argparse.Namespace) -> int:
    variables = client(args).get_all("/api/v2/variables", "variables", order_by="key")
    out: dict[str, Any] = {}
    for var in variables:
        value: Any = var.get("value")
        try:
            value = json.loads(value)
        except (TypeError, ValueError):
            pass
        out[var["key"]] = (
            {"value": value, "description": var["description"]} if var.get("description") else value
        )
    text = json.dumps(out, sort_keys=True, indent=4) + "\n"
    write_export(args.file, text, f"{len(out)} variables successfully exported to {args.file}")
    return 0
