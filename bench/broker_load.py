#!/usr/bin/env python3
"""Load test of the broker on PostgreSQL: 200 simulated DAG apps sending task-instance state updates.

Bounded and loopback only. Per repetition:

1. a fresh schema ``riir_bench_<random>`` on the PostgreSQL server at ``RIIR_TEST_POSTGRES_URL``
   (default ``postgresql://postgres@127.0.0.1:5432/test``), migrated by ``riir-airflow db
   migrate`` (dropped at the end of the repetition, also on errors and Ctrl-C);
2. ``--apps`` app tokens (default 200), each scoped to its own dag_id ``bench_dag_NNN``, created
   in this process with ``MetastoreRegistry.create_app_token`` (what ``riir-airflow apps token
   create`` calls; 200 CLI processes would only add a minute of start-up);
3. a real ``riir-airflow broker`` process on 127.0.0.1 on a free port, default settings
   (rate limits on, 10 s token cache, database pool of 5 + 10 connections, anyio's 40 worker
   threads), with ``--broker-workers`` worker processes (default 1: one process);
4. the load generator: ``--procs`` worker processes (default 2), each running ``apps/procs``
   threads, one thread per simulated app with its own ``BrokerStore`` (stdlib http, one
   keep-alive connection). Each app registers (one DAG of 50 tasks), takes its DAG's lease,
   creates a run, then until the end of the repetition: sends ``put_task_instances`` with
   ``--batch`` task instances per request (the runtime's `DagRunner` sends the instances a
   scheduling decision changed in one call, the same shape), heartbeats every
   ``heartbeat_interval`` seconds (5, as the broker tells it) and renews the lease every
   ``lease_ttl / 3`` seconds. The instances walk ``scheduled -> queued -> running -> success``
   (try 1), so each update changes a row and its try-history row.
5. Pacing: open loop. Each app sends its updates at ``--rate / apps`` updates/s (default: 2,000
   updates/s in total, the issue's target: with 10 per request, one request per app per second),
   starting at a random phase; a request that is due while the previous one has not returned is
   sent right after it (no requests are dropped; ``late`` counts those sent more than one
   interval behind schedule). ``--rate 0`` is a closed loop (each app sends back to back): the
   saturation throughput.

Measured over ``--duration`` seconds after ``--warmup`` seconds (requests *sent* in that window
count): state updates/s and requests/s that completed without error, latency per
``put_task_instances`` request (send to answer, seen by the app: p50/p95/p99/max), heartbeat and
lease-renewal latency, errors (any exception or non-2xx), the broker's RSS and PSS summed over
its processes (sampled every 0.5 s: max over the repetition, and at the end of the window; RSS
double-counts what worker processes share, PSS does not), and CPU seconds per second of the
window (cores used) for the broker's processes, the load generator processes, all ``postgres``
processes on the machine (from /proc; that includes other sessions' databases, if any are
busy) and everything else on the machine ("others": other sessions' work, from /proc/stat), with
the 1-minute load average at the start and end of the window. The machine is shared: "others"
and the load average say how much of the 2 cores the benchmark actually had.

Variants (``--variants``, default ``batch,single,saturate``): ``batch`` = the main variant,
``--batch`` (10) TIs per request, repeated ``--repeat`` times (default 3, median reported);
``single`` = one TI per request at the same offered update rate (10x the requests), run once;
``saturate`` = ``batch`` as a closed loop, run once.

``--profile`` runs the broker under cProfile for one extra ``batch`` repetition (Python 3.12's
cProfile sees every thread) and prints its top functions by own time; the profiled repetition's
figures are not in the results.

Output: tables, then one JSON line (``_benchlib.emit_json``). Run: ``.venv/bin/python
bench/broker_load.py``. No timed assertions anywhere: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TASKS_PER_DAG = 50
STATES = ("scheduled", "queued", "running", "success")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ----------------------------------------------------------------------------- worker (load generator)


def _percentile(sorted_vals: list[float], q: float) -> float | None:
    if not sorted_vals:
        return None
    idx = min(len(sorted_vals) - 1, max(0, round(q / 100 * (len(sorted_vals) - 1))))
    return sorted_vals[idx]


def worker_main() -> int:
    """One load-generator process: reads its config (JSON line) on stdin, sets up its apps,
    prints ``ready``, reads the start times (JSON line), runs, prints its results (JSON line)."""
    import pendulum

    from riir_airflow.sdk.state import DagRunState, TaskInstanceState
    from riir_airflow.store.broker_client import BrokerStore
    from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
    from riir_airflow.wire.messages import SerializedDag, SerializedTask

    cfg = json.loads(sys.stdin.readline())
    url, apps, batch, per_app_rate = cfg["url"], cfg["apps"], cfg["batch"], cfg["per_app_rate"]
    task_ids = [f"task_{n:02d}" for n in range(TASKS_PER_DAG)]
    lock = threading.Lock()
    results: dict[str, list] = {
        "put": [],
        "heartbeat": [],
        "lease": [],
        "errors": [],
        "late": [0],
        "sent": [0],
    }
    ready = threading.Barrier(len(apps) + 1)
    times: dict[str, float] = {}
    go = threading.Event()

    def app_thread(dag_id: str, token: str) -> None:
        store = BrokerStore(url, token, timeout=30.0, retries=0)
        local: dict[str, list] = {"put": [], "heartbeat": [], "lease": [], "errors": []}
        try:
            tasks = [SerializedTask(tid, operator="PythonOperator") for tid in task_ids]
            reg = store.register(
                [SerializedDag(dag_id, f"/dags/{dag_id}.py", tasks=tasks)], code_hash="bench"
            )
            grant = store.acquire_lease(dag_id)
            assert grant.held, grant
            now = pendulum.now("UTC")
            run_id = f"manual__bench_{secrets.token_hex(4)}"
            store.create_dag_run(DagRunRecord(dag_id, run_id, "manual", DagRunState.RUNNING, run_after=now,
                                              logical_date=now, start_date=now))  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            with lock:
                results["errors"].append(f"setup {dag_id}: {type(exc).__name__}: {exc}"[:300])
            ready.wait()
            return
        ready.wait()
        go.wait()
        hb_every, lease_every = reg.heartbeat_interval, reg.lease_ttl / 3
        start, m0, m1 = times["start"], times["m0"], times["m1"]
        interval = batch / per_app_rate if per_app_rate > 0 else 0.0
        rnd = random.Random(dag_id)
        next_put = start + rnd.random() * (interval or 0.1)
        next_hb = start + rnd.random() * hb_every
        next_lease = start + rnd.random() * lease_every
        step = 0
        sent = late = 0
        while True:
            now_t = time.time()
            if now_t >= m1:
                break
            if now_t >= next_hb:
                kind, fn = "heartbeat", store.heartbeat
                next_hb += hb_every
            elif now_t >= next_lease:
                kind, fn = "lease", lambda: store.acquire_lease(dag_id)
                next_lease += lease_every
            elif now_t >= next_put or interval == 0.0:
                if interval and now_t - next_put > interval and m0 <= now_t:
                    late += 1
                next_put += interval
                ti_now = pendulum.now("UTC")
                records = []
                for _ in range(batch):
                    tid = task_ids[step % TASKS_PER_DAG]
                    state = STATES[(step // TASKS_PER_DAG) % len(STATES)]
                    records.append(TaskInstanceRecord(dag_id, run_id, tid, state=TaskInstanceState(state),
                                                      try_number=1, start_date=ti_now, operator="PythonOperator",
                                                      hostname="bench"))  # fmt: skip
                    step += 1
                kind = "put"

                def fn(records: list = records) -> None:
                    store.put_task_instances(records)
            else:
                time.sleep(max(0.0, min(next_put, next_hb, next_lease, m1) - now_t))
                continue
            t0 = time.perf_counter()
            sent_at = time.time()
            try:
                fn()
                ok = True
            except Exception as exc:  # noqa: BLE001
                ok = False
                err = f"{kind}: {type(exc).__name__}: {exc}"[:300]
            dt = (time.perf_counter() - t0) * 1000.0
            if m0 <= sent_at < m1:
                if kind == "put":
                    sent += 1
                if ok:
                    local[kind].append(dt)
                else:
                    local["errors"].append(err)
        store.close()
        with lock:
            for k in ("put", "heartbeat", "lease", "errors"):
                results[k].extend(local[k])
            results["late"][0] += late
            results["sent"][0] += sent

    threads = [threading.Thread(target=app_thread, args=(d, tok), daemon=True) for d, tok in apps]
    for th in threads:
        th.start()
    ready.wait()
    print("ready", flush=True)
    times.update(json.loads(sys.stdin.readline()))
    ru0 = os.times()
    go.set()
    for th in threads:
        th.join(timeout=times["m1"] - time.time() + 60)
    ru1 = os.times()
    out = {
        "put_ms": results["put"],
        "heartbeat_ms": results["heartbeat"],
        "lease_ms": results["lease"],
        "errors": results["errors"],
        "late": results["late"][0],
        "sent": results["sent"][0],
        "cpu_s": (ru1.user - ru0.user) + (ru1.system - ru0.system),
    }
    print(json.dumps(out), flush=True)
    return 0


# ----------------------------------------------------------------------------- parent helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


def cpu_ticks(pid: int, children: bool = False) -> int:
    """utime + stime of a process (plus its reaped children's with ``children``), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = int(fields[11]) + int(fields[12])
        return own + (int(fields[13]) + int(fields[14]) if children else 0)
    except (OSError, IndexError, ValueError):
        return 0


def total_ticks() -> int:
    """Busy CPU ticks of the whole machine (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def _healthy(url: str) -> bool:
    import urllib.request

    with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as response:
        return response.status == 200


def postgres_ticks() -> int:
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == "postgres":
                    total += cpu_ticks(int(entry), children=True)  # backends that exited count too
            except OSError:
                pass
    return total


def rss_kib(pid: int) -> int:
    try:
        for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pids(pid: int) -> list[int]:
    """The broker and its worker processes (``--broker-workers`` > 1)."""
    return [p for p, _ in bl.process_tree(pid)]


def tree_rss_pss_kib(pid: int) -> tuple[int, int, int]:
    """(summed RSS, summed PSS, process count) of the broker's process tree. RSS double-counts
    what the processes share; PSS does not (DESIGN.md: memory is PSS summed over processes)."""
    pids = tree_pids(pid)
    return sum(rss_kib(p) for p in pids), bl.tree_pss_kib(pid)[0], len(pids)


def tree_cpu_ticks(pid: int) -> int:
    return sum(cpu_ticks(p) for p in tree_pids(pid))


class MemSampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.max_rss = self.max_pss = self.procs = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            rss, pss, n = tree_rss_pss_kib(self.pid)
            self.max_rss, self.max_pss = max(self.max_rss, rss), max(self.max_pss, pss)
            self.procs = max(self.procs, n)
            self.stop.wait(self.interval)


@contextlib.contextmanager
def pg_schema(base_url: str):
    import sqlalchemy as sa

    from riir_airflow.metastore.engine import create_engine

    admin = create_engine(base_url, poolclass=sa.NullPool)
    schema = f"riir_bench_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield schema, with_search_path(base_url, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def riir_cli() -> list[str]:
    return [str(Path(bl.riir_python()).parent / "riir-airflow")]


def make_tokens(url: str, n: int) -> list[tuple[str, str]]:
    import pendulum

    from riir_airflow.metastore.database import Database
    from riir_airflow.metastore.engine import create_engine
    from riir_airflow.metastore.registry import MetastoreRegistry

    engine = create_engine(url)
    try:
        registry = MetastoreRegistry(Database(engine))
        now = pendulum.now("UTC")
        out = []
        for i in range(n):
            dag_id = f"bench_dag_{i:03d}"
            out.append((dag_id, registry.create_app_token([dag_id], now, "broker_load bench")[1]))
        return out
    finally:
        engine.dispose()


PROFILE_WRAPPER = """
import cProfile, signal, sys
from riir_airflow.cli import main
# uvicorn re-raises the SIGTERM it caught once it has shut down: make that an exit, so `finally` runs
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
p = cProfile.Profile()
p.enable()
try:
    main(['broker', '--host', '127.0.0.1', '--port', sys.argv[1], '--log-level', 'WARNING'])
finally:
    p.disable()
    p.dump_stats(sys.argv[2])
"""


def run_once(args: argparse.Namespace, variant: str, workdir: Path, profile_out: Path | None = None) -> dict:
    batch = 1 if variant == "single" else args.batch
    rate = 0.0 if variant == "saturate" else args.rate
    base = os.environ.get("RIIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    with pg_schema(base) as (_schema, url):
        home = Path(tempfile.mkdtemp(prefix="riir_bench_home_", dir=workdir))
        env = bl.clean_env(
            AIRFLOW_HOME=str(home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=url,
            AIRFLOW__API_AUTH__JWT_SECRET="bench-" + secrets.token_hex(32),
        )
        mig = subprocess.run(
            [*riir_cli(), "db", "migrate"], check=False, env=env, capture_output=True, text=True
        )
        if mig.returncode != 0:
            raise RuntimeError(f"db migrate failed: {mig.stderr}")
        tokens = make_tokens(url, args.apps)
        port = free_port()
        log_path = home / "broker.log"
        if profile_out is not None:
            cmd = [str(bl.riir_python()), "-c", PROFILE_WRAPPER, str(port), str(profile_out)]
        else:
            cmd = [*riir_cli(), "broker", "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARNING",
                   "--workers", str(args.broker_workers)]  # fmt: skip
        with open(log_path, "w") as log_f:
            broker = subprocess.Popen(cmd, env=env, stdout=log_f, stderr=subprocess.STDOUT)
        workers: list[subprocess.Popen] = []
        try:
            broker_url = f"http://127.0.0.1:{port}"
            deadline = time.time() + 60
            while True:  # every worker answers once the port does and a few requests got through
                try:
                    ok = sum(_healthy(broker_url) for _ in range(2 * args.broker_workers + 2))
                except OSError:
                    ok = 0
                if ok == 2 * args.broker_workers + 2:
                    break
                if broker.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"broker did not start: {log_path.read_text()[-2000:]}") from None
                time.sleep(0.2)
            mem = MemSampler(broker.pid)
            mem.start()
            per_app_rate = rate / args.apps if rate > 0 else 0.0
            t_setup = time.time()
            for w in range(args.procs):
                w_env = bl.clean_env()
                p = subprocess.Popen([str(bl.riir_python()), __file__, "--worker"], env=w_env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)  # fmt: skip
                assert p.stdin is not None
                p.stdin.write(json.dumps({"url": broker_url, "apps": tokens[w :: args.procs], "batch": batch,
                                          "per_app_rate": per_app_rate}) + "\n")  # fmt: skip
                p.stdin.flush()
                workers.append(p)
            for p in workers:
                line = p.stdout.readline().strip()  # type: ignore[union-attr]
                if line != "ready":
                    raise RuntimeError(f"worker not ready: {line!r}")
            setup_s = time.time() - t_setup
            start = time.time() + 0.5
            times = {"start": start, "m0": start + args.warmup, "m1": start + args.warmup + args.duration}
            for p in workers:
                p.stdin.write(json.dumps(times) + "\n")  # type: ignore[union-attr]
                p.stdin.flush()  # type: ignore[union-attr]
            time.sleep(max(0.0, times["m0"] - time.time()))
            load0 = os.getloadavg()[0]
            c0 = (
                tree_cpu_ticks(broker.pid),
                sum(cpu_ticks(p.pid) for p in workers),
                postgres_ticks(),
                total_ticks(),
            )
            time.sleep(max(0.0, times["m1"] - time.time()))
            c1 = (
                tree_cpu_ticks(broker.pid),
                sum(cpu_ticks(p.pid) for p in workers),
                postgres_ticks(),
                total_ticks(),
            )
            load1 = os.getloadavg()[0]
            rss_end, pss_end, _n = tree_rss_pss_kib(broker.pid)
            outs = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in workers]
            mem.stop.set()
            mem.join()
        finally:
            for p in workers:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            broker.send_signal(signal.SIGTERM)
            try:
                broker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait()
    put = sorted(x for o in outs for x in o["put_ms"])
    hb = sorted(x for o in outs for x in o["heartbeat_ms"] + o["lease_ms"])
    errors = [e for o in outs for e in o["errors"]]
    dur = args.duration
    cpu = [(b - a) / CLK_TCK / dur for a, b in zip(c0, c1, strict=True)]
    return {
        "variant": variant,
        "batch": batch,
        "offered_updates_per_s": rate or None,
        "updates_per_s": len(put) * batch / dur,
        "requests_per_s": len(put) / dur,
        "all_requests_per_s": (len(put) + len(hb)) / dur,
        "put_p50_ms": _percentile(put, 50),
        "put_p95_ms": _percentile(put, 95),
        "put_p99_ms": _percentile(put, 99),
        "put_max_ms": put[-1] if put else None,
        "hb_lease_p50_ms": _percentile(hb, 50),
        "hb_lease_p99_ms": _percentile(hb, 99),
        "hb_lease_requests": len(hb),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "late_sends": sum(o["late"] for o in outs),
        "broker_rss_max_mib": mem.max_rss / 1024,
        "broker_pss_max_mib": mem.max_pss / 1024,
        "broker_rss_end_mib": rss_end / 1024,
        "broker_pss_end_mib": pss_end / 1024,
        "cpu_broker": cpu[0],
        "cpu_loadgen": cpu[1],
        "cpu_loadgen_self": sum(o["cpu_s"] for o in outs) / (dur + args.warmup),
        "cpu_postgres": cpu[2],
        "cpu_machine": cpu[3],
        "cpu_others": max(0.0, cpu[3] - cpu[0] - cpu[1] - cpu[2]),
        "loadavg_1m_start_end": [load0, load1],
        "broker_processes": mem.procs,
        "broker_workers": args.broker_workers,
        "setup_s": setup_s,
    }


def show(results: list[dict]) -> None:
    headers = ["variant", "upd/s", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "hb p99", "errors", "late",
               "RSS max/end MiB", "PSS max/end MiB", "CPU broker/gen/pg/others", "load 1m"]  # fmt: skip
    rows = []
    for r in results:
        rows.append([
            f"{r['variant']} (x{r['batch']})", bl.fmt(r["updates_per_s"], "", 0), bl.fmt(r["requests_per_s"], "", 0),
            bl.fmt(r["put_p50_ms"], "", 1), bl.fmt(r["put_p95_ms"], "", 1), bl.fmt(r["put_p99_ms"], "", 1),
            bl.fmt(r["put_max_ms"], "", 0), bl.fmt(r["hb_lease_p99_ms"], "", 1), str(r["errors"]), str(r["late_sends"]),
            f"{r['broker_rss_max_mib']:.0f}/{r['broker_rss_end_mib']:.0f}",
            f"{r['broker_pss_max_mib']:.0f}/{r['broker_pss_end_mib']:.0f}",
            f"{r['cpu_broker']:.2f}/{r['cpu_loadgen']:.2f}/{r['cpu_postgres']:.2f}/{r['cpu_others']:.2f}",
            "{:.1f}-{:.1f}".format(*r["loadavg_1m_start_end"]),
        ])  # fmt: skip
    bl.print_table(headers, rows)


def main() -> int:
    if "--worker" in sys.argv:
        return worker_main()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--apps", type=int, default=200)
    ap.add_argument("--procs", type=int, default=2, help="load generator processes (apps split among them)")
    ap.add_argument("--batch", type=int, default=10, help="task instances per request (main variant)")
    ap.add_argument(
        "--rate", type=float, default=2000.0, help="offered state updates/s in total (0: closed loop)"
    )
    ap.add_argument("--duration", type=float, default=30.0, help="measured seconds per repetition")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds of load before measuring")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of the main (batch) variant")
    ap.add_argument("--variants", default="batch,single,saturate")
    ap.add_argument(
        "--profile", action="store_true", help="one extra batch repetition with the broker under cProfile"
    )
    ap.add_argument("--profile-top", type=int, default=25)
    ap.add_argument("--broker-workers", type=int, default=1, help="riir-airflow broker --workers N")
    args = ap.parse_args()
    bl.machine_info()
    bl.source_info()
    print(f"broker_load: {args.apps} apps in {args.procs} load-generator processes, {args.duration:.0f} s measured "
          f"after {args.warmup:.0f} s warm-up, offered {args.rate:.0f} updates/s (batch variant)", flush=True)  # fmt: skip
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    plan = [v for v in variants for _ in range(args.repeat if v == "batch" else 1)]
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="riir_broker_load_") as tmp:
        for i, variant in enumerate(plan, 1):
            r = run_once(args, variant, Path(tmp))
            results.append(r)
            print(f"[{i}/{len(plan)}] {variant}: {r['updates_per_s']:.0f} updates/s, {r['requests_per_s']:.0f} req/s, "
                  f"p50 {r['put_p50_ms']:.1f} ms, p99 {r['put_p99_ms']:.1f} ms, errors {r['errors']}, "
                  f"broker CPU {r['cpu_broker']:.2f}", flush=True)  # fmt: skip
            for e in r["error_samples"]:
                print(f"    error: {e}")
        profile_top = None
        if args.profile and args.broker_workers == 1:
            prof = Path(tmp) / "broker.prof"
            r = run_once(args, "batch", Path(tmp), profile_out=prof)
            print(
                f"[profile] batch under cProfile: {r['updates_per_s']:.0f} updates/s, p99 {r['put_p99_ms']:.1f} ms"
            )
            import io
            import pstats

            buf = io.StringIO()
            stats = pstats.Stats(str(prof), stream=buf)
            stats.sort_stats("tottime").print_stats(args.profile_top)
            print(buf.getvalue())
            profile_top = [
                {
                    "func": f"{Path(fn).name}:{ln}({name})",
                    "tottime_s": round(v[2], 3),
                    "cumtime_s": round(v[3], 3),
                }
                for (fn, ln, name), v in sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[
                    : args.profile_top
                ]  # type: ignore[attr-defined]
            ]
    print()
    show(results)
    summaries = {}
    for variant in variants:
        rs = [r for r in results if r["variant"] == variant]
        summaries[variant] = {
            k: bl.summary([r[k] for r in rs])
            for k in ("updates_per_s", "requests_per_s", "put_p50_ms", "put_p95_ms", "put_p99_ms", "errors",
                      "broker_rss_max_mib", "broker_pss_max_mib", "broker_rss_end_mib", "broker_pss_end_mib",
                      "cpu_broker", "cpu_loadgen", "cpu_postgres", "cpu_others")
        }  # fmt: skip
    main_s = summaries.get("batch")
    if main_s:
        upd, p99 = main_s["updates_per_s"]["median"], main_s["put_p99_ms"]["median"]
        met = upd >= 2000 and p99 < 100 and main_s["errors"]["max"] == 0
        print(f"\nmain variant, median of {main_s['updates_per_s']['n']}: {upd:.0f} updates/s, p99 {p99:.1f} ms "
              f"-> target (>= 2000 updates/s, p99 < 100 ms, no errors): {'MET' if met else 'NOT MET'}")  # fmt: skip
    bl.emit_json({
        "bench": "broker_load",
        "config": {k: getattr(args, k) for k in ("apps", "procs", "batch", "rate", "duration", "warmup", "repeat",
                                                 "broker_workers")},
        "runs": results,
        "summary": summaries,
        "profile_top": profile_top,
    })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
