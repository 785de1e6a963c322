#!/usr/bin/env python3
"""Cold import time of the authoring API: riir-airflow versus Apache Airflow, in the same run.

    riir:    from riir_airflow.decorators import dag, task   (the riir-airflow venv)
    Airflow: from airflow.sdk import dag, task              (the Airflow venv, --airflow-venv)

Each repetition starts a fresh interpreter (one subprocess per repetition and side; the two sides
alternate so that load changes on this noisy machine hit both alike). "Cold" means a fresh
process; the files are in the OS page cache and their .pyc files are already compiled (one
untimed warm-up import per side first), which is the situation of every DAG process start.

Measured, per repetition:

* import time (the headline figure, and the ratio's): ``time.perf_counter()`` around the import
  statement inside the child. It excludes interpreter start-up and ``site`` processing, which
  do not depend on the package, so it isolates what the import itself costs;
* process time: wall time of ``python -c "<import>"`` seen from the parent, minus the median
  wall time of ``python -c pass`` in the same venv (also reported, as a cross-check that
  includes everything the import makes the interpreter do at exit too);
* modules: ``len(sys.modules)`` after the import, and how many the import added.

Airflow gets a throwaway AIRFLOW_HOME initialised once (``airflow db migrate``, which also writes
airflow.cfg) before anything is timed; riir-airflow gets an empty throwaway AIRFLOW_HOME.

    python bench/import_time.py [--repeat N] [--airflow-venv PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl

GOAL_RATIO = 10.0

CHILD = """
import sys, time, json
_n0 = len(sys.modules)
_t0 = time.perf_counter()
{stmt}
_t1 = time.perf_counter()
print(json.dumps({{"import_s": _t1 - _t0, "modules_before": _n0, "modules_after": len(sys.modules)}}))
"""

SIDES = {
    "riir": "from riir_airflow.decorators import dag, task",
    "airflow": "from airflow.sdk import dag, task",
}


def run_child(py: Path, stmt: str, env: dict) -> dict:
    t0 = time.perf_counter()
    res = subprocess.run(
        [str(py), "-c", CHILD.format(stmt=stmt)], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{py} -c '{stmt}' failed (rc={res.returncode}):\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["wall_s"] = wall
    return out


def run_pass(py: Path, env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(py), "-c", "pass"], check=True, env=env)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=20, help="repetitions per side (default 20)")
    ap.add_argument("--airflow-venv", type=Path, default=bl.DEFAULT_AIRFLOW_VENV)
    args = ap.parse_args()

    print(f"machine: {bl.machine_info()}; riir-airflow source: {bl.source_info()}")
    work = Path(tempfile.mkdtemp(prefix="riir-bench-import-"))
    try:
        pys: dict[str, Path] = {"riir": bl.riir_python()}
        envs: dict[str, dict] = {}
        (work / "riir_home").mkdir()
        envs["riir"] = bl.clean_env(AIRFLOW_HOME=str(work / "riir_home"))

        af_py, af_msg = bl.airflow_python(args.airflow_venv)
        if af_py:
            home = work / "airflow_home"
            home.mkdir()
            envs["airflow"] = bl.clean_env(
                AIRFLOW_HOME=str(home),
                AIRFLOW__CORE__LOAD_EXAMPLES="False",
                AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
            )
            print(
                f"Airflow {af_msg}: initialising a throwaway AIRFLOW_HOME (airflow db migrate, not timed)..."
            )
            res = subprocess.run(
                [str(args.airflow_venv / "bin" / "airflow"), "db", "migrate"],
                capture_output=True,
                text=True,
                env=envs["airflow"],
                check=False,
            )
            if res.returncode != 0:
                raise SystemExit(f"airflow db migrate failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
            pys["airflow"] = af_py
        else:
            print(af_msg)
        sides = list(pys)

        # untimed warm-up: compile .pyc files, fill the page cache
        for s in sides:
            run_child(pys[s], SIDES[s], envs[s])
            run_pass(pys[s], envs[s])

        results: dict[str, list[dict]] = {s: [] for s in sides}
        passes: dict[str, list[float]] = {s: [] for s in sides}
        print(f"timing {args.repeat} repetitions per side...")
        for i in range(args.repeat):
            order = sides if i % 2 == 0 else list(reversed(sides))
            for s in order:
                results[s].append(run_child(pys[s], SIDES[s], envs[s]))
                passes[s].append(run_pass(pys[s], envs[s]))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    fig: dict[str, dict] = {}
    for s in sides:
        base = bl.summary(passes[s])["median"]
        fig[s] = {
            "statement": SIDES[s],
            "python": str(pys[s]),
            "import_s": bl.summary([r["import_s"] for r in results[s]]),
            "process_minus_pass_s": bl.summary([r["wall_s"] - base for r in results[s]]),
            "pass_s": bl.summary(passes[s]),
            "modules_after": results[s][-1]["modules_after"],
            "modules_added": results[s][-1]["modules_after"] - results[s][-1]["modules_before"],
        }

    def ms(x):
        return bl.fmt(None if x is None else x * 1000, " ms", 1)

    print()
    rows = []
    for label, key in [
        ("import time (in child, perf_counter)", "import_s"),
        ("process wall - 'python -c pass'", "process_minus_pass_s"),
        ("'python -c pass' (baseline)", "pass_s"),
    ]:
        for s in sides:
            f = fig[s][key]
            rows.append([f"{label} [{s}]", ms(f["median"]), ms(f["min"]), ms(f["max"])])
    bl.print_table(["figure", "median", "min", "max"], rows)
    print()
    bl.print_table(
        ["side", "statement", "sys.modules after", "added by import"],
        [[s, fig[s]["statement"], str(fig[s]["modules_after"]), str(fig[s]["modules_added"])] for s in sides],
    )

    r_import = r_proc = r_mods = None
    if "airflow" in fig:
        r_import = bl.ratio(fig["airflow"]["import_s"]["median"], fig["riir"]["import_s"]["median"])
        r_proc = bl.ratio(
            fig["airflow"]["process_minus_pass_s"]["median"], fig["riir"]["process_minus_pass_s"]["median"]
        )
        r_mods = bl.ratio(fig["airflow"]["modules_added"], fig["riir"]["modules_added"])
        print()
        print(f"Airflow / riir, import time (medians):           {bl.fmt(r_import, 'x', 1)}")
        print(f"Airflow / riir, process wall - pass (medians):   {bl.fmt(r_proc, 'x', 1)}")
        print(f"Airflow / riir, modules added by the import:     {bl.fmt(r_mods, 'x', 1)}")
        verdict = "PASS" if r_import is not None and r_import >= GOAL_RATIO else "FAIL"
        print(f"goal: riir >= {GOAL_RATIO:.0f}x faster (import time): {verdict}")
    else:
        print("\n(no Airflow figures: ratios not computed)")

    bl.emit_json(
        {
            "bench": "import_time",
            "repeat": args.repeat,
            "unit": "s",
            "riir": fig["riir"],
            "airflow": fig.get("airflow"),
            "airflow_over_riir_import": r_import,
            "airflow_over_riir_process": r_proc,
            "airflow_over_riir_modules_added": r_mods,
            "goal_ratio": GOAL_RATIO,
            "pass": None if r_import is None else r_import >= GOAL_RATIO,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
