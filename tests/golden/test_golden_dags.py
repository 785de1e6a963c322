"""Golden DAGs: riir-airflow's `dags test` must give what Apache Airflow 3's `dag.test()` gave.

Each `dags/<name>.py` has its expected result in `expected/<name>.json`, produced by the real
Airflow (`regenerate.py`, run from a separate virtualenv; CI never runs Airflow). Compared:
run state, every task instance's state / return_value XCom / try_number, and every rendered
templated field. Not compared literally: the run_id, which Airflow 3 builds from wall-clock now.

A sequence golden (`GOLDEN_ARGS = {"runs": [...], "env": {...}}`, expected `{"runs": [...]}`)
runs `riir-airflow dags test` once per run, in order, all with ONE `AIRFLOW_HOME`, and compares
each run's report the same way as a single run's.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DAGS = HERE / "dags"
EXPECTED = HERE / "expected"
CASES = sorted(p.stem for p in EXPECTED.glob("*.json"))


def _pending() -> dict[str, str]:
    """Goldens riir-airflow does not match yet (`pending.txt`: `name: reason` per line). They
    run as strict xfails: the day one starts matching, the suite says so and it must be removed."""
    path = HERE / "pending.txt"
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        name, _, reason = line.partition(":")
        if name.strip() and not name.startswith("#"):
            out[name.strip()] = reason.strip()
    return out


PENDING = _pending()
PARAMS = [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=PENDING[name])) if name in PENDING else name
    for name in CASES
]


def golden_args(dag_file: Path) -> dict:
    for node in ast.parse(dag_file.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "GOLDEN_ARGS" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def run_riir(dag_file: Path, airflow_home: Path) -> dict:
    return _dags_test(dag_file, airflow_home, golden_args(dag_file))


def _dags_test(dag_file: Path, airflow_home: Path, args: dict, extra_env: dict | None = None, timeout: float = 120) -> dict:
    """One `riir-airflow dags test` with the logical_date/conf/env of `args` (a GOLDEN_ARGS, or
    one run of a sequence golden with the DAG-level env in `extra_env`)."""
    cmd = [sys.executable, "-m", "riir_airflow", "dags", "test", str(dag_file), "--output", "json"]
    if "logical_date" in args:
        cmd += ["--logical-date", args["logical_date"]]
    if args.get("conf"):
        cmd += ["--conf", json.dumps(args["conf"])]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_"))}
    env.update({k: str(v) for k, v in (extra_env or {}).items()})
    env.update({k: str(v) for k, v in (args.get("env") or {}).items()})
    env["AIRFLOW_HOME"] = str(airflow_home)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DAGS, timeout=timeout, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, f"no output; stderr:\n{proc.stderr[-4000:]}"
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        pytest.fail(f"last stdout line is not JSON: {lines[-1]!r}\nstderr:\n{proc.stderr[-4000:]}")


_ABSENT = "<absent>"


def _leaf_diffs(path: str, exp, act) -> list[str]:
    """The differing leaves of two JSON-ish values (a rendered field holding a JSON object is
    compared inside), so that one wrong value does not print a whole report."""
    if isinstance(exp, str) and isinstance(act, str) and exp != act and exp[:1] in "{[" and act[:1] in "{[":
        try:
            exp, act = json.loads(exp), json.loads(act)
        except ValueError:
            pass
    if isinstance(exp, dict) and isinstance(act, dict):
        out = []
        for key in sorted(set(exp) | set(act), key=str):
            out += _leaf_diffs(f"{path}.{key}", exp.get(key, _ABSENT), act.get(key, _ABSENT))
        return out
    return [] if exp == act else [f"{path}: expected {exp!r}, got {act!r}"]


def _mismatches(expected: dict, got: dict) -> list[str]:
    """What the single-run test asserts, as a list of differences ([] when it matches)."""
    out = []
    for key in ("dag_id", "logical_date", "run_state"):
        if got.get(key) != expected.get(key):
            out.append(f"{key}: expected {expected.get(key)!r}, got {got.get(key)!r}")
    if not str(got.get("run_id", "")).startswith("manual__"):
        out.append(f"run_id: expected manual__..., got {got.get('run_id')!r}")
    for section in ("tasks", "rendered"):
        out += _leaf_diffs(section, expected.get(section) or {}, got.get(section) or {})
    return out


def _check_sequence(name: str, expected: dict, airflow_home: Path) -> None:
    """Every run of a sequence golden, in order, against one AIRFLOW_HOME."""
    dag_file = DAGS / f"{name}.py"
    args = golden_args(dag_file)
    runs = args.get("runs") or []
    assert len(runs) == len(expected["runs"]), "GOLDEN_ARGS runs and expected runs differ in number: regenerate"
    problems = []
    for i, (spec, exp) in enumerate(zip(runs, expected["runs"])):
        where = f"run {i} ({spec.get('logical_date')})"
        # Airflow's dag.test() never returned for a stalled run (see README); riir must not hang
        timeout = 60 if "stalled" in exp else 120
        try:
            got = _dags_test(dag_file, airflow_home, spec, extra_env=args.get("env"), timeout=timeout)
        except subprocess.TimeoutExpired:
            problems.append(f"{where}: riir-airflow dags test did not return within {timeout} s"
                            + (f" (Airflow stalled on {exp['stalled']} with the run {exp['run_state']})" if "stalled" in exp else ""))
            break
        problems += [f"{where}: {p}" for p in _mismatches(exp, got)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", PARAMS)
def test_dags_test_matches_airflow(name: str, tmp_path: Path) -> None:
    expected = json.loads((EXPECTED / f"{name}.json").read_text())
    if "runs" in expected:
        _check_sequence(name, expected, tmp_path)
        return
    got = run_riir(DAGS / f"{name}.py", tmp_path)
    assert got["dag_id"] == expected["dag_id"]
    assert got["logical_date"] == expected["logical_date"]
    assert got["run_id"].startswith("manual__")
    assert got["tasks"] == expected["tasks"]
    assert got["rendered"] == expected["rendered"]
    assert got["run_state"] == expected["run_state"]


def test_every_golden_dag_has_an_expectation() -> None:
    dag_files = {p.stem for p in DAGS.glob("*.py") if not p.name.startswith("_")}
    assert dag_files <= set(CASES), f"golden DAGs without expected JSON: {sorted(dag_files - set(CASES))}"
