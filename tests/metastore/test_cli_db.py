"""`riir-airflow db migrate | check | reset` in subprocesses, on SQLite under $AIRFLOW_HOME and on
the real PostgreSQL through AIRFLOW__DATABASE__SQL_ALCHEMY_CONN."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from store.metastore_support import postgres_schema

from riir_airflow.metastore.migrate import head_revision


def db_cli(
    *args: str, home: Path, conn: str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(home)
    if conn is not None:
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = conn
    return subprocess.run(
        [sys.executable, "-m", "riir_airflow", "db", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def _variables(db: Path) -> list[tuple[str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT key FROM variable").fetchall()


def test_migrate_creates_airflow_home_and_the_sqlite_file_then_check_passes(tmp_path: Path) -> None:
    home = tmp_path / "not" / "yet" / "home"
    check = db_cli("check", home=home)
    assert check.returncode == 1 and "no schema yet" in check.stderr
    first = db_cli("migrate", home=home)
    assert first.returncode == 0, first.stderr
    head = head_revision()
    assert f"from revision (empty) to {head}" in first.stdout
    assert (home / "airflow.db").is_file()
    again = db_cli("migrate", home=home)
    assert again.returncode == 0 and f"already at revision {head}" in again.stdout
    check = db_cli("check", home=home)
    assert check.returncode == 0 and f"at revision {head}" in check.stdout
    assert "alembic" not in first.stderr + again.stderr  # our summary line, not Alembic's chatter


def test_reset_asks_first_and_only_yes_drops_the_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert db_cli("migrate", home=home).returncode == 0
    with sqlite3.connect(home / "airflow.db") as conn:
        conn.execute("INSERT INTO variable (key, val, is_encrypted) VALUES ('k', 'v', 0)")
    for answer in ("n\n", ""):
        kept = db_cli("reset", home=home, stdin=answer)
        assert kept.returncode == 1 and "Proceed?" in kept.stdout and "nothing was changed" in kept.stderr
        assert _variables(home / "airflow.db") == [("k",)]
    confirmed = db_cli("reset", home=home, stdin="y\n")
    assert confirmed.returncode == 0, confirmed.stderr
    assert _variables(home / "airflow.db") == []
    with sqlite3.connect(home / "airflow.db") as conn:
        conn.execute("INSERT INTO variable (key, val, is_encrypted) VALUES ('k2', 'v', 0)")
    assert db_cli("reset", "-y", home=home).returncode == 0
    assert _variables(home / "airflow.db") == []
    assert db_cli("check", home=home).returncode == 0


def test_the_db_commands_work_on_postgres(tmp_path: Path) -> None:
    with postgres_schema() as url:
        assert db_cli("check", home=tmp_path, conn=url).returncode == 1
        migrated = db_cli("migrate", home=tmp_path, conn=url)
        assert migrated.returncode == 0, migrated.stderr
        assert db_cli("check", home=tmp_path, conn=url).returncode == 0
        assert db_cli("reset", "-y", home=tmp_path, conn=url).returncode == 0
        assert db_cli("check", home=tmp_path, conn=url).returncode == 0
    assert not (tmp_path / "airflow.db").exists()


def test_unreachable_or_unsupported_databases_fail_with_a_reason_and_no_password(tmp_path: Path) -> None:
    down = db_cli("check", home=tmp_path, conn="postgresql://me:hunter2@127.0.0.1:1/x")
    assert down.returncode == 1 and "cannot reach" in down.stderr and "hunter2" not in down.stderr
    migrate = db_cli("migrate", home=tmp_path, conn="postgresql://me:hunter2@127.0.0.1:1/x")
    assert migrate.returncode == 1 and "cannot migrate" in migrate.stderr and "hunter2" not in migrate.stderr
    assert "Traceback" not in migrate.stderr
    other = db_cli("check", home=tmp_path, conn="mysql://u@h/db")
    assert other.returncode == 1 and "unsupported database" in other.stderr
