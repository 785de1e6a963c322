"""`riir-airflow connections ...` on a running system, through `/api/v2/connections` (Airflow 3's
commands and flags):

- `add CONN_ID (--conn-uri URI | --conn-json JSON | --conn-type T [--conn-host H] [--conn-login L]
  [--conn-password P] [--conn-port N] [--conn-schema S]) [--conn-extra JSON]
  [--conn-description D]`: a URI or JSON is read as Airflow reads `AIRFLOW_CONN_*`; an existing
  id is an error;
- `get CONN_ID [-o FORMAT]`, `list [--conn-id ID] [-o FORMAT]`: the fields and the URI;
- `delete CONN_ID`: a missing id is an error;
- `import FILE [--overwrite]`: `.json`, `.yaml`/`.yml` (`{CONN_ID: {fields} | URI}`) or `.env`
  (`CONN_ID=URI-or-JSON` lines); existing ids are skipped unless `--overwrite`;
- `export FILE [--file-format json|yaml|env] [--serialization-format json|uri]` (`-` for stdout,
  json unless told).
"""

from __future__ import annotations

import argparse
import json
import sys
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

FIELDS = ("conn_type", "host", "login", "password", "port", "schema")


def register(commands: Any) -> None:
    group = commands.add_parser("connections", help="Manage the running system's Connections")
    sub = group.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    add = sub.add_parser("add", help="Add a connection")
    add.add_argument("conn_id")
    add.add_argument(
        "--conn-uri", help="the connection as a URI (type://login:password@host:port/schema?extra)"
    )
    add.add_argument("--conn-json", help="the connection as a JSON object")
    add.add_argument("--conn-type", help="the connection's type (required without --conn-uri/--conn-json)")
    add.add_argument("--conn-host")
    add.add_argument("--conn-login")
    add.add_argument("--conn-password")
    add.add_argument("--conn-port")
    add.add_argument("--conn-schema")
    add.add_argument("--conn-extra", help="JSON object: the connection's extra")
    add.add_argument("--conn-description")
    add.set_defaults(func=_add)

    get = sub.add_parser("get", help="Print a connection")
    get.add_argument("conn_id")
    get.add_argument("--color", choices=("on", "off", "auto"), default="auto", help=argparse.SUPPRESS)
    add_output_argument(get)
    get.set_defaults(func=_get)

    lst = sub.add_parser("list", help="List the connections")
    lst.add_argument("--conn-id", help="only this one")
    add_output_argument(lst)
    lst.set_defaults(func=_list)

    delete = sub.add_parser("delete", help="Delete a connection")
    delete.add_argument("conn_id")
    delete.add_argument("--color", choices=("on", "off", "auto"), default="auto", help=argparse.SUPPRESS)
    delete.set_defaults(func=_delete)

    imp = sub.add_parser("import", help="Import connections from a .json, .yaml or .env file")
    imp.add_argument("file")
    imp.add_argument("--overwrite", action="store_true", help="replace connections that exist already")
    imp.set_defaults(func=_import)

    exp = sub.add_parser("export", help="Export every connection to a file ('-': stdout)")
    exp.add_argument("file")
    exp.add_argument("--file-format", "--format", dest="file_format", choices=("json", "yaml", "env"))
    exp.add_argument(
        "--serialization-format", choices=("json", "uri"), help="env files: how a connection is written"
    )
    exp.set_defaults(func=_export)

    for parser in (add, get, lst, delete, imp, exp):
        add_api_argument(parser)


def _path(conn_id: str) -> str:
    return f"/api/v2/connections/{quote(conn_id)}"


def _body(conn_id: str, conn: Any) -> dict[str, Any]:
    """The API's ConnectionBody of an sdk Connection."""
    return {
        "connection_id": conn_id, "conn_type": conn.conn_type, "description": conn.description,
        "host": conn.host, "login": conn.login, "password": conn.password, "port": conn.port,
        "schema": conn.schema, "extra": conn.extra,
    }  # fmt: skip


def _connection(answer: dict[str, Any]) -> Any:
    from riir_airflow.sdk.connection import Connection

    return Connection(
        conn_id=answer["connection_id"], conn_type=answer.get("conn_type"), description=answer.get("description"),
        host=answer.get("host"), login=answer.get("login"), password=answer.get("password"),
        schema=answer.get("schema"), port=answer.get("port"), extra=answer.get("extra"),
    )  # fmt: skip


def _parse(conn_id: str, value: Any) -> Any:
    """A Connection from a URI string, a JSON string or a dict of fields."""
    from riir_airflow.sdk.connection import Connection

    try:
        if isinstance(value, dict):
            return Connection.from_json(json.dumps(value), conn_id=conn_id)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return Connection.from_json(value, conn_id=conn_id)
        if isinstance(value, str):
            return Connection(conn_id=conn_id, uri=value)
    except Exception as exc:  # noqa: BLE001 - the SDK's parse errors
        raise CommandError(f"connection {conn_id!r}: {exc}") from None
    raise CommandError(f"connection {conn_id!r}: expected a URI or an object, got {type(value).__name__}")


