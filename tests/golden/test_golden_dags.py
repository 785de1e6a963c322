"""Golden DAGs: riir-airflow's `dags test` must give what Apache Airflow 3's `dag.test()` gave.

Each `dags/<name>.py` has its expected result in `expected/<name>.json`, produced by the real
Airflow (`regenerate.py`, run from a separate virtualenv; CI never runs Airflow). Compared:
run state, every task instance's state / return_value XCom / try_number, and every rendered
templated field. Not compared literally: the run_id, which Airflow 3 builds from wall-clock now.
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
    args = golden_args(dag_file)
    cmd = [sys.executable, "-m", "riir_airflow", "dags", "test", str(dag_file), "--output", "json"]
    if "logical_date" in args:
        cmd += ["--logical-date", args["logical_date"]]
    if args.get("conf"):
        cmd += ["--conf", json.dumps(args["conf"])]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_VAR_", "AIRFLOW_CONN_"))}
    env.update(args.get("env", {}))
    env["AIRFLOW_HOME"] = str(airflow_home)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=DAGS, timeout=120, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, f"no output; stderr:\n{proc.stderr[-4000:]}"
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        pytest.fail(f"last stdout line is not JSON: {lines[-1]!r}\nstderr:\n{proc.stderr[-4000:]}")


@pytest.mark.parametrize("name", PARAMS)
def test_dags_test_matches_airflow(name: str, tmp_path: Path) -> None:
    expected = json.loads((EXPECTED / f"{name}.json").read_text())
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
