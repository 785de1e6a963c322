"""Helpers for tests that compare riir-airflow with the golden expectations (stdlib only).

    from tests.golden.golden import cases, dags_test_argv, diff   # or import by path

    for case in cases():
        argv = dags_test_argv(case)            # ["dags", "test", FILE, "--logical-date", ...]
        env = {**os.environ, **case.env}
        actual = json.loads(<last stdout line of `riir-airflow *argv`>)
        assert diff(case.expected, actual) == []

The normalisation rules are those of README.md: run_id only has to start with ``manual__``;
everything else (dag_id, logical_date, run_state, tasks{state, xcom_return, try_number},
rendered{field: str}) is compared exactly.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DAGS = HERE / "dags"
EXPECTED = HERE / "expected"


@dataclass(frozen=True)
class GoldenCase:
    name: str
    dag_file: Path
    expected_file: Path
    logical_date: str | None
    conf: dict | None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def expected(self) -> dict:
        return json.loads(self.expected_file.read_text())


def read_golden_args(path: Path) -> dict:
    """The module-level ``GOLDEN_ARGS`` literal of a golden DAG file (never imports it)."""
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "GOLDEN_ARGS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return {}


def cases() -> list[GoldenCase]:
    """Every golden DAG that has an expected file, sorted by name."""
    out = []
    for dag_file in sorted(DAGS.glob("*.py")):
        expected = EXPECTED / f"{dag_file.stem}.json"
        if not expected.exists():
            continue
        args = read_golden_args(dag_file)
        out.append(
            GoldenCase(
                name=dag_file.stem,
                dag_file=dag_file,
                expected_file=expected,
                logical_date=args.get("logical_date"),
                conf=args.get("conf"),
                env={k: str(v) for k, v in (args.get("env") or {}).items()},
            )
        )
    return out


def dags_test_argv(case: GoldenCase) -> list[str]:
    """Arguments for ``riir-airflow`` (without the program name)."""
    argv = ["dags", "test", str(case.dag_file)]
    if case.logical_date is not None:
        argv += ["--logical-date", case.logical_date]
    if case.conf is not None:
        argv += ["--conf", json.dumps(case.conf)]
    argv += ["--output", "json"]
    return argv


def diff(expected: dict, actual: dict) -> list[str]:
    """Differences between an expected golden and riir's JSON; [] when they match."""
    problems: list[str] = []

    def cmp(path: str, exp: Any, act: Any) -> None:
        # canonical JSON: dict order is irrelevant, but True != 1 and 1 != 1.0
        if json.dumps(exp, sort_keys=True) != json.dumps(act, sort_keys=True):
            problems.append(f"{path}: expected {exp!r}, got {act!r}")

    for key in ("dag_id", "logical_date", "run_state"):
        cmp(key, expected.get(key), actual.get(key))
    run_id = actual.get("run_id")
    if not (isinstance(run_id, str) and run_id.startswith("manual__")):
        problems.append(f"run_id: expected a 'manual__...' id, got {run_id!r}")

    exp_tasks, act_tasks = expected.get("tasks", {}), actual.get("tasks") or {}
    for key in sorted(set(exp_tasks) | set(act_tasks)):
        if key not in act_tasks:
            problems.append(f"tasks[{key}]: missing")
            continue
        if key not in exp_tasks:
            problems.append(f"tasks[{key}]: unexpected task {act_tasks[key]!r}")
            continue
        for attr in ("state", "try_number", "xcom_return"):
            cmp(f"tasks[{key}].{attr}", exp_tasks[key].get(attr), act_tasks[key].get(attr))

    exp_r, act_r = expected.get("rendered", {}), actual.get("rendered") or {}
    for key in sorted(set(exp_r) | set(act_r)):
        if key not in act_r:
            problems.append(f"rendered[{key}]: missing")
            continue
        if key not in exp_r:
            problems.append(f"rendered[{key}]: unexpected {act_r[key]!r}")
            continue
        for fld in sorted(set(exp_r[key]) | set(act_r[key])):
            cmp(f"rendered[{key}].{fld}", exp_r[key].get(fld), act_r[key].get(fld))
    return problems


if __name__ == "__main__":  # quick self-check: every expected file matches itself
    for c in cases():
        assert diff(c.expected, c.expected) == [], c.name
        print(c.name, " ".join(dags_test_argv(c)[3:]), sorted(c.env))
