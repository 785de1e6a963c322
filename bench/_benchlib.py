"""Small helpers shared by the bench/ scripts (stdlib only, Linux only).

Each script in bench/ puts its own folder first on sys.path, so ``import _benchlib`` works when
the script is run as ``python bench/NAME.py`` from anywhere.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
DEFAULT_AIRFLOW_VENV = Path(os.environ.get("RIIR_AIRFLOW_VENV", "/work/airflow-venv"))


# ----------------------------------------------------------------------------- environments


def riir_python() -> Path:
    """The interpreter that has riir-airflow: the repo's .venv, else the one running this script."""
    cand = REPO_ROOT / ".venv" / "bin" / "python"
    return cand if cand.exists() else Path(sys.executable)


def airflow_python(venv: Path) -> tuple[Path | None, str]:
    """(python of the Airflow venv, its apache-airflow version) or (None, why not)."""
    py = venv / "bin" / "python"
    if not py.exists():
        return None, (
            f"no Airflow virtualenv at {venv} (create it with scripts/airflow-venv.sh, or pass "
            f"--airflow-venv PATH): Airflow-side figures and ratios are skipped"
        )
    res = subprocess.run(
        [str(py), "-c", "from importlib.metadata import version; print(version('apache-airflow'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        return None, f"{py} has no apache-airflow installed: Airflow-side figures and ratios are skipped"
    return py, res.stdout.strip()


def clean_env(**extra: str) -> dict:
    """os.environ without AIRFLOW_* / RIIR_* / VIRTUAL_ENV / PYTHON* settings, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW_", "AIRFLOW__", "RIIR_", "PYTHON")) and k != "VIRTUAL_ENV"
    }
    env.update(extra)
    return env


# ----------------------------------------------------------------------------- statistics


def summary(values: list[float]) -> dict:
    vals = [v for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {
        "median": statistics.median(vals),
        "min": min(vals),
        "max": max(vals),
        "n": len(vals),
    }


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt(v: float | None, unit: str = "", digits: int = 3) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}f}{unit}"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))

    def numeric(c: str) -> bool:
        return bool(re.match(r"^[-+]?[\d.]+", c)) or c == "-"

    for r in rows:
        print(
            "  ".join(
                str(c).rjust(w) if i and numeric(str(c)) else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(r, widths))
            )
        )


def machine_info() -> dict:
    model = ""
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        m = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        mem_kb = int(m.group(1)) if m else 0
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "mem_gib": round(mem_kb / 1024 / 1024, 1),
        "loadavg_1m_at_start": load,
    }


def source_info() -> dict:
    """Which riir-airflow was measured: the repo's HEAD and whether the work tree had local edits."""

    def git(*a: str) -> str:
        r = subprocess.run(["git", "-C", str(REPO_ROOT), *a], capture_output=True, text=True, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "src", "pyproject.toml"))
    return {"commit": head or None, "src_modified": dirty}


def emit_json(obj: dict) -> None:
    """The one machine-readable line every bench script ends with (plus machine and source info)."""
    obj = {**obj, "machine": machine_info(), "riir_source": source_info()}
    print(json.dumps(obj, sort_keys=False, default=str), flush=True)


# ----------------------------------------------------------------------------- memory (PSS)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


def process_tree(pid: int) -> list[int]:
    seen: list[int] = []
    stack = [pid]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.append(p)
        stack.extend(_children(p))
    return seen


def pss_kib(pid: int) -> int:
    """PSS of one process in KiB (0 if it is gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for ln in f:
                if ln.startswith("Pss:"):
                    return int(ln.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_kib(pid: int) -> int:
    return sum(pss_kib(p) for p in process_tree(pid))


class PssSampler:
    """Samples the PSS of a process tree every ``interval`` seconds from a thread; keeps the max."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self.samples = 0
        self.max_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = process_tree(self.pid)
            v = sum(pss_kib(p) for p in pids)
            if v:
                self.max_procs = max(self.max_procs, len(pids))
                self.samples += 1
                self.peak_kib = max(self.peak_kib, v)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PssSampler":  # noqa: UP037, PYI034
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_timed(
    cmd: list[str],
    *,
    env: dict,
    cwd: str | Path | None = None,
    sample_memory: bool = False,
    timeout: float = 1800,
) -> dict:
    """Run ``cmd``; wall time from just before spawn to exit; optional peak tree PSS (KiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PssSampler(proc.pid) if sample_memory else None
    if sampler:
        sampler.__enter__()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    finally:
        # the sampler needs the process alive; communicate() has reaped it, so stop sampling now
        if sampler:
            sampler.__exit__(None, None, None)
    wall = time.perf_counter() - t0
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "stdout": stdout,
        "stderr": stderr,
        "peak_pss_kib": sampler.peak_kib if sampler else None,
        "pss_samples": sampler.samples if sampler else None,
        "max_procs": sampler.max_procs if sampler else None,
    }
