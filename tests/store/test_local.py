"""LocalStore: the Store contract suite, plus what only the SQLite file store promises.

LocalStore-specific: the file survives reopening; several instances, threads and processes
share one file safely; the on-disk encodings (UTC ISO text, JSON conf); forward migrations;
writes that need a run raise KeyError without partial effects; naive datetimes are refused.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from riir_airflow.sdk.state import DagRunState
from riir_airflow.sdk.state import TaskInstanceState as S
from riir_airflow.store import DeferralRecord, LocalStore, Store, VariableRecord, sqlite_schema

from .contract import StoreContract
from .contract_support import at, run, ti, xcom


class TestLocalStoreContract(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        s = LocalStore(tmp_path / "x.db")
        yield s
        s.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "x.db"


def _raw(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# -- the file -------------------------------------------------------------------------------
def test_reopening_the_file_keeps_every_kind_of_data(db: Path) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1", conf={"a": 1}))
        s.put_task_instances([ti("t1", state=S.SUCCESS, try_number=1)])
        s.set_xcom(xcom("t1"))
        s.set_rendered_fields("dag_a", "r1", "t1", -1, {"f": "v"})
        s.append_log("dag_a", "r1", "t1", -1, 1, "log")
    with LocalStore(db) as s:
        assert s.get_dag_run("dag_a", "r1").conf == {"a": 1}
        assert s.get_task_instance("dag_a", "r1", "t1").state is S.SUCCESS
        assert len(s.get_task_instance_tries("dag_a", "r1", "t1")) == 1
        assert len(s.get_xcoms("dag_a", run_id="r1")) == 1
        assert s.get_rendered_fields("dag_a", "r1", "t1") == {"f": "v"}
        assert s.read_log("dag_a", "r1", "t1", -1, 1) == "log"


def test_for_home_uses_riir_local_db_under_airflow_home_and_creates_it(tmp_path: Path) -> None:
    home = tmp_path / "airflow_home"
    with LocalStore.for_home(home) as s:
        s.create_dag_run(run("r1"))
        assert s.path == home / "riir-local.db"
    assert (home / "riir-local.db").is_file()


def test_file_is_in_wal_mode_with_a_schema_version_table(db: Path) -> None:
    LocalStore(db).close()
    assert _raw(db, "PRAGMA journal_mode") == [("wal",)]
    assert _raw(db, "SELECT version FROM schema_version") == [(sqlite_schema.SCHEMA_VERSION,)]


def test_datetimes_are_stored_as_utc_iso_text_and_conf_as_json(db: Path) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1", logical_date=at(1, 9).in_timezone("Asia/Tokyo"), conf={"k": [1]}))
    rows = _raw(db, "SELECT logical_date, conf FROM dag_run")
    assert rows == [("2024-01-01T09:00:00.000000+00:00", '{"k": [1]}')]


def test_delete_cascade_relies_on_foreign_keys_being_on(db: Path) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))
        s.put_task_instances([ti("t1", try_number=1)])
        s.append_log("dag_a", "r1", "t1", -1, 1, "x")
        s.delete_dag_run("dag_a", "r1")
    for table in ("task_instance", "task_instance_history", "xcom", "rendered_fields", "task_log"):
        assert _raw(db, f"SELECT COUNT(*) FROM {table}") == [(0,)], table


def test_closed_store_refuses_calls_and_close_is_idempotent(db: Path) -> None:
    s = LocalStore(db)
    s.close()
    s.close()
    with pytest.raises(sqlite3.ProgrammingError):
        s.get_dag_run("dag_a", "r1")


# -- migrations -----------------------------------------------------------------------------
def test_an_older_file_is_migrated_forward_once_keeping_its_data(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))
    step = ["ALTER TABLE dag_run ADD COLUMN bundle_name TEXT"]
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", [*sqlite_schema.MIGRATIONS, step])
    for _ in range(2):  # the second open must not re-apply the step (it would fail)
        with LocalStore(db) as s:
            assert s.get_dag_run("dag_a", "r1") is not None
    assert _raw(db, "SELECT version FROM schema_version") == [(sqlite_schema.SCHEMA_VERSION + 1,)]
    assert "bundle_name" in [row[1] for row in _raw(db, "PRAGMA table_info(dag_run)")]


def test_a_version_2_file_gains_the_deferral_table_keeping_its_runs(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as m:  # a file written before deferrals were stored
        m.setattr(sqlite_schema, "MIGRATIONS", sqlite_schema.MIGRATIONS[:2])
        with LocalStore(db) as s:
            s.create_dag_run(run("r1"))
    assert _raw(db, "SELECT version FROM schema_version") == [(2,)]
    with LocalStore(db) as s:
        assert s.get_dag_run("dag_a", "r1") is not None
        s.set_deferral(DeferralRecord("dag_a", "r1", "t1", "x.Trigger", "{}", "execute_complete"))
        assert [d.task_id for d in s.get_deferrals("dag_a", "r1")] == ["t1"]
    assert _raw(db, "SELECT version FROM schema_version") == [(sqlite_schema.SCHEMA_VERSION,)]
    assert sqlite_schema.SCHEMA_VERSION >= 3


def test_a_file_from_a_newer_version_is_refused(db: Path) -> None:
    LocalStore(db).close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE schema_version SET version = 999")
    conn.close()
    with pytest.raises(sqlite_schema.SchemaTooNew):
        LocalStore(db)


# -- validation and atomicity ---------------------------------------------------------------
def test_writes_for_a_missing_run_raise_key_error(db: Path) -> None:
    with LocalStore(db) as s:
        with pytest.raises(KeyError):
            s.update_dag_run("dag_a", "nope", state=DagRunState.RUNNING)
        with pytest.raises(KeyError):
            s.put_task_instances([ti("t1", run_id="nope")])
        with pytest.raises(KeyError):
            s.set_xcom(xcom("t1", run_id="nope"))
        with pytest.raises(KeyError):
            s.set_rendered_fields("dag_a", "nope", "t1", -1, {})
        with pytest.raises(KeyError):
            s.append_log("dag_a", "nope", "t1", -1, 1, "x")


def test_put_task_instances_is_all_or_nothing(db: Path) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))
        with pytest.raises(KeyError):
            s.put_task_instances([ti("t1", try_number=1), ti("t1", run_id="nope")])
        assert s.get_task_instances("dag_a", "r1") == []
        s.put_task_instances([ti("t1", try_number=1)])  # no transaction left dangling
        assert len(s.get_task_instances("dag_a", "r1")) == 1


def test_naive_datetimes_are_refused(db: Path) -> None:
    naive = at(1).naive()
    with LocalStore(db) as s:
        with pytest.raises(ValueError, match="naive"):
            s.create_dag_run(run("r1", logical_date=naive))
        s.create_dag_run(run("r1"))
        with pytest.raises(ValueError, match="naive"):
            s.put_task_instances([ti("t1", start_date=naive)])
        with pytest.raises(ValueError, match="naive"):
            s.update_dag_run("dag_a", "r1", end_date=naive)
        with pytest.raises(ValueError, match="naive"):
            s.list_dag_runs("dag_a", logical_date_before=naive)


def test_unknown_state_values_are_refused(db: Path) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))
        with pytest.raises(ValueError):
            s.put_task_instances([ti("t1", state="bogus")])
        with pytest.raises(ValueError):
            s.update_dag_run("dag_a", "r1", state="bogus")


def test_negative_limit_is_refused(db: Path) -> None:
    with LocalStore(db) as s, pytest.raises(ValueError):
        s.list_dag_runs("dag_a", limit=-1)


# -- sharing one file -----------------------------------------------------------------------
def test_two_instances_on_one_file_see_each_others_writes(db: Path) -> None:
    with LocalStore(db) as a, LocalStore(db) as b:
        a.create_dag_run(run("r1", day=1))
        b.put_task_instances([ti("t1", state=S.RUNNING, try_number=1)])
        assert a.get_task_instance("dag_a", "r1", "t1").state is S.RUNNING
        a.update_dag_run("dag_a", "r1", state=DagRunState.SUCCESS)
        assert b.get_dag_run("dag_a", "r1").state is DagRunState.SUCCESS
        b.set_variable(VariableRecord("k", "v"))
        assert a.get_variable("k") == VariableRecord("k", "v")


def test_concurrent_writes_from_threads_all_land(db: Path) -> None:
    threads_n, per_thread = 8, 40
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))

        def work(n: int) -> None:
            for i in range(per_thread):
                task_id = f"t{n}_{i}"
                s.put_task_instances([ti(task_id, state=S.SUCCESS, try_number=1)])
                s.set_xcom(xcom(task_id, value=str(i)))
                s.append_log("dag_a", "r1", "shared", -1, 1, f"{n}:{i}\n")
                s.get_task_instances("dag_a", "r1")

        with ThreadPoolExecutor(max_workers=threads_n) as pool:
            for future in [pool.submit(work, n) for n in range(threads_n)]:
                future.result()  # re-raises a worker's exception
        assert len(s.get_task_instances("dag_a", "r1")) == threads_n * per_thread
        assert len(s.get_xcoms("dag_a", run_id="r1")) == threads_n * per_thread
        lines = s.read_log("dag_a", "r1", "shared", -1, 1).splitlines()
        assert sorted(lines) == sorted(f"{n}:{i}" for n in range(threads_n) for i in range(per_thread))
        for n in range(threads_n):  # each thread's chunks stay in its own append order
            mine = [int(line.split(":")[1]) for line in lines if line.startswith(f"{n}:")]
            assert mine == list(range(per_thread))


_CHILD = textwrap.dedent(
    """
    import sys
    import pendulum
    from riir_airflow.sdk.state import DagRunState
    from riir_airflow.store import DagRunRecord, LocalStore

    store = LocalStore(sys.argv[1])
    for i in range(int(sys.argv[2])):
        when = pendulum.datetime(2030, 1, 1, tz="UTC").add(hours=i)
        store.create_dag_run(DagRunRecord("dag_a", f"child_{i}", "scheduled", DagRunState.QUEUED,
                                          run_after=when, logical_date=when))
        store.append_log("dag_a", f"child_{i}", "t", -1, 1, "child")
    store.close()
    """
)


def test_a_second_process_can_write_to_the_same_file_concurrently(db: Path) -> None:
    count = 60
    with LocalStore(db) as s:
        s.create_dag_run(run("parent_base"))
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(db), str(count)], stderr=subprocess.PIPE)
        for i in range(count):
            s.create_dag_run(run(f"parent_{i}", day=None, run_after=at(1, i % 24)))
            s.put_task_instances([ti("t", run_id=f"parent_{i}", state=S.SUCCESS, try_number=1)])
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr.decode()
        run_ids = {r.run_id for r in s.list_dag_runs("dag_a")}
        assert {f"child_{i}" for i in range(count)} <= run_ids
        assert {f"parent_{i}" for i in range(count)} <= run_ids
        assert s.read_log("dag_a", "child_0", "t", -1, 1) == "child"


_OPENER = textwrap.dedent(
    """
    import sys
    from riir_airflow.store import LocalStore, VariableRecord

    with LocalStore(sys.argv[1]) as store:
        store.set_variable(VariableRecord(sys.argv[2], "v"))
    """
)


def test_several_processes_creating_a_fresh_file_at_once_all_succeed(db: Path) -> None:
    # Schema creation runs in one IMMEDIATE transaction: the losers wait, then see the schema.
    openers = [
        subprocess.Popen([sys.executable, "-c", _OPENER, str(db), f"k{i}"], stderr=subprocess.PIPE)
        for i in range(6)
    ]
    for proc in openers:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr.decode()
    with LocalStore(db) as s:
        assert all(s.get_variable(f"k{i}") is not None for i in range(6))
    assert _raw(db, "SELECT COUNT(*) FROM schema_version") == [(1,)]


# Forking from a multi-threaded process (pytest-xdist workers are) is exactly the case tested.
_needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
_fork_while_threaded_ok = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")


def _write_from_forked_child(store: LocalStore) -> None:
    store.put_task_instances([ti("from_child", state=S.SUCCESS, try_number=1)])
    store.append_log("dag_a", "r1", "from_child", -1, 1, "hello from the fork")


@_needs_fork
@_fork_while_threaded_ok
def test_a_forked_child_can_use_the_parents_store_object(db: Path) -> None:
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))
        child = multiprocessing.get_context("fork").Process(target=_write_from_forked_child, args=(s,))
        child.start()
        child.join(timeout=60)
        assert child.exitcode == 0
        assert s.get_task_instance("dag_a", "r1", "from_child").state is S.SUCCESS
        assert s.read_log("dag_a", "r1", "from_child", -1, 1) == "hello from the fork"
        s.put_task_instances([ti("parent_after_fork")])  # the parent's connection still works


@_needs_fork
@_fork_while_threaded_ok
def test_a_fork_taken_while_another_thread_holds_the_store_does_not_deadlock_the_child(db: Path) -> None:
    # Forking while a thread is inside a store call copies a held lock (and a connection in mid
    # transaction) into the child; the child must not inherit either. The private lock stands in
    # for "another thread is inside a store call" deterministically.
    with LocalStore(db) as s:
        s.create_dag_run(run("r1"))
        inside, release = threading.Event(), threading.Event()

        def busy() -> None:
            with s._lock:
                inside.set()
                release.wait(60)

        holder = threading.Thread(target=busy)
        holder.start()
        inside.wait(10)
        try:
            child = multiprocessing.get_context("fork").Process(target=_write_from_forked_child, args=(s,))
            child.start()
            child.join(timeout=20)
            if child.exitcode is None:
                child.kill()
            assert child.exitcode == 0
        finally:
            release.set()
            holder.join()
        assert s.read_log("dag_a", "r1", "from_child", -1, 1) == "hello from the fork"
