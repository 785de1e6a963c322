"""Printing rows as `--output table|json|yaml|plain`, as Airflow's CLI does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = ["add_output_argument", "print_rows"]


def add_output_argument(parser: Any, default: str = "table") -> None:
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "json", "yaml", "plain"),
        default=default,
        help="Output format (default: %(default)s)",
    )


def _cell(value: Any) -> str:
    """A table cell: lists and mappings as JSON (not Python's repr), the rest as str()."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def print_rows(rows: Sequence[dict[str, Any]], output: str) -> None:
    if output == "json":
        print(json.dumps(list(rows), default=str))
        return
    if output == "yaml":
        try:
            import yaml
        except ImportError:  # PyYAML is optional: emit the JSON subset of YAML
            print(json.dumps(list(rows), default=str, indent=2))
            return
        print(yaml.safe_dump(json.loads(json.dumps(list(rows), default=str)), sort_keys=False), end="")
        return
    if not rows:
        print("No data found")
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    if output == "plain":
        for line in cells:
            print("\t".join(line))
        return
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("=+=".join("=" * w for w in widths))
    for line in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(line, widths)))
