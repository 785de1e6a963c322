"""Small helpers shared by the bench/ scripts (stdlib only, Linux only).

Each script in bench/ puts its own folder first on sys.path, so ``import _benchlib`` works when
the script is run as ``python bench/NAME.py`` from anywhere.
"""

from __future__ import annotations

import contextlib
import functools
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


@functools.cache
def machine_info() -> dict:
    """The machine, as seen the first time this is called (the scripts call it when they start)."""
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


@functools.cache
def source_info() -> dict:
    """Which riir-airflow was measured: the repo's HEAD and whether src/ had local edits.

    Cached: the first call (when a script starts) is what the JSON line reports.
    """
    return _source_now()


def _source_now() -> dict:

    def git(*a: str) -> str:
        r = subprocess.run(["git", "-C", str(REPO_ROOT), *a], capture_output=True, text=True, check=False)
        return r.stdout.strip() if r.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "src", "pyproject.toml"))
    return {"commit": head or None, "src_modified": dirty}


def emit_json(obj: dict) -> None:
    """The one machine-readable line every bench script ends with (plus machine and source info)."""
    obj = {**obj, "machine": machine_info(), "riir_source": source_info()}
    end = _source_now()
    if end != obj["riir_source"]:
        obj["riir_source_at_end"] = end  # the work tree changed while the benchmark ran
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


def process_tree(pid: int) -> list[tuple[int, int | None]]:
    """(pid, parent pid) of ``pid`` and all its descendants (the root's parent is None)."""
    seen: dict[int, int | None] = {}
    stack: list[tuple[int, int | None]] = [(pid, None)]
    while stack:
        p, parent = stack.pop()
        if p in seen:
            continue
        seen[p] = parent
        stack.extend((c, p) for c in _children(p))
    return list(seen.items())


_KCMP_VM = 1
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(os.uname().machine)
_libc = None


def shares_memory(pid1: int, pid2: int) -> bool:
    """True if two processes share one address space (a vfork()ed child before its exec).

    Such a child's smaps_rollup reports the parent's whole memory again: summing both would
    count it twice. Uses kcmp(2) (KCMP_VM); if that is unavailable, compares /proc/PID/maps.
    """
    global _libc
    if _SYS_KCMP is not None:
        try:
            if _libc is None:
                import ctypes

                _libc = ctypes.CDLL(None, use_errno=True)
            r = _libc.syscall(_SYS_KCMP, pid1, pid2, _KCMP_VM, 0, 0)
            if r >= 0:
                return r == 0
        except OSError:
            pass
    try:
        with open(f"/proc/{pid1}/maps") as a, open(f"/proc/{pid2}/maps") as b:
            return a.read() == b.read()
    except OSError:
        return False


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


def tree_pss_kib(pid: int) -> tuple[int, int]:
    """(summed PSS in KiB, number of address spaces counted) of the process tree under ``pid``.

    PSS already splits pages shared between processes (fork, shared libraries), so the sum over
    the tree does not double-count them; a vfork()ed child that shares its parent's address
    space is skipped (see shares_memory).
    """
    total = 0
    counted = 0
    for p, parent in process_tree(pid):
        if parent is not None and shares_memory(parent, p):
            continue
        v = pss_kib(p)
        if v:
            total += v
            counted += 1
    return total, counted


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
            v, n = tree_pss_kib(self.pid)
            if v:
                self.max_procs = max(self.max_procs, n)
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


def print_wall_and_memory_ratios(fig: dict) -> tuple[float | None, float | None]:
    """Print Airflow / riir for the median wall time and peak PSS; (None, None) without Airflow.

    `fig[side]` holds `summary()` dicts under "wall_s" and "peak_pss_mib"."""
    if "airflow" not in fig:
        return None, None
    r_wall = ratio(fig["airflow"]["wall_s"]["median"], fig["riir"]["wall_s"]["median"])
    r_mem = ratio(fig["airflow"]["peak_pss_mib"]["median"], fig["riir"]["peak_pss_mib"]["median"])
    print()
    print(f"Airflow / riir, wall time (medians):  {fmt(r_wall, 'x', 1)}")
    print(f"Airflow / riir, peak PSS (medians):   {fmt(r_mem, 'x', 1)}")
    return r_wall, r_mem


