#!/usr/bin/env python3
"""How many distributions does ``pip install riir-airflow`` (no extras) bring into a DAG's environment?

What it does, per repetition:

1. creates a fresh temporary virtualenv (``PYENV_VERSION=3.12.1 python3.12 -m venv``) and notes
   the distributions the venv starts with (pip, and setuptools/wheel where the Python ships them);
2. ``pip install`` the riir-airflow source tree (default: the repository this script lives in;
   a copy of it, without .git/.venv/build leftovers, so the build writes nothing into the work
   tree), with no extras;
3. lists every installed distribution except the venv's own pip/setuptools/wheel, with its
   version, and reads riir-airflow's installed METADATA (``Requires-Dist``) to find requirements
   that carry an upper bound (``<``, ``<=``, ``==`` , ``~=``, ``===``).

The goal from the issue: at most 10 distributions in total (riir-airflow itself included) and no
upper bound in riir-airflow's requirements. PASS/FAIL is printed as a report, not a test.
For comparison it also counts the distributions of the Airflow venv (``--airflow-venv``), which
holds ``apache-airflow`` with no extras (the providers that come with it are counted).

    python bench/deps_count.py [--repeat N] [--airflow-venv PATH] [--source PATH] [--python python3.12]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl

VENV_OWN = {"pip", "setuptools", "wheel"}
GOAL_MAX_DISTS = 10

# Runs inside the venv being inspected: lists distributions and the upper-bounded requirements.
# Uses pip's vendored ``packaging`` (always present in a venv made with ensurepip).
INSPECT = r"""
import json, sys
from importlib.metadata import distributions
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement

UPPER = ("<", "<=", "==", "~=", "===")

def upper_bounds(reqs):
    out = []
    for raw in reqs or []:
        r = Requirement(raw)
        bad = []
        for s in r.specifier:
            if s.operator in ("<", "<=", "~=", "==="):
                bad.append(str(s))
            elif s.operator == "==":
                bad.append(str(s))  # exact pin (with or without .*) caps the version too
        out.append({"requirement": raw, "name": r.name, "marker": str(r.marker) if r.marker else None,
                    "upper_bounds": bad})
    return out

dists = {}
for d in distributions():
    name = d.metadata["Name"]
    if not name:
        continue
    dists[name] = {"version": d.version, "requires": upper_bounds(d.requires)}
