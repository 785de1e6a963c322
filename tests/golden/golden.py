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

A sequence golden (``GOLDEN_ARGS["runs"]``) has ``case.runs`` (one GoldenRun each, with the
DAG-level env merged under the run's own) and an expected ``{"runs": [report, ...]}``:

    home = <one fresh AIRFLOW_HOME for the whole case>
    actual = [run `riir-airflow *dags_test_argv(case, run)` with {**os.environ, **run.env,
              "AIRFLOW_HOME": home}, in order, for run in case.runs]
    assert diff_runs(case.expected, actual) == []
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
class GoldenRun:
    """One run of a sequence golden; `env` is the DAG-level env with the run's own over it."""

    logical_date: str | None
    conf: dict | None
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GoldenCase:
    name: str
    dag_file: Path
    expected_file: Path
    logical_date: str | None
    conf: dict | None
    env: dict[str, str] = field(default_factory=dict)
    runs: tuple[GoldenRun, ...] = ()  # empty for a single-run golden

    @property
    def is_sequence(self) -> bool:
        return bool(self.runs)

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
        env = {k: str(v) for k, v in (args.get("env") or {}).items()}
        runs = tuple(
            GoldenRun(
                logical_date=r.get("logical_date"),
                conf=r.get("conf"),
                env={**env, **{k: str(v) for k, v in (r.get("env") or {}).items()}},
            )
            for r in args.get("runs") or ()
        )
        out.append(
            GoldenCase(
                name=dag_file.stem,
                dag_file=dag_file,
                expected_file=expected,
                logical_date=args.get("logical_date"),
                conf=args.get("conf"),
                env=env,
                runs=runs,
            )
        )
    return out


def dags_test_argv(case: GoldenCase, run: GoldenRun | None = None) -> list[str]:
    """Arguments for ``riir-airflow`` (without the program name); for a sequence golden, of
    one of its `case.runs`."""
    src = run if run is not None else case
    argv = ["dags", "test", str(case.dag_file)]
    if src.logical_date is not None:
        argv += ["--logical-date", src.logical_date]
    if src.conf is not None:
        argv += ["--conf", json.dumps(src.conf)]
    argv += ["--output", "json"]
    return argv


def diff_runs(expected: dict, actual: list[dict]) -> list[str]:
    """Differences between a sequence golden's expected ``{"runs": [...]}`` and riir's reports
    of those runs (in order); [] when every run matches."""
    exp_runs = expected.get("runs") or []
    problems = []
    if len(exp_runs) != len(actual):
        problems.append(f"runs: expected {len(exp_runs)} reports, got {len(actual)}")
    for i, (exp, act) in enumerate(zip(exp_runs, actual)):
        problems += [f"runs[{i}].{p}" for p in diff(exp, act)]
    return problems


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
        if c.is_sequence:
            assert diff_runs(c.expected, c.expected["runs"]) == [], c.name
            for r in c.runs:
                print(c.name, " ".join(dags_test_argv(c, r)[3:]), sorted(r.env))
            continue
        assert diff(c.expected, c.expected) == [], c.name
        print(c.name, " ".join(dags_test_argv(c)[3:]), sorted(c.env))