# ----------------------------------------------------------------------------- long-running systems


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the caller binds it soon after)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(
    method: str,
    url: str,
    body: object = None,
    *,
    token: str | None = None,
    timeout: float = 10,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, object]:
    """One HTTP request with a JSON (or ``raw``) body: (status, decoded JSON or text). Never raises
    on HTTP errors; a connection failure is status 0 with the error text."""
    import urllib.error
    import urllib.request

    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, text = resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode(errors="replace")
    except (OSError, ValueError) as e:  # refused, reset, timeout
        return 0, str(e)
    try:
        return status, json.loads(text) if text else None
    except json.JSONDecodeError:
        return status, text


def _start_ticks(pid: int) -> int | None:
    """When ``pid`` started (field 22 of /proc/PID/stat): tells a process from a later one that reuses its pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def stop_process_group(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the process group ``proc`` leads (started with ``start_new_session=True``), wait up
    to ``grace`` seconds, then SIGKILL whatever of the group is left, and any descendant of
    ``proc`` seen before the SIGTERM that still lives (children in sessions of their own)."""
    import signal

    before = [(p, _start_ticks(p)) for p, parent in process_tree(proc.pid) if parent is not None]
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = None
    if pgid is not None and pgid == proc.pid:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    elif proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    if pgid is not None and pgid == proc.pid:
        deadline = time.monotonic() + 2
        while True:  # children may outlive the leader: kill the rest of the group
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for p, ticks in before:
        if ticks is not None and _start_ticks(p) == ticks:  # the same process, not a reused pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p, signal.SIGKILL)


class PssTimeline:
    """Samples from a thread, every ``interval`` s (longer when one sample takes long), the summed
    tree PSS of named groups of processes.

    ``groups`` maps a name to a callable returning the root pids of that group now (called at each
    sample; it may cache). Each sample keeps (time.time(), {group: KiB}, {group: address spaces});
    a pid reached from two roots is counted once. ``peak(groups, since, until)`` gives the largest
    summed PSS of those groups among the samples taken in [since, until].
    """

    def __init__(self, groups: dict, interval: float = 0.1):
        self.groups = groups
        self.interval = interval
        self.samples: list[tuple[float, dict[str, int], dict[str, int]]] = []
        self.busy_s = 0.0  # time spent sampling
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        seen: set[int] = set()
        kib: dict[str, int] = {}
        procs: dict[str, int] = {}
        for name, roots in self.groups.items():
            total = counted = 0
            for root in roots():
                for p, parent in process_tree(root):
                    if p in seen:
                        continue
                    seen.add(p)
                    if parent is not None and shares_memory(parent, p):
                        continue
                    v = pss_kib(p)
                    if v:
                        total += v
                        counted += 1
            kib[name], procs[name] = total, counted
        self.samples.append((time.time(), kib, procs))

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.perf_counter()
            with contextlib.suppress(Exception):  # a sampler must not die on a vanished process
                self.sample()
            took = time.perf_counter() - t
            self.busy_s += took
            # reading smaps_rollup of dozens of large processes costs CPU: never more than a third
            # of one core, so that a big system is not slowed down by being measured
            self._stop.wait(max(self.interval, 2 * took))

    def peak(self, groups: list[str] | None = None, since: float = 0.0, until: float = float("inf")) -> dict:
        """{"kib", "procs", "samples"}: the largest sum over ``groups`` (default all) in the window."""
        names = groups or list(self.groups)
        best = (0, 0)
        n = 0
        for t, kib, procs in list(self.samples):
            if since <= t <= until:
                n += 1
                best = max(best, (sum(kib.get(g, 0) for g in names), sum(procs.get(g, 0) for g in names)))
        return {"kib": best[0], "procs": best[1], "samples": n}

    def start(self) -> "PssTimeline":  # noqa: UP037
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