print(json.dumps(dists))
"""


def norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def inspect_venv(py: Path) -> dict:
    res = subprocess.run(
        [str(py), "-c", INSPECT], capture_output=True, text=True, env=bl.clean_env(), check=False
    )
    if res.returncode != 0:
        raise SystemExit(f"inspecting {py} failed:\n{res.stderr[-3000:]}")
    return {norm(k): {"name": k, **v} for k, v in json.loads(res.stdout).items()}


def copy_source(src: Path, dst: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"
    )
    shutil.copytree(src, dst, ignore=ignore)
    return dst


def one_install(source: Path, python: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix="riir-deps-"))
    try:
        venv = work / "venv"
        env = bl.clean_env(PYENV_VERSION=os.environ.get("PYENV_VERSION", "3.12.1"))
        res = subprocess.run(
            [python, "-m", "venv", str(venv)], capture_output=True, text=True, env=env, check=False
        )
        if res.returncode != 0:
            raise SystemExit(f"creating the venv failed ({python} -m venv):\n{res.stderr[-3000:]}")
        py = venv / "bin" / "python"
        before = inspect_venv(py)
        src_copy = copy_source(source, work / "src")
        t0 = time.perf_counter()
        res = subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(src_copy)],
            capture_output=True,
            text=True,
            env=bl.clean_env(),
            check=False,
        )
        install_s = time.perf_counter() - t0
        if res.returncode != 0:
            raise SystemExit(f"pip install {source} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
        after = inspect_venv(py)
        pyver = subprocess.run([str(py), "-V"], capture_output=True, text=True, check=False).stdout.strip()
        return {"before": before, "after": after, "install_s": install_s, "python": pyver}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="fresh venv + install this many times (default 1)")
    ap.add_argument("--airflow-venv", type=Path, default=bl.DEFAULT_AIRFLOW_VENV)
    ap.add_argument("--source", type=Path, default=bl.REPO_ROOT, help="riir-airflow source tree to install")
    ap.add_argument("--python", default="python3.12", help="interpreter that creates the venv")
    args = ap.parse_args()

    print(f"machine: {bl.machine_info()}; riir-airflow source: {bl.source_info()}")
    print(f"installing {args.source} (no extras) into a fresh {args.python} venv, {args.repeat} time(s)\n")

    runs = [one_install(args.source, args.python) for _ in range(max(1, args.repeat))]
    last = runs[-1]
    base = {k for k, v in last["before"].items() if k in VENV_OWN}
    installed = {k: v for k, v in last["after"].items() if k not in VENV_OWN}
    # a venv-own distribution that riir-airflow's tree needs at run time would be missing from the
    # count: say so if one of the installed distributions requires it
    needed_own = sorted(
        {
            r["name"]
            for v in installed.values()
            for r in v["requires"]
            if norm(r["name"]) in VENV_OWN and not r["marker"]
        }
    )
    counts = [len({k for k in r["after"] if k not in VENV_OWN}) for r in runs]
    if len(set(counts)) != 1:
        print(f"WARNING: the count differed between repetitions: {counts}")

    riir = installed.get("riir-airflow")
    if riir is None:
        raise SystemExit("riir-airflow is not among the installed distributions: is --source right?")
    riir_reqs = [r for r in riir["requires"] if not (r["marker"] and "extra" in r["marker"])]
    riir_upper = [r for r in riir_reqs if r["upper_bounds"]]

    # which of riir-airflow's direct requirements pulled each distribution in
    direct = {norm(r["name"]) for r in riir_reqs}
    rows = []
    for key in sorted(installed):
        d = installed[key]
        ub = [
            f"{r['name']}{','.join(r['upper_bounds'])}"
            for r in d["requires"]
            if r["upper_bounds"] and not (r["marker"] and "extra" in r["marker"])
        ]
        role = "itself" if key == "riir-airflow" else ("direct" if key in direct else "transitive")
        rows.append([d["name"], d["version"], role, "; ".join(ub) or "-"])
    print(
        f"venv python: {last['python']}; the venv itself came with: "
        f"{', '.join(sorted(last['before'][k]['name'] + ' ' + last['before'][k]['version'] for k in base))} (not counted)"
    )
    print()
    bl.print_table(["distribution", "version", "why", "its own upper-bounded requirements"], rows)
    print()
    print("riir-airflow's Requires-Dist (no extras):")
    for r in riir_reqs:
        flag = f"   <-- UPPER BOUND {r['upper_bounds']}" if r["upper_bounds"] else ""
        print(f"  {r['requirement']}{flag}")
    if needed_own:
        print(f"NOTE: installed distributions require {needed_own}, which the venv already had (not counted)")

    n = len(installed)
    install_times = bl.summary([r["install_s"] for r in runs])

    af_py, af_msg = bl.airflow_python(args.airflow_venv)
    af_count = None
    if af_py:
        af = inspect_venv(af_py)
        af_count = len({k for k in af if k not in VENV_OWN})
        print(
            f"\nfor comparison: the Airflow venv {args.airflow_venv} (apache-airflow {af_msg}, no extras) "
            f"holds {af_count} distributions (pip/setuptools/wheel not counted)"
        )
    else:
        print(f"\n{af_msg}")

    ok_count = n <= GOAL_MAX_DISTS
    ok_upper = not riir_upper
    print()
    bl.print_table(
        ["figure", "value", "goal", "verdict"],
        [
            [
                "distributions installed (riir-airflow included)",
                str(n),
                f"<= {GOAL_MAX_DISTS}",
                "PASS" if ok_count else "FAIL",
            ],
            [
                "riir-airflow requirements with an upper bound",
                str(len(riir_upper)),
                "0",
                "PASS" if ok_upper else "FAIL",
            ],
            ["Airflow venv distributions (comparison)", "-" if af_count is None else str(af_count), "", ""],
            ["Airflow / riir distribution count", bl.fmt(bl.ratio(af_count, n), "x", 1), "", ""],
            [
                f"pip install wall time, median of {install_times['n']} (info)",
                bl.fmt(install_times["median"], " s", 1),
                "",
                "",
            ],
        ],
    )
    print(
        f"\nOVERALL: {'PASS' if ok_count and ok_upper else 'FAIL'} "
        f"(goal: <= {GOAL_MAX_DISTS} distributions, no upper bounds)"
    )
    bl.emit_json(
        {
            "bench": "deps_count",
            "distributions": n,
            "names": {installed[k]["name"]: installed[k]["version"] for k in sorted(installed)},
            "riir_upper_bounded_requirements": [r["requirement"] for r in riir_upper],
            "goal_max_distributions": GOAL_MAX_DISTS,
            "pass_count": ok_count,
            "pass_no_upper_bounds": ok_upper,
            "airflow_venv_distributions": af_count,
            "airflow_over_riir": bl.ratio(af_count, n),
            "pip_install_s": install_times,
            "repeat": len(runs),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
