#!/usr/bin/env python3
"""Regenerate tests/golden/expected/*.json by running every golden DAG under REAL Airflow.

Runs with any python3 (no riir_airflow, no airflow needed here). For each
``tests/golden/dags/<name>.py`` it calls ``<venv>/bin/python tests/golden/airflow_side.py``
(inside the Airflow virtualenv made by ``scripts/airflow-venv.sh``), two DAGs at a time, each
with a timeout, and writes ``tests/golden/expected/<name>.json`` (for a sequence golden, whose
``GOLDEN_ARGS`` has ``"runs"``, that file is ``{"runs": [report, ...]}``, and the timeout is
multiplied by the number of runs).

    python3 tests/golden/regenerate.py                    # all DAGs
    python3 tests/golden/regenerate.py --only tr_skipped op_bash_basics
    python3 tests/golden/regenerate.py --venv /path/to/airflow-venv --jobs 2 --timeout 300

A DAG whose Airflow run crashes (no JSON produced) is reported as failed and its expected
file is left untouched; its log goes to tests/golden/.logs/<name>.log (git-ignored).
Exit status is non-zero when any DAG failed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAGS = HERE / "dags"
EXPECTED = HERE / "expected"
LOGS = HERE / ".logs"
AIRFLOW_SIDE = HERE / "airflow_side.py"


def number_of_runs(dag_file: Path) -> int:
    """len(GOLDEN_ARGS["runs"]) for a sequence golden, else 1 (read with ast, never imported)."""
    for node in ast.parse(dag_file.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "GOLDEN_ARGS" for t in node.targets):
            runs = ast.literal_eval(node.value).get("runs")
            return max(1, len(runs)) if isinstance(runs, list) else 1
    return 1


def run_one(name: str, python: Path, timeout: float) -> tuple[str, bool, str, float]:
    dag_file = DAGS / f"{name}.py"
    timeout = timeout * number_of_runs(dag_file)
    out = EXPECTED / f"{name}.json"
    tmp_out = LOGS / f"{name}.json.tmp"
    log = LOGS / f"{name}.log"
    started = time.monotonic()
    try:
        res = subprocess.run(
            [str(python), str(AIRFLOW_SIDE), str(dag_file), "--out", str(tmp_out)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(HERE),
        )
    except subprocess.TimeoutExpired as exc:
        log.write_text(f"TIMEOUT after {timeout}s\n{exc.stdout or ''}\n{exc.stderr or ''}")
        return name, False, f"timeout after {timeout:.0f}s", time.monotonic() - started
    log.write_text(res.stdout + "\n----- stderr -----\n" + res.stderr)
    elapsed = time.monotonic() - started
    if res.returncode != 0 or not tmp_out.exists():
        last = (res.stderr.strip().splitlines() or ["?"])[-1]
        return name, False, f"rc={res.returncode}: {last[:200]}", elapsed
    result = json.loads(tmp_out.read_text())
    tmp_out.unlink()
    out.write_text(json.dumps(result, indent=2) + "\n")
    if "runs" in result:  # a sequence golden: one report per run
        runs = [r["run_state"] + ("(stalled)" if "stalled" in r else "") for r in result["runs"]]
        return name, True, f"runs={','.join(runs)}", elapsed
    states = {}
    for t in result["tasks"].values():
        states[t["state"]] = states.get(t["state"], 0) + 1
    summary = ", ".join(f"{k}={v}" for k, v in sorted(states.items()))
    return name, True, f"run={result['run_state']} ({summary})", elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", metavar="NAME", help="only these DAGs (file stems)")
    ap.add_argument(
        "--venv",
        type=Path,
        default=Path(os.environ.get("RIIR_AIRFLOW_VENV", "/work/airflow-venv")),
        help="Airflow virtualenv (default: $RIIR_AIRFLOW_VENV or /work/airflow-venv)",
    )
    ap.add_argument("--jobs", type=int, default=2, help="DAGs run in parallel (default 2)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per DAG, per run for a sequence golden (default 300)")
    args = ap.parse_args()

    python = args.venv / "bin" / "python"
    if not python.exists():
        print(f"no Airflow virtualenv at {args.venv}: run scripts/airflow-venv.sh first", file=sys.stderr)
        return 2
    names = sorted(p.stem for p in DAGS.glob("*.py") if not p.name.startswith("_"))
    if args.only:
        unknown = sorted(set(args.only) - set(names))
        if unknown:
            print(f"unknown golden DAG(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        names = [n for n in names if n in set(args.only)]
    EXPECTED.mkdir(exist_ok=True)
    LOGS.mkdir(exist_ok=True)

    started = time.monotonic()
    failed = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, ok, msg, elapsed in pool.map(lambda n: run_one(n, python, args.timeout), names):
            print(f"{'ok    ' if ok else 'FAILED'} {name:<40} {elapsed:6.1f}s  {msg}", flush=True)
            if not ok:
                failed.append(name)
    total = time.monotonic() - started
    print(f"\n{len(names) - len(failed)} ok, {len(failed)} failed in {total:.0f}s")
    if failed:
        print("failed: " + " ".join(failed) + f"  (logs in {LOGS})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
