#!/usr/bin/env python3
"""REST API list endpoints (issue 8): dags, dagRuns and taskInstances of a metastore holding
1,000 DAGs and 100,000 task instances in PostgreSQL: p50/p99 latency and requests/s.

Bounded and loopback only:

1. a fresh schema ``riir_bench_<random>`` on the PostgreSQL server at ``RIIR_TEST_POSTGRES_URL``
   (default ``postgresql://postgres@127.0.0.1:5432/test``), migrated by ``riir-airflow db
   migrate``, dropped at the end (also on errors and Ctrl-C);
2. seeded with bulk INSERTs through the metastore's tables (``riir_airflow.metastore.tables``,
   executemany): ``--dags`` DAGs (default 1,000; 3 tags and 2 owners each, one code version),
   ``--runs`` runs per DAG (default 10, a day apart; 1 in 10 failed) and ``--tasks`` task
   instances per run (default 10; states mixed: success, failed, upstream_failed, skipped), so
   100,000 task instances and 10,000 runs by default, then ``VACUUM ANALYZE`` (what autovacuum
   would soon do);
3. a real ``riir-airflow broker`` process on 127.0.0.1 (default settings, one process) and an
   admin JWT from ``POST /auth/token``;
4. per endpoint below and per concurrency level (``--concurrency``, default ``1,8``): a closed
   loop of that many client threads (stdlib ``http.client``, one keep-alive connection each)
   sending the same GET back to back for ``--duration`` seconds (default 8) after ``--warmup``
   seconds (default 2). Every answer must be 200 with the expected page size (checked; errors
   are counted and reported).

Endpoints (the page size is 100, Airflow's maximum page limit; every answer carries
``total_entries``, so each request also counts its whole filtered set):
``dags`` (first page), ``dags_offset`` (page 10, ``offset=900``), ``dags_filtered``
(``tags=tag_1&dag_id_pattern=07``), ``dagRuns_one_dag``, ``dagRuns_all`` (``~``, newest first),
``taskInstances_one_run``, ``taskInstances_all`` (``~/~``), ``taskInstances_failed_all``
(``~/~?state=failed``), ``taskInstances_batch`` (``POST ~/~/taskInstances/list``, 2 DAGs).

Reported per endpoint and concurrency: requests/s, latency p50/p99/max (ms, send to full answer
read), errors; plus the machine, seeding time and the broker's PSS after the run. ``--json``
adds one JSON object on the last line.

Airflow 3's api-server on the same data is not measured: it needs the same 1,000 DAGs, 10,000
runs and 100,000 task instances in Airflow's own schema (dag_bundle, dag, serialized_dag and
dag_version rows that its ORM and serializers accept, UUID task-instance ids, per-run
dag_version links), i.e. a second loader written against Airflow's models; see README.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import statistics
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
TI_STATES = ("success", "success", "success", "success", "success", "success", "failed", "upstream_failed",
             "skipped", "success")  # fmt: skip


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextlib.contextmanager
def pg_schema(base_url: str):
    import sqlalchemy as sa

    from riir_airflow.metastore.engine import create_engine

    admin = create_engine(base_url, poolclass=sa.NullPool)
    schema = f"riir_bench_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield with_search_path(base_url, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def seed(url: str, n_dags: int, n_runs: int, n_tasks: int) -> dict:
    """Bulk-insert the DAGs, versions, runs and task instances; counts and seconds."""
    import datetime

    import sqlalchemy as sa

    from riir_airflow.metastore import tables as t
    from riir_airflow.metastore.engine import create_engine

    t0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    started = time.perf_counter()
    engine = create_engine(url)
    dags, versions, runs, tis = [], [], [], []
    for d in range(n_dags):
        dag_id = f"bench_dag_{d:04d}"
        dags.append({
            "dag_id": dag_id, "is_paused": d % 7 == 0, "is_stale": False, "fileloc": f"/dags/{dag_id}.py",
            "dag_display_name": None, "description": f"bench DAG {d}", "owners": ["airflow", f"team_{d % 5}"],
            "tags": [f"tag_{d % 3}", f"tag_{d % 10}", "bench"], "timetable_summary": "@daily",
            "max_active_runs": 16, "max_active_tasks": 16, "max_consecutive_failed_dag_runs": 0,
            "has_import_errors": False, "next_dagrun_logical_date": t0 + datetime.timedelta(days=n_runs),
            "next_dagrun_data_interval_start": t0 + datetime.timedelta(days=n_runs),
            "next_dagrun_data_interval_end": t0 + datetime.timedelta(days=n_runs + 1),
            "next_dagrun_run_after": t0 + datetime.timedelta(days=n_runs + 1), "last_parsed_time": t0,
            "created_at": t0, "updated_at": t0,
        })  # fmt: skip
        versions.append({
            "id": d + 1, "dag_id": dag_id, "version_number": 1, "source_hash": f"h{d}", "serialized_dag": None,
            "source_code": None, "app_id": None, "created_at": t0,
        })  # fmt: skip
        for r in range(n_runs):
            day = t0 + datetime.timedelta(days=r)
            run_id = f"scheduled__{day.isoformat()}"
            failed = (d + r) % 10 == 0
            runs.append({
                "dag_id": dag_id, "run_id": run_id, "run_type": "scheduled", "state": "failed" if failed else "success",
                "run_after": day + datetime.timedelta(days=1), "logical_date": day, "data_interval_start": day,
                "data_interval_end": day + datetime.timedelta(days=1), "start_date": day + datetime.timedelta(days=1),
                "end_date": day + datetime.timedelta(days=1, minutes=5), "conf": {}, "triggered_by": "timetable",
                "note": None, "clear_number": 0, "dag_version_id": d + 1,
            })  # fmt: skip
            for k in range(n_tasks):
                state = TI_STATES[(k + r + d) % len(TI_STATES)] if failed else "success"
                ran = state in ("success", "failed")
                tis.append({
                    "dag_id": dag_id, "run_id": run_id, "task_id": f"task_{k:02d}", "map_index": -1, "state": state,
                    "try_number": 1 if ran else 0, "max_tries": 0,
                    "start_date": day + datetime.timedelta(days=1, seconds=k) if ran else None,
                    "end_date": day + datetime.timedelta(days=1, seconds=k + 1) if ran else None,
                    "next_attempt_at": None, "operator": "BashOperator", "pool": "default_pool", "queue": "default",
                    "priority_weight": 1, "hostname": "bench-host" if ran else "", "note": None,
                })  # fmt: skip
    try:
        with engine.begin() as conn:
            conn.execute(t.dag.insert(), dags)
            conn.execute(t.dag_version.insert(), versions)
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('dag_version', 'id'), :n)"), {"n": n_dags}
            )
            conn.execute(t.dag_run.insert(), runs)
            for i in range(0, len(tis), 20_000):
                conn.execute(t.task_instance.insert(), tis[i : i + 20_000])
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    return {"dags": len(dags), "runs": len(runs), "task_instances": len(tis),
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def endpoints(n_dags: int) -> list[tuple[str, str, str, dict | None, int]]:
    """(name, method, path, body, expected rows per page)."""
    one = f"bench_dag_{n_dags // 2:04d}"
    run = "scheduled__2024-01-05T00:00:00+00:00"
    return [
        ("dags", "GET", "/api/v2/dags?limit=100", None, 100),
        ("dags_offset", "GET", "/api/v2/dags?limit=100&offset=900", None, 100),
        ("dags_filtered", "GET", "/api/v2/dags?limit=100&tags=tag_1&dag_id_pattern=07", None, -1),
        ("dagRuns_one_dag", "GET", f"/api/v2/dags/{one}/dagRuns?limit=100", None, -1),
        ("dagRuns_all", "GET", "/api/v2/dags/~/dagRuns?limit=100&order_by=-run_after", None, 100),
        ("taskInstances_one_run", "GET", f"/api/v2/dags/{one}/dagRuns/{quote(run)}/taskInstances?limit=100", None, -1),
        ("taskInstances_all", "GET", "/api/v2/dags/~/dagRuns/~/taskInstances?limit=100", None, 100),
        ("taskInstances_failed_all", "GET", "/api/v2/dags/~/dagRuns/~/taskInstances?limit=100&state=failed", None, 100),
        ("taskInstances_batch", "POST", "/api/v2/dags/~/dagRuns/~/taskInstances/list",
         {"dag_ids": [one, "bench_dag_0001"], "page_limit": 100}, -1),
    ]  # fmt: skip


def list_key(path: str) -> str:
    if "taskInstances" in path:
        return "task_instances"
    return "dag_runs" if "dagRuns" in path else "dags"


def load(port: int, token: str, method: str, path: str, body: dict | None, expect: int, clients: int,
         warmup: float, duration: float) -> dict:  # fmt: skip
    """A closed loop of `clients` threads; latencies of requests sent in the measured window."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    window = (start + warmup, start + warmup + duration)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    key = list_key(path)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            sent = time.perf_counter()
            if sent >= window[1]:
                break
            try:
                conn.request(method, path, body=payload, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == 200
                if ok and expect >= 0:
                    ok = len(json.loads(data)[key]) == expect
            except (OSError, http.client.HTTPException, ValueError):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            done = time.perf_counter()
            if sent >= window[0]:
                if ok:
                    latencies[i].append(done - sent)
                else:
                    errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    lat = sorted(x for per in latencies for x in per)
    n = len(lat)

    def pct(q: float) -> float | None:
        return round(lat[min(n - 1, int(q * n))] * 1000, 2) if n else None

    return {"requests": n, "rps": round(n / duration, 1), "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "max_ms": round(lat[-1] * 1000, 2) if n else None,
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if n else None, "errors": sum(errors)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dags", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10, help="runs per DAG")
    parser.add_argument("--tasks", type=int, default=10, help="task instances per run")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated client counts")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--only", default="", help="comma-separated endpoint names (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c]
    chosen = [e for e in endpoints(args.dags) if not args.only or e[0] in args.only.split(",")]
    base = os.environ.get("RIIR_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    riir = str(Path(bl.riir_python()).parent / "riir-airflow")
    result: dict = {"machine": bl.machine_info(), "source": bl.source_info(), "levels": levels, "rows": []}
    with pg_schema(base) as url, tempfile.TemporaryDirectory(prefix="riir_bench_api_") as home:
        password = secrets.token_urlsafe(16)
        env = bl.clean_env(AIRFLOW_HOME=home, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=url,
                           AIRFLOW__API_AUTH__JWT_SECRET="bench-" + secrets.token_hex(32))  # fmt: skip
        for cmd in (["db", "migrate"], ["users", "create", "--username", "bench", "--role", "admin", "--password",
                                          password]):  # fmt: skip
            done = subprocess.run([riir, *cmd], env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"riir-airflow {cmd[0]} failed: {done.stderr[-2000:]}")
        result["seed"] = seed(url, args.dags, args.runs, args.tasks)
        print(f"seeded {result['seed']}", file=sys.stderr)
        port = bl.free_port()
        log_path = Path(home) / "broker.log"
        with open(log_path, "w") as log_f:
            broker = subprocess.Popen([riir, "broker", "--host", "127.0.0.1", "--port", str(port), "--log-level",
                                       "WARNING"], env=env, stdout=log_f, stderr=subprocess.STDOUT,
                                      start_new_session=True)  # fmt: skip
        try:
            deadline = time.time() + 60
            while True:
                try:
                    status, answer = bl.http_json("POST", f"http://127.0.0.1:{port}/auth/token",
                                                  {"username": "bench", "password": password})  # fmt: skip
                    if status == 201:
                        token = answer["access_token"]
                        break
                except OSError:
                    pass
                if broker.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"broker did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            for name, method, path, body, expect in chosen:
                for clients in levels:
                    row = {"endpoint": name, "clients": clients,
                           **load(port, token, method, path, body, expect, clients, args.warmup, args.duration)}  # fmt: skip
                    result["rows"].append(row)
                    print(f"{name:26s} c={clients:<3d} {row['rps']:8.1f} req/s  p50 {row['p50_ms']} ms  "
                          f"p99 {row['p99_ms']} ms  errors {row['errors']}", file=sys.stderr)  # fmt: skip
            result["broker_pss_kib"] = bl.tree_pss_kib(broker.pid)[0]
        finally:
            bl.stop_process_group(broker)
    bl.print_table(
        ["endpoint", "clients", "req/s", "p50 ms", "p99 ms", "max ms", "errors"],
        [[r["endpoint"], str(r["clients"]), f"{r['rps']:.1f}", bl.fmt(r["p50_ms"]), bl.fmt(r["p99_ms"]),
          bl.fmt(r["max_ms"]), str(r["errors"])] for r in result["rows"]],
    )  # fmt: skip
    if args.json:
        bl.emit_json(result)
    return 1 if any(r["errors"] for r in result["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
