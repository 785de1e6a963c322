#!/usr/bin/env python
"""Which of Airflow 3's public REST API (`/api/v2`) operations the riir-airflow broker serves.

    .venv/bin/python scripts/api_coverage.py                  # Airflow's operations from apache-airflow-client
    .venv/bin/python scripts/api_coverage.py --spec v2-rest-api-generated.yaml   # ...or from an Airflow install
    .venv/bin/python scripts/api_coverage.py --url http://127.0.0.1:8080        # a running broker's spec
    .venv/bin/python scripts/api_coverage.py --missing        # only what is not served, with the reasons

Airflow's side: the OpenAPI spec of an Airflow installation when given (`--spec`, JSON or YAML;
an Airflow 3 install keeps it at `airflow/api_fastapi/core_api/openapi/v2-rest-api-generated.yaml`),
else the operations of the official `apache-airflow-client` package (generated from that spec:
each operation is one `param_serialize(method=..., resource_path=...)` call in
`airflow_client/client/api/*.py`). The broker's side: its own `/openapi.json`, from `--url` or
built in-process. Operations match on method and path, with path parameters' names ignored.
Prints one row per Airflow operation (served or not, and why not), then the coverage figure.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

METHODS = ("get", "post", "put", "patch", "delete")

# Why an operation is not served (first matching path fragment or operation id wins).
REASONS = [
    ("favorite", "per-user favourites are a UI feature"),
    ("hitl", "human-in-the-loop operators are not supported yet"),
    ("state-store", "task/asset state store (Airflow 3.3) not implemented yet"),
    ("clearPartitions", "partitioned runs are not supported"),
    ("/connections/enqueue-test", "connection tests run on workers in Airflow; riir's broker loads no hooks"),
    ("/jobs", "riir has no scheduler/triggerer jobs (apps report through /monitor/health)"),
    ("/parseDagFile", "DAG files are parsed by their app, not by the API server"),
    ("/auth/", "login and logout pages belong to the UI (tokens come from POST /auth/token)"),
]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str

    @property
    def key(self) -> tuple[str, str]:
        return self.method, re.sub(r"\{[^}]*\}", "{}", self.path)


def from_spec(spec: dict) -> list[Operation]:
    ops = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method in METHODS and path.startswith("/api/v2"):
                ops.append(Operation(method.upper(), path, op.get("operationId", "")))
    return ops


def from_client() -> list[Operation]:
    """The operations of the installed apache-airflow-client package."""
    try:
        import airflow_client.client.api as api_package
    except ImportError:
        sys.exit("apache-airflow-client is not installed (pip install -e '.[dev]'), and no --spec was given")
    ops = []
    for module in sorted(Path(api_package.__path__[0]).glob("*_api.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if not (
                isinstance(node, ast.FunctionDef)
                and node.name.startswith("_")
                and node.name.endswith("_serialize")
            ):
                continue
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "param_serialize":
                    kw = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
                    ops.append(
                        Operation(
                            kw["method"].upper(), kw["resource_path"], node.name[1 : -len("_serialize")]
                        )
                    )
    return ops


def load_spec(path: str) -> dict:
    text = Path(path).read_text()
    if path.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def broker_spec(url: str | None) -> dict:
    if url:
        with urllib.request.urlopen(f"{url.rstrip('/')}/openapi.json", timeout=30) as answer:
            return json.load(answer)
    from riir_airflow.broker.app import create_app

    return create_app(None, None).openapi()  # the spec needs no store


def reason(op: Operation) -> str:
    for fragment, why in REASONS:
        if fragment in op.path or fragment == op.operation_id:
            return why
    return "not implemented yet"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--spec", help="Airflow's OpenAPI spec (JSON or YAML); default: apache-airflow-client"
    )
    parser.add_argument("--url", help="a running broker (default: build the broker's spec in-process)")
    parser.add_argument("--missing", action="store_true", help="list only the operations not served")
    args = parser.parse_args(argv)
    airflow = from_spec(load_spec(args.spec)) if args.spec else from_client()
    airflow = sorted({op.key: op for op in airflow}.values(), key=lambda op: (op.path, op.method))
    served = {op.key for op in from_spec(broker_spec(args.url))}
    width = max(len(op.path) for op in airflow)
    done = 0
    for op in airflow:
        ok = op.key in served
        done += ok
        if args.missing and ok:
            continue
        note = "" if ok else reason(op)
        print(f"{'yes' if ok else 'no ':3}  {op.method:6} {op.path:{width}}  {op.operation_id:45} {note}")
    extra = sorted(served - {op.key for op in airflow})
    if extra:
        print("\nserved by the broker but not in Airflow's spec:")
        for method, path in extra:
            print(f"     {method:6} {path}")
    source = args.spec or "apache-airflow-client"
    print(
        f"\ncoverage: {done}/{len(airflow)} of Airflow's /api/v2 operations ({100 * done / len(airflow):.0f}%), from {source}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
