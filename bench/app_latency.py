#!/usr/bin/env python3
"""Trigger-to-finish and task-to-task latency of a running system: riir-airflow standalone versus
Apache Airflow 3 (scheduler + LocalExecutor + dag-processor + api-server), same DAGs (issue 7).

Cases (one generated DAG file each; every task is the same no-op ``@task`` that returns None,
so every task really goes through each side's executor and a worker process):

* ``a``: ``bench_app_chain50``: a chain of 50 tasks ``t00 >> t01 >> ... >> t49``;
* ``b``: ``bench_app_fanout1000``: ``start >> [t0000 .. t0999] >> join`` (1,002 tasks);
* ``c``: ``bench_app_single``: one task.

Written once with ``riir_airflow`` imports (``riir_airflow.sdk``); the Airflow copy replaces the
word ``riir_airflow`` by ``airflow`` (``write_dag_pair``).

Per (case, side, repetition) a **fresh system** is started with only that case's DAG file in its
DAGs folder, on 127.0.0.1 only:

* riir:    ``riir-airflow standalone DAGS --port P`` with a fresh ``AIRFLOW_HOME`` (broker on the
           embedded SQLite, one app per DAG file), ``dags_are_paused_at_creation = False`` and
           everything else at its default (parallelism per app: the number of cores). Ready when ``$AIRFLOW_HOME/riir-standalone.json``
           exists and ``GET /internal/v1/apps`` lists the DAG. Trigger: ``POST /api/v2/dags/{id}/dagRuns``
           ``{"logical_date": null}`` (JWT from ``POST /auth/token``), or where the public route is
           not there (404/405) the internal ``POST /internal/v1/commands`` trigger_run command.
* Airflow: fresh ``AIRFLOW_HOME`` and a fresh PostgreSQL database (``--airflow-db postgres``,
           default; ``sqlite`` possible), ``airflow db migrate`` (not timed), then the three
           processes ``airflow api-server --host 127.0.0.1 --port P``, ``airflow scheduler
           --skip-serve-logs`` (its log server would listen on 0.0.0.0) and ``airflow
           dag-processor``, with ``[core] executor = LocalExecutor``, ``dags_are_paused_at_creation
           = False``, ``load_examples = False``, ``simple_auth_manager_all_admins = True`` (token
           from ``GET /auth/token``), the execution API at ``http://127.0.0.1:P/execution/``, and
           every other setting at its default (``parallelism`` 32, ``max_active_tasks_per_dag`` 16).
           No triggerer: nothing defers. Ready when ``/api/v2/monitor/health`` says the scheduler
           and the dag processor are healthy and ``GET /api/v2/dags/{id}`` shows the DAG unpaused.
           Trigger: ``POST /api/v2/dags/{id}/dagRuns`` ``{"logical_date": null}``.

Both sides then wait ``--settle`` seconds (idle memory is sampled there), the timer starts just
before the trigger request, and the run's state is polled every 0.25 s from each side's
metastore (not through the API, which would load the systems' API servers) until it is finished
or ``--timeout`` passes.
Figures, read from the metastore after the run (Airflow: its PostgreSQL/SQLite ``task_instance``
and ``dag_run``; riir: the SQLite metastore under ``$AIRFLOW_HOME``), all wall-clock on this one
machine:

* trigger-to-finish: the run's ``end_date`` minus the moment just before the trigger request;
* trigger-to-first-task-start: the earliest task ``start_date`` minus the same moment;
* task-to-task latency: for each task with upstream tasks, its ``start_date`` minus the latest
  ``end_date`` of its upstream tasks; the median (and max) over the DAG's edges (chain: 49; fan-out:
  1,001, so it includes queueing behind the executor's parallelism; single: none);
* per-task overhead: trigger-to-finish / number of tasks;
* peak PSS: the summed PSS (``/proc/PID/smaps_rollup``) of every process of the system, i.e. the
  process trees of riir's ``standalone`` (broker, apps, workers) / of Airflow's api-server,
  scheduler (with its LocalExecutor workers and task supervisors and task processes) and
  dag-processor, sampled every ~100 ms; the peak between the trigger and the run's end, and the
  idle level just before the trigger. Airflow's PostgreSQL backends (found in ``pg_stat_activity``
  for its database) are reported on a separate line: riir's SQLite lives inside its processes.

The order of the sides alternates between repetitions. Each run is checked: run state
``success`` and every task instance ``success``. Everything is torn down at the end of each run
(process groups SIGTERM, then SIGKILL; the PostgreSQL database dropped; the homes removed).

    python bench/app_latency.py [--cases a,b,c] [--only riir|airflow] [--repeat N]
        [--timeout S] [--airflow-venv PATH] [--airflow-db postgres|sqlite] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _benchlib as bl
from dags_test_100 import tail, write_dag_pair

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POLL_S = 0.25
RUN_MARKER = "RUN: "
READY_TIMEOUT_S = 300.0

# ----------------------------------------------------------------------------- the DAGs

DAG_HEAD = '''"""Generated by bench/app_latency.py: {doc}"""
import pendulum

from riir_airflow.sdk import DAG, task


@task
def noop():
    return None


with DAG(
    dag_id="{dag_id}",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    catchup=False,
) as dag:
'''

CHAIN_N = 50
FANOUT_N = 1000


@dataclass(frozen=True)
class Case:
    key: str
    dag_id: str
    doc: str
    body: str
    upstreams: dict  # task_id -> [upstream task_id, ...] (only tasks that have upstreams)
    n_tasks: int

    def source(self) -> str:
        return DAG_HEAD.format(doc=self.doc, dag_id=self.dag_id) + self.body


def _cases() -> dict[str, Case]:
    chain_ids = [f"t{i:02d}" for i in range(CHAIN_N)]
    fan_ids = [f"t{i:04d}" for i in range(FANOUT_N)]
    return {
        "a": Case(
            "a",
            "bench_app_chain50",
            f"a chain of {CHAIN_N} no-op tasks",
            f"    prev = None\n    for i in range({CHAIN_N}):\n"
            '        t = noop.override(task_id=f"t{i:02d}")()\n'
            "        if prev is not None:\n            prev >> t\n        prev = t\n",
            {b: [a] for a, b in itertools.pairwise(chain_ids)},
            CHAIN_N,
        ),
        "b": Case(
            "b",
            "bench_app_fanout1000",
            f"a fan-out of {FANOUT_N} no-op tasks and a join",
            '    start = noop.override(task_id="start")()\n'
            '    join = noop.override(task_id="join")()\n'
            f"    for i in range({FANOUT_N}):\n"
            '        start >> noop.override(task_id=f"t{i:04d}")() >> join\n',
            {**{t: ["start"] for t in fan_ids}, "join": fan_ids},
            FANOUT_N + 2,
        ),
        "c": Case(
            "c",
            "bench_app_single",
            "one no-op task",
            '    noop.override(task_id="only")()\n',
            {},
            1,
        ),
    }


CASES = _cases()


# ----------------------------------------------------------------------------- shared pieces


class RunFailed(Exception):
    pass


def _epoch(v) -> float | None:
    """A metastore timestamp (epoch float, aware datetime, or SQLite text in UTC) as epoch seconds."""
    if v is None or v == "":
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v)
    if v.tzinfo is None:
        v = v.replace(tzinfo=dt.UTC)
    return v.timestamp()


def _float_or_none(v: str) -> float | None:
    return float(v) if v else None


def figures_of(case: Case, t_trigger: float, run: dict, tis: list[dict]) -> dict:
    """Derived figures of one finished run (times as epoch seconds)."""
    start = {t["task_id"]: t["start"] for t in tis}
    end = {t["task_id"]: t["end"] for t in tis}
    lat = []
    for task, ups in case.upstreams.items():
        ends = [end.get(u) for u in ups]
        if start.get(task) is None or None in ends:
            continue
        lat.append(start[task] - max(ends))
    starts = [s for s in start.values() if s is not None]
    runs = [end[t] - start[t] for t in start if start[t] is not None and end.get(t) is not None]
    sink = max((t for t in case.upstreams if start.get(t) is not None), key=lambda t: start[t], default=None)
    sink_ends = [end.get(u) for u in case.upstreams.get(sink, [])]
    t2f = run["end"] - t_trigger if run.get("end") is not None else None
    return {
        "trigger_to_finish_s": t2f,
        "trigger_to_first_start_s": (min(starts) - t_trigger) if starts else None,
        "t2t_median_ms": statistics.median(lat) * 1000 if lat else None,
        "t2t_max_ms": max(lat) * 1000 if lat else None,
        "t2t_edges": len(lat),
        "t2t_last_ms": (start[sink] - max(sink_ends)) * 1000 if sink and None not in sink_ends else None,
        "task_run_ms": statistics.median(runs) * 1000 if runs else None,
        "per_task_ms": t2f / case.n_tasks * 1000 if t2f is not None else None,
        "n_tis": len(tis),
        "states": dict(Counter(t["state"] for t in tis)),
        "run_state": run.get("state"),
    }


def wait_for(what: str, check, timeout: float, alive=None, interval: float = 0.25):
    """Call ``check()`` until it returns a truthy value; RunFailed after ``timeout`` or if
    ``alive()`` says the system died."""
    deadline = time.monotonic() + timeout
    while True:
        v = check()
        if v:
            return v
        if alive is not None:
            dead = alive()
            if dead:
                raise RunFailed(f"while waiting for {what}: {dead}")
        if time.monotonic() > deadline:
            raise RunFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def spawn(cmd: list[str], env: dict, log: Path, cwd: Path) -> subprocess.Popen:
    f = open(log, "wb")  # noqa: SIM115 - closed with the process (inherited, then dropped)
    try:
        return subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=f,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        f.close()


# ----------------------------------------------------------------------------- riir side


class RiirSystem:
    side = "riir"

    def __init__(self, work: Path, tag: str, dags: Path):
        self.home = work / f"riir_home_{tag}"
        self.home.mkdir()
        self.dags = dags
        self.port = bl.free_port()
        self.proc: subprocess.Popen | None = None
        self.log = self.home / "standalone.log"
        self.api = ""
        self.token = ""
        self.public_trigger: bool | None = None

    def start(self) -> None:
        riir_bin = bl.riir_python().parent / "riir-airflow"
        cmd = [str(riir_bin), "standalone", str(self.dags), "--port", str(self.port)]
        env = bl.clean_env(AIRFLOW_HOME=str(self.home), AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False")
        self.proc = spawn(cmd, env, self.log, self.home)

    def pss_groups(self) -> dict:
        return {"system": lambda: [self.proc.pid] if self.proc else []}

    def alive(self) -> str | None:
        if self.proc and self.proc.poll() is not None:
            return f"riir-airflow standalone exited with {self.proc.returncode}"
        return None

    def wait_ready(self, dag_id: str) -> None:
        info_file = self.home / "riir-standalone.json"

        def info():  # the file holds secrets from the start; api_url and pid once the broker answers
            try:
                data = json.loads(info_file.read_text())
            except (OSError, json.JSONDecodeError):
                return None
            return data if data.get("api_url") and data.get("pid") else None

        data = wait_for("riir-standalone.json", info, READY_TIMEOUT_S, self.alive)
        self.api = data["api_url"].rstrip("/")

        def login():
            st, body = bl.http_json(
                "POST", f"{self.api}/auth/token", {"username": data["username"], "password": data["password"]}
            )
            return body.get("access_token") if st in (200, 201) and isinstance(body, dict) else None

        self.token = wait_for("a JWT from /auth/token", login, READY_TIMEOUT_S, self.alive)

        def registered():
            st, body = bl.http_json("GET", f"{self.api}/internal/v1/apps", token=self.token)
            return st == 200 and dag_id in json.dumps(body)

        wait_for(f"an app serving {dag_id} in /internal/v1/apps", registered, READY_TIMEOUT_S, self.alive)
        st, body = bl.http_json("GET", f"{self.api}/api/v2/dags/{dag_id}", token=self.token)
        if st == 200 and isinstance(body, dict) and body.get("is_paused") is not False:
            raise RunFailed(f"{dag_id} is registered but paused: {str(body)[:200]}")

    def trigger(self, dag_id: str) -> tuple[float, str | None]:
        """(time just before the request, run_id or None if only the internal command was sent)."""
        if self.public_trigger is not False:
            t0 = time.time()
            st, body = bl.http_json(
                "POST", f"{self.api}/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None}, token=self.token
            )
            if st in (200, 201) and isinstance(body, dict):
                self.public_trigger = True
                return t0, body.get("dag_run_id") or body.get("run_id")
            if st not in (404, 405):
                raise RunFailed(f"POST dagRuns answered {st}: {str(body)[:300]}")
            self.public_trigger = False
        raw = self._command_body(dag_id)
        t0 = time.time()
        st, body = bl.http_json("POST", f"{self.api}/internal/v1/commands", raw=raw, token=self.token)
        if st not in (200, 201):
            raise RunFailed(f"POST /internal/v1/commands answered {st}: {str(body)[:300]}")
        return t0, None

    @staticmethod
    def _command_body(dag_id: str) -> bytes:
        code = (
            "import sys\nfrom riir_airflow.wire.messages import Command, CommandKind, dump\n"
            "sys.stdout.buffer.write(dump(Command(kind=CommandKind.TRIGGER_RUN, dag_id=sys.argv[1])))"
        )
        r = subprocess.run([str(bl.riir_python()), "-c", code, dag_id], capture_output=True, check=True)
        return r.stdout

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True, timeout=10)

    def run_state(self, dag_id: str, run_id: str | None) -> tuple[str | None, str | None]:
        """(state, run_id) of the run (the only run of a fresh system when run_id is None)."""
        try:
            with contextlib.closing(self._db()) as db:
                q = "SELECT state, run_id FROM dag_run WHERE dag_id = ?"
                args: tuple = (dag_id,)
                if run_id is not None:
                    q += " AND run_id = ?"
                    args += (run_id,)
                row = db.execute(q + " ORDER BY run_after DESC LIMIT 1", args).fetchone()
        except sqlite3.Error:
            return None, run_id
        return (row[0], row[1]) if row else (None, run_id)

    def read(self, dag_id: str, run_id: str) -> tuple[dict, list[dict]]:
        with contextlib.closing(self._db()) as db:
            r = db.execute(
                "SELECT state, start_date, end_date FROM dag_run WHERE dag_id = ? AND run_id = ?",
                (dag_id, run_id),
            ).fetchone()
            rows = db.execute(
                "SELECT task_id, map_index, state, start_date, end_date FROM task_instance "
                "WHERE dag_id = ? AND run_id = ?",
                (dag_id, run_id),
            ).fetchall()
        run = {"state": r[0], "start": _epoch(r[1]), "end": _epoch(r[2])} if r else {}
        tis = [{"task_id": t, "state": s, "start": _epoch(a), "end": _epoch(b)} for t, _m, s, a, b in rows]
        return run, tis

    def stop(self) -> None:
        if self.proc:
            bl.stop_process_group(self.proc, grace=20)

    def logs(self) -> str:
        try:
            return "--- riir-airflow standalone ---\n" + tail(self.log.read_text(errors="replace"), 30)
        except OSError:
            return ""

    def cleanup(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


# ----------------------------------------------------------------------------- Airflow side


def _psql(url: str, sql: str, db: str | None = None) -> list[list[str]]:
    """Rows of ``sql`` through the psql client (tab-separated text), on ``url`` or its database ``db``."""
    if db:
        url = url.rsplit("/", 1)[0] + "/" + db
    r = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-AtqX", "-F", "\t", "-c", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        raise RunFailed(f"psql failed: {r.stderr.strip()[:300]}")
    return [ln.split("\t") for ln in r.stdout.splitlines() if ln]


class AirflowSystem:
    side = "airflow"

    def __init__(self, work: Path, tag: str, dags: Path, af_venv: Path, db_kind: str, pg_url: str):
        self.home = work / f"airflow_home_{tag}"
        self.home.mkdir()
        self.dags = dags
        self.af_bin = str(af_venv / "bin" / "airflow")
        self.db_kind = db_kind
        self.pg_url = pg_url
        self.db_name = f"airflow_bench_{secrets.token_hex(4)}" if db_kind == "postgres" else None
        self.port = bl.free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.token = ""
        self._pg_pids: list[int] = []
        self._pg_pids_at = 0.0
        self._pg_conn = None
        if db_kind == "postgres":
            host_part = pg_url.split("://", 1)[1].rsplit("/", 1)[0]
            conn = f"postgresql+psycopg2://{host_part}/{self.db_name}"
        else:
            conn = f"sqlite:///{self.home}/airflow.db"
        self.env = bl.clean_env(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.api}/execution/",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=conn,
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__BASE_URL=self.api,
            AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(32),
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(bl.free_port()),
        )

    def prepare(self) -> float:
        """Create the database and ``airflow db migrate`` (not timed): seconds it took."""
        t = time.perf_counter()
        if self.db_name:
            _psql(self.pg_url, f'CREATE DATABASE "{self.db_name}"')
        r = subprocess.run(
            [self.af_bin, "db", "migrate"],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            check=False,
        )
        if r.returncode != 0:
            raise RunFailed(f"airflow db migrate failed:\n{tail(r.stdout + r.stderr)}")
        return time.perf_counter() - t

    def start(self) -> None:
        for name, args in (
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.port)]),
            ("scheduler", ["scheduler", "--skip-serve-logs"]),
            ("dag-processor", ["dag-processor"]),
        ):
            self.procs[name] = spawn([self.af_bin, *args], self.env, self.home / f"{name}.log", self.home)

    def _pg_backends(self) -> list[int]:
        if not self.db_name:
            return []
        now = time.monotonic()
        if now - self._pg_pids_at > 1.0:  # refreshed once a second: a psql call costs a few ms
            self._pg_pids_at = now
            try:
                rows = _psql(
                    self.pg_url,
                    f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.db_name}' AND pid <> pg_backend_pid()",
                )
                self._pg_pids = [int(r[0]) for r in rows]
            except RunFailed:
                pass
        return self._pg_pids

    def pss_groups(self) -> dict:
        return {
            "system": lambda: [p.pid for p in self.procs.values()],
            "postgres": self._pg_backends,
        }

    def alive(self) -> str | None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                return f"airflow {name} exited with {p.returncode}"
        return None

    def wait_ready(self, dag_id: str) -> None:
        def token():
            st, body = bl.http_json("GET", f"{self.api}/auth/token")
            return body.get("access_token") if st in (200, 201) and isinstance(body, dict) else None

        self.token = wait_for("the api-server (GET /auth/token)", token, READY_TIMEOUT_S, self.alive)

        def healthy():
            st, body = bl.http_json("GET", f"{self.api}/api/v2/monitor/health", token=self.token)
            if st != 200 or not isinstance(body, dict):
                return False
            return all((body.get(k) or {}).get("status") == "healthy" for k in ("scheduler", "dag_processor"))

        wait_for("a healthy scheduler and dag processor", healthy, READY_TIMEOUT_S, self.alive)

        def parsed():
            st, body = bl.http_json("GET", f"{self.api}/api/v2/dags/{dag_id}", token=self.token)
            return st == 200 and isinstance(body, dict) and body.get("is_paused") is False

        wait_for(f"{dag_id} parsed and unpaused", parsed, READY_TIMEOUT_S, self.alive)

    def trigger(self, dag_id: str) -> tuple[float, str | None]:
        t0 = time.time()
        st, body = bl.http_json(
            "POST", f"{self.api}/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None}, token=self.token
        )
        if st not in (200, 201) or not isinstance(body, dict):
            raise RunFailed(f"POST dagRuns answered {st}: {str(body)[:300]}")
        return t0, body["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str | None) -> tuple[str | None, str | None]:
        """From the metastore, not the API: under load a GET of a 1,000-task run's state costs
        Airflow's api-server 0.3-2.6 s, which starved the tasks' execution API calls (a task
        failed with a ReadTimeout). Through psycopg (one connection) when this Python has it."""
        q = f"SELECT state FROM dag_run WHERE dag_id = '{dag_id}' AND run_id = '{run_id}'"
        if self.db_name is None:
            with contextlib.closing(
                sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True)
            ) as db:
                row = db.execute(q).fetchone()
            return (row[0] if row else None), run_id
        if self._pg_conn is None:
            try:
                import psycopg

                self._pg_conn = psycopg.connect(self._db_url(), autocommit=True)
            except ImportError:
                self._pg_conn = False
        if self._pg_conn:
            row = self._pg_conn.execute(q).fetchone()
            return (row[0] if row else None), run_id
        rows = _psql(self.pg_url, q, self.db_name)
        return (rows[0][0] if rows else None), run_id

    def _db_url(self) -> str:
        return self.pg_url.rsplit("/", 1)[0] + "/" + self.db_name

    def read(self, dag_id: str, run_id: str) -> tuple[dict, list[dict]]:
        q_run = (
            "SELECT state, extract(epoch from start_date), extract(epoch from end_date) FROM dag_run "
            f"WHERE dag_id = '{dag_id}' AND run_id = '{run_id}'"
        )
        q_ti = (
            "SELECT task_id, map_index, state, extract(epoch from start_date), extract(epoch from end_date) "
            f"FROM task_instance WHERE dag_id = '{dag_id}' AND run_id = '{run_id}'"
        )
        if self.db_name:
            runs = _psql(self.pg_url, q_run, self.db_name)
            rows = _psql(self.pg_url, q_ti, self.db_name)
            num = _float_or_none
        else:
            q_run, q_ti = (
                q.replace("extract(epoch from start_date)", "start_date").replace(
                    "extract(epoch from end_date)", "end_date"
                )
                for q in (q_run, q_ti)
            )
            with contextlib.closing(
                sqlite3.connect(f"file:{self.home / 'airflow.db'}?mode=ro", uri=True)
            ) as db:
                runs = db.execute(q_run).fetchall()
                rows = db.execute(q_ti).fetchall()
            num = _epoch
        run = {"state": runs[0][0], "start": num(runs[0][1]), "end": num(runs[0][2])} if runs else {}
        tis = [{"task_id": t, "state": s, "start": num(a), "end": num(b)} for t, _m, s, a, b in rows]
        return run, tis

    def stop(self) -> None:
        # the scheduler first (it stops its executor workers), then the others
        for name in ("scheduler", "dag-processor", "api-server"):
            if name in self.procs:
                bl.stop_process_group(self.procs[name], grace=30)

    def logs(self) -> str:
        out = []
        for name in self.procs:
            with contextlib.suppress(OSError):
                out.append(
                    f"--- airflow {name} ---\n"
                    + tail((self.home / f"{name}.log").read_text(errors="replace"), 15)
                )
        return "\n".join(out)

    def cleanup(self) -> None:
        if self._pg_conn:
            self._pg_conn.close()
        if self.db_name:
            with contextlib.suppress(RunFailed):
                _psql(self.pg_url, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        shutil.rmtree(self.home, ignore_errors=True)


# ----------------------------------------------------------------------------- one run


def run_one(system, case: Case, timeout: float, settle: float, keep_logs: Path | None) -> dict:
    """Start ``system``, wait until ready, trigger, wait for the end, read back, tear down."""
    r: dict = {"side": system.side, "case": case.key, "ok": False}
    timeline = bl.PssTimeline(system.pss_groups(), interval=0.1)
    try:
        if hasattr(system, "prepare"):
            r["migrate_s"] = system.prepare()
        t_start = time.time()
        system.start()
        timeline.start()
        system.wait_ready(case.dag_id)
        r["startup_s"] = time.time() - t_start
        time.sleep(settle)
        t_idle = time.time() - settle
        t0, run_id = system.trigger(case.dag_id)

        def finished():
            state, rid = system.run_state(case.dag_id, run_id)
            return (state, rid) if state in ("success", "failed") else None

        state, run_id = wait_for(
            f"the run of {case.dag_id} to finish", finished, timeout, system.alive, POLL_S
        )
        t_seen = time.time()
        time.sleep(0.3)  # one more memory sample or three after the end
        run, tis = system.read(case.dag_id, run_id)
        fig = figures_of(case, t0, run, tis)
        r.update(fig)
        r["run_id"] = run_id
        r["seen_finished_s"] = t_seen - t0
        t_end = run.get("end") or t_seen
        peak = timeline.peak(["system"], t0, t_end + 0.05)
        idle = timeline.peak(["system"], t_idle, t0)
        r["peak_pss_mib"] = peak["kib"] / 1024 if peak["samples"] else None
        r["peak_procs"] = peak["procs"]
        r["pss_samples"] = peak["samples"]
        r["idle_pss_mib"] = idle["kib"] / 1024 if idle["samples"] else None
        r["idle_procs"] = idle["procs"]
        r["pss_mean_period_s"] = (t_end - t0) / peak["samples"] if peak["samples"] else None
        r["pss_sampler_busy_s"] = timeline.busy_s
        if "postgres" in system.pss_groups():
            both = timeline.peak(["system", "postgres"], t0, t_end + 0.05)
            r["peak_pss_with_db_mib"] = both["kib"] / 1024 if both["samples"] else None
        r["ok"] = state == "success" and fig["states"] == {"success": case.n_tasks}
        if not r["ok"]:
            r["error"] = f"run {state}, task states {fig['states']}"
    except RunFailed as e:
        r["error"] = str(e)
    finally:
        timeline.stop()
        if not r["ok"]:
            r["logs"] = system.logs()
        system.stop()
        if keep_logs:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for f in system.home.glob("*.log"):
                shutil.copy(f, keep_logs / f"{case.key}_{system.side}_{f.name}")
        system.cleanup()
    return r


# ----------------------------------------------------------------------------- report

METRICS = [
    ("trigger_to_finish_s", "trigger-to-finish", " s", 2),
    ("trigger_to_first_start_s", "trigger to first task start", " s", 3),
    ("t2t_median_ms", "task-to-task latency, median", " ms", 1),
    ("t2t_max_ms", "task-to-task latency, max", " ms", 1),
    ("t2t_last_ms", "latency of the last edge (b: the join)", " ms", 1),
    ("task_run_ms", "task start to end, median", " ms", 1),
    ("per_task_ms", "per-task overhead (t2f / tasks)", " ms", 1),
    ("peak_pss_mib", "peak PSS, all processes", " MiB", 1),
    ("idle_pss_mib", "idle PSS before the trigger", " MiB", 1),
    ("peak_pss_with_db_mib", "peak PSS incl. PostgreSQL backends", " MiB", 1),
    ("peak_procs", "address spaces at the peak", "", 0),
    ("idle_procs", "address spaces when idle", "", 0),
    ("pss_mean_period_s", "PSS sampling period during the run", " s", 2),
    ("startup_s", "start to ready (not timed)", " s", 1),
]

NO_RATIO = ("startup_s", "peak_procs", "idle_procs", "pss_mean_period_s")


def summarize(runs: list[dict]) -> dict:
    ok = [r for r in runs if r["ok"]]
    return {key: bl.summary([r.get(key) for r in ok]) for key, *_ in METRICS} | {
        "ok": len(ok),
        "n": len(runs),
    }


def cell(s: dict, unit: str, digits: int) -> str:
    if not s or s["median"] is None:
        return "-"
    if s["n"] == 1:
        return bl.fmt(s["median"], unit, digits)
    return (
        f"{bl.fmt(s['median'], unit, digits)} ({bl.fmt(s['min'], '', digits)}-{bl.fmt(s['max'], '', digits)})"
    )


def run_all(args, cases: list[Case], sides: list[str], work: Path, results: dict, loads: list) -> None:
    for case in cases:
        cdir = work / f"case_{case.key}"
        cdir.mkdir()
        riir_file, af_file = write_dag_pair(cdir, case.dag_id, case.source())
        if args.keep_dags:
            args.keep_dags.mkdir(parents=True, exist_ok=True)
            (args.keep_dags / f"{case.dag_id}.py").write_text(case.source())
        for i in range(args.repeat):
            order = sides if i % 2 == 0 else sides[::-1]
            for side in order:
                tag = f"{case.key}_{i}"
                loads.append(os.getloadavg()[0])
                if side == "riir":
                    system = RiirSystem(work, tag, riir_file.parent)
                else:
                    system = AirflowSystem(
                        work, tag, af_file.parent, args.airflow_venv, args.airflow_db, args.postgres_url
                    )
                r = run_one(system, case, args.timeout, args.settle, args.keep_logs)
                r["loadavg_1m"] = loads[-1]
                results[case.key][side].append(r)
                if r["ok"]:
                    print(
                        f"  {case.key} {side:7} #{i + 1}: t2f {bl.fmt(r['trigger_to_finish_s'], ' s', 2)}, "
                        f"t2t median {bl.fmt(r['t2t_median_ms'], ' ms', 1)}, "
                        f"peak PSS {bl.fmt(r['peak_pss_mib'], ' MiB', 1)} ({r['peak_procs']} procs), "
                        f"load {loads[-1]:.1f}",
                        flush=True,
                    )
                else:
                    print(
                        f"\n!!! {case.key} {side} #{i + 1} FAILED: {r.get('error')}\n{r.get('logs', '')}\n",
                        flush=True,
                    )
                # every run's figures at once, so that an interrupted benchmark loses nothing
                print(RUN_MARKER + json.dumps({k: v for k, v in r.items() if k != "logs"}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--cases", default="a,b,c", help="comma-separated among a (chain 50), b (fan-out 1000), c (one task)"
    )
    ap.add_argument("--only", choices=["riir", "airflow"], help="run one side only")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds allowed per run, trigger to finish")
    ap.add_argument("--settle", type=float, default=3.0, help="idle seconds between ready and the trigger")
    ap.add_argument("--airflow-venv", type=Path, default=bl.DEFAULT_AIRFLOW_VENV)
    ap.add_argument("--airflow-db", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument(
        "--postgres-url",
        default=os.environ.get("RIIR_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a PostgreSQL server URL (database 'postgres') where databases may be created and dropped",
    )
    ap.add_argument("--keep-logs", type=Path, help="copy every component's log to this folder")
    ap.add_argument("--keep-dags", type=Path, help="write the generated (riir) DAG files to this folder")
    args = ap.parse_args()
    # a SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so every started system is torn down
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    cases = [CASES[k.strip()] for k in args.cases.split(",") if k.strip()]
    bl.machine_info()
    bl.source_info()
    sides = ["riir", "airflow"] if not args.only else [args.only]
    af_py = af_version = None
    notes = []
    if "airflow" in sides:
        af_py, af_version = bl.airflow_python(args.airflow_venv)
        if af_py is None:
            print(af_version)
            notes.append(af_version)
            sides.remove("airflow")
        elif args.airflow_db == "postgres":
            # Airflow on PostgreSQL needs both drivers (sync psycopg2, async asyncpg), which the
            # 'postgres' extra brings; scripts/airflow-venv.sh installs apache-airflow without extras.
            chk = subprocess.run(
                [str(af_py), "-c", "import psycopg2, asyncpg"], capture_output=True, check=False
            )
            if chk.returncode != 0:
                print(
                    "installing psycopg2-binary and asyncpg into the Airflow venv (PostgreSQL drivers)",
                    flush=True,
                )
                subprocess.run(
                    [str(af_py), "-m", "pip", "install", "--quiet", "psycopg2-binary", "asyncpg"], check=True
                )
    if "riir" in sides:
        helptext = subprocess.run(
            [str(bl.riir_python().parent / "riir-airflow"), "--help"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if "standalone" not in helptext:
            msg = "this riir-airflow has no 'standalone' command yet: riir-side figures are skipped"
            print(msg)
            notes.append(msg)
            sides.remove("riir")
    if not sides:
        return 1

    print(
        f"cases {','.join(c.key for c in cases)}; sides {', '.join(sides)}; repeat {args.repeat}; "
        f"Airflow {af_version or '-'} ({args.airflow_db}); load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results: dict[str, dict[str, list[dict]]] = {c.key: {s: [] for s in sides} for c in cases}
    loads = []
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="bench_app_latency_") as tmp:
        try:
            run_all(args, cases, sides, Path(tmp), results, loads)
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C or SIGTERM: the running system is torn
            interrupted = True  # down already (run_one's finally); report the runs that finished
            print("\ninterrupted: reporting the runs that finished", flush=True)
            notes.append("interrupted before the end")

    loads.append(os.getloadavg()[0])
    summary = {}
    for case in cases:
        summary[case.key] = {s: summarize(results[case.key][s]) for s in sides}
        print()
        print(f"({case.key}) {case.doc}: {case.n_tasks} task(s), dag_id {case.dag_id}")
        headers = ["figure"] + [f"{s} median (min-max)" for s in sides]
        if len(sides) == 2:
            headers += ["riir / Airflow", "Airflow / riir"]
        rows = []
        for key, label, unit, digits in METRICS:
            if all(summary[case.key][s][key]["median"] is None for s in sides):
                continue
            row = [label] + [cell(summary[case.key][s][key], unit, digits) for s in sides]
            if len(sides) == 2:
                rr = bl.ratio(
                    summary[case.key]["riir"][key]["median"], summary[case.key]["airflow"][key]["median"]
                )
                row.append(bl.fmt(rr, "", 3) if key not in NO_RATIO else "")
                row.append(bl.fmt(1 / rr, "x", 1) if rr and key not in NO_RATIO else "")
            rows.append(row)
        rows.append(
            ["runs succeeded"]
            + [f"{summary[case.key][s]['ok']}/{summary[case.key][s]['n']}" for s in sides]
            + [""] * (len(headers) - 1 - len(sides))
        )
        bl.print_table(headers, rows)
    print(
        f"\nload average (1 min) at each run's start: {', '.join(f'{x:.1f}' for x in loads[:-1])}; at the end {loads[-1]:.1f}"
    )

    def strip(r: dict) -> dict:
        return {k: v for k, v in r.items() if k != "logs"}

    bl.emit_json(
        {
            "bench": "app_latency",
            "airflow_version": af_version,
            "airflow_db": args.airflow_db if "airflow" in sides else None,
            "repeat": args.repeat,
            "summary": summary,
            "ratios_riir_over_airflow": {
                c.key: {
                    key: bl.ratio(
                        summary[c.key]["riir"][key]["median"], summary[c.key]["airflow"][key]["median"]
                    )
                    for key, *_ in METRICS
                }
                for c in cases
            }
            if len(sides) == 2
            else None,
            "runs": {c.key: {s: [strip(r) for r in results[c.key][s]] for s in sides} for c in cases},
            "loadavg_1m": loads,
            "notes": notes,
        }
    )
    if interrupted:
        return 130
    return 0 if all(r["ok"] for c in results.values() for rs in c.values() for r in rs) else 2


if __name__ == "__main__":
    sys.exit(main())