def _add(args: argparse.Namespace) -> int:
    from riir_airflow.sdk.connection import Connection

    fields = {name: getattr(args, name if name == "conn_type" else f"conn_{name}") for name in FIELDS}
    given = [f"--conn-{n.removeprefix('conn_')}" for n, v in fields.items() if v is not None]
    if args.conn_uri and args.conn_json:
        raise CommandError("give --conn-uri or --conn-json, not both")
    if (args.conn_uri or args.conn_json) and given:
        raise CommandError(f"--conn-uri/--conn-json cannot be combined with {', '.join(given)}")
    if args.conn_uri:
        conn = _parse(args.conn_id, args.conn_uri)
        if not conn.conn_type or not (conn.host or conn.schema or conn.login or conn.port):
            raise CommandError(f"The URI provided to --conn-uri is invalid: {args.conn_uri}")
    elif args.conn_json:
        conn = _parse(args.conn_id, args.conn_json)
    elif not args.conn_type:
        raise CommandError("give --conn-uri, --conn-json or at least --conn-type")
    else:
        try:
            conn = Connection(conn_id=args.conn_id, **fields)
        except ValueError:
            raise CommandError(f"--conn-port must be an integer, not {args.conn_port!r}") from None
    if args.conn_extra is not None:
        try:
            json.loads(args.conn_extra)
        except ValueError as exc:
            raise CommandError(f"--conn-extra is not valid JSON: {exc}") from None
        conn.extra = args.conn_extra
    if args.conn_description is not None:
        conn.description = args.conn_description
    api = client(args)
    if api.call("GET", _path(args.conn_id), ok_missing=True) is not None:
        raise CommandError(f"A connection with `conn_id`={args.conn_id} already exists.")
    api.call("POST", "/api/v2/connections", _body(args.conn_id, conn))
    secret = "******" if conn.password else ""
    masked = f"{conn.conn_type}://{conn.login or ''}:{secret}@{conn.host or ''}:{conn.port or ''}/{conn.schema or ''}"
    print(f"Successfully added `conn_id`={args.conn_id} : {masked}")
    return 0


def _row(answer: dict[str, Any]) -> dict[str, Any]:
    conn = _connection(answer)
    return {
        "conn_id": answer["connection_id"], "conn_type": answer.get("conn_type"),
        "description": answer.get("description"), "host": answer.get("host"), "schema": answer.get("schema"),
        "login": answer.get("login"), "password": answer.get("password"), "port": answer.get("port"),
        "extra_dejson": conn.extra_dejson, "get_uri": conn.get_uri(),
    }  # fmt: skip


def _get(args: argparse.Namespace) -> int:
    answer = client(args).call("GET", _path(args.conn_id), ok_missing=True)
    if answer is None:
        raise CommandError(f"Connection not found: {args.conn_id}")
    print_rows([_row(answer)], args.output)
    return 0


def _list(args: argparse.Namespace) -> int:
    api = client(args)
    if args.conn_id:
        one = api.call("GET", _path(args.conn_id), ok_missing=True)
        conns = [one] if one is not None else []
    else:
        conns = api.get_all("/api/v2/connections", "connections", order_by="connection_id")
    print_rows([_row(c) for c in conns], args.output)
    return 0


def _delete(args: argparse.Namespace) -> int:
    if not client(args).delete(_path(args.conn_id)):
        raise CommandError(f"Did not find a connection with `conn_id`={args.conn_id}")
    print(f"Successfully deleted connection with `conn_id`={args.conn_id}")
    return 0


def _read_env(path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with open(path, encoding="utf-8") as lines:
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"{path}:{number}: expected CONN_ID=URI")
            out[key.strip()] = value.strip()
    return out


def _import(args: argparse.Namespace) -> int:
    if not args.file.endswith((".json", ".yaml", ".yml", ".env")):
        raise CommandError(f"Unsupported file format: {args.file} (use .json, .yaml, .yml or .env)")
    try:
        data = _read_env(args.file) if args.file.endswith(".env") else read_mapping_file(args.file)
    except OSError as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from None
    entities = [_body(str(conn_id), _parse(str(conn_id), value)) for conn_id, value in data.items()]
    api = client(args)
    result = bulk_create(api, "/api/v2/connections", entities, "overwrite" if args.overwrite else "skip")
    done = set(result["success"])
    for entity in entities:
        if entity["connection_id"] in done:
            print(f"Imported connection {entity['connection_id']}")
    code = report_bulk(result, "Could not import connection(s)")
    skipped = len(entities) - len(done) - len(result["errors"])
    if skipped > 0 and not args.overwrite:
        print(
            f"{skipped} connection(s) exist already and were left as they are (use --overwrite)",
            file=sys.stderr,
        )
    return code


def _export(args: argparse.Namespace) -> int:
    fmt = args.file_format
    if fmt is None:
        if args.file == "-":
            fmt = "json"
        elif args.file.endswith((".yaml", ".yml")):
            fmt = "yaml"
        elif args.file.endswith(".env"):
            fmt = "env"
        elif args.file.endswith(".json"):
            fmt = "json"
        else:
            raise CommandError(
                f"Unsupported file format: {args.file} (use .json, .yaml, .env or --file-format)"
            )
    conns = client(args).get_all("/api/v2/connections", "connections", order_by="connection_id")
    if fmt == "env":
        lines = []
        for answer in conns:
            conn = _connection(answer)
            value = conn.get_uri() if (args.serialization_format or "uri") == "uri" else conn.as_json()
            lines.append(f"{answer['connection_id']}={value}\n")
        text = "".join(lines)
    else:
        data = {}
        for answer in conns:
            fields = _connection(answer).to_dict(validate=False)
            fields.pop("conn_id", None)
            data[answer["connection_id"]] = fields
        if fmt == "yaml":
            import yaml

            text = yaml.safe_dump(data, sort_keys=False)
        else:
            text = json.dumps(data, indent=2) + "\n"
    write_export(args.file, text, f"Connections successfully exported to {args.file}.")
    return 0
