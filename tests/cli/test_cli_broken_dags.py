"""Broken DAG files through the CLI: a clear message naming the file (and line), a non-zero
exit, and nothing recorded in the store (nothing half-runs)."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

HEADER = """\
from riir_airflow.sdk import DAG, Param
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

RAN_MARKER = __file__ + ".ran"

def mark():
    open(RAN_MARKER, "w").close()
"""

# name -> (body, text the error must contain, line of the error or None). HEADER is 8 lines and
# each body starts with a blank line, so a body's first statement is line 10.
BROKEN = {
    "syntax_error": (
        """
        with DAG("syntax_error") as dag:
            PythonOperator(task_id="t", python_callable=mark
        """,
        "SyntaxError",
        11,
    ),
    "failing_import": (
        """
        import module_that_does_not_exist_anywhere
        with DAG("failing_import") as dag:
            PythonOperator(task_id="t", python_callable=mark)
        """,
        "module_that_does_not_exist_anywhere",
        10,
    ),
    "cycle": (
        """
        with DAG("cycle") as dag:
            a = PythonOperator(task_id="a", python_callable=mark)
            b = EmptyOperator(task_id="b")
            a >> b >> a
        """,
        "AirflowDagCycleException",
        None,
    ),
    "duplicate_task_id": (
        """
        with DAG("duplicate_task_id") as dag:
            PythonOperator(task_id="same", python_callable=mark)
            EmptyOperator(task_id="same")
        """,
        "DuplicateTaskIdFound",
        12,
    ),
    "unknown_trigger_rule": (
        """
        with DAG("unknown_trigger_rule") as dag:
            PythonOperator(task_id="t", python_callable=mark)
            EmptyOperator(task_id="u", trigger_rule="when_it_rains")
        """,
        "when_it_rains",
        12,
    ),
    "sys_exit_at_import": (
        """
        import sys
        sys.exit("this file refuses to load")
        """,
        "SystemExit: this file refuses to load",
        11,
    ),
    "invalid_param_default": (
        """
        with DAG("invalid_param_default", params={"n": Param("seven", type="integer")}) as dag:
            PythonOperator(task_id="t", python_callable=mark)
        """,
        "ParamValidationError",
        10,
    ),
}


def _write_broken(folder: Path, name: str) -> Path:
    body = BROKEN[name][0]
    path = folder / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def _runs(home: Path) -> list[tuple]:
    db = home / "riir-local.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT dag_id, run_id FROM dag_run").fetchall()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_dags_test_on_a_broken_file_fails_clearly_and_runs_nothing(
    cli, airflow_home: Path, tmp_path: Path, name: str
) -> None:
    path = _write_broken(tmp_path, name)
    proc = cli("dags", "test", str(path), "--output", "json")
    _, expected, line = BROKEN[name]
    assert proc.returncode != 0
    first_line = proc.stderr.strip().splitlines()[0]
    assert first_line.startswith("error: Failed to load DAG file"), proc.stderr
    assert str(path.resolve()) in proc.stderr
    assert expected in proc.stderr
    if line is not None:
        assert f"{path.resolve()}:{line}" in proc.stderr
    assert proc.stdout.strip() == ""
    assert _runs(airflow_home) == []
    assert not Path(str(path) + ".ran").exists()


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_dags_list_reports_a_broken_file_and_exits_non_zero(cli, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    path = _write_broken(folder, name)
    (folder / "fine.py").write_text(
        HEADER + 'with DAG("fine_dag", tags=["x"]) as dag:\n    EmptyOperator(task_id="t")\n'
    )
    proc = cli("dags", "list", str(folder))
    assert proc.returncode != 0
    assert "fine_dag" in proc.stdout
    assert str(path.resolve()) in proc.stderr
    assert BROKEN[name][1] in proc.stderr
    assert "Traceback" not in proc.stderr


def test_list_import_errors_lists_each_broken_file_with_its_line(cli, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    for name in BROKEN:
        _write_broken(folder, name)
    proc = cli("dags", "list-import-errors", str(folder), "-o", "json")
    assert proc.returncode == 1
    import json

    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    by_file = {Path(r["filepath"]).stem: r for r in rows}
    assert set(by_file) == set(BROKEN)
    for name, (_, expected, line) in BROKEN.items():
        assert expected in by_file[name]["error"]
        if line is not None:
            assert by_file[name]["line"] == line


def test_dag_id_lookup_in_a_folder_with_a_broken_file_still_finds_good_dags(cli, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    _write_broken(folder, "syntax_error")
    (folder / "good.py").write_text(HEADER + 'with DAG("good_one") as dag:\n    EmptyOperator(task_id="t")\n')
    proc = cli("dags", "test", "good_one", env={"AIRFLOW__CORE__DAGS_FOLDER": str(folder)})
    assert proc.returncode == 0, proc.stderr


def test_tasks_test_on_a_broken_file_fails_clearly(cli, airflow_home: Path, tmp_path: Path) -> None:
    path = _write_broken(tmp_path, "duplicate_task_id")
    proc = cli("tasks", "test", str(path), "same")
    assert proc.returncode != 0
    assert "DuplicateTaskIdFound" in proc.stderr
    assert _runs(airflow_home) == []


MIXED = HEADER + """
with DAG("cyclic_one") as bad:
    a = EmptyOperator(task_id="a")
    b = EmptyOperator(task_id="b")
    a >> b >> a

with DAG("healthy_one") as good:
    PythonOperator(task_id="t", python_callable=mark)
"""


def test_a_healthy_dag_named_by_dag_id_runs_despite_a_broken_neighbour(cli, airflow_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.py"
    path.write_text(MIXED)
    proc = cli("dags", "test", str(path), "--dag-id", "healthy_one", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert "warning:" in proc.stderr and "cyclic_one" in proc.stderr
    assert [r[0] for r in _runs(airflow_home)] == ["healthy_one"]


def test_the_broken_dag_of_a_mixed_file_still_fails(cli, airflow_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "mixed.py"
    path.write_text(MIXED)
    for args in (["--dag-id", "cyclic_one"], []):
        proc = cli("dags", "test", str(path), *args)
        assert proc.returncode == 1
        assert "AirflowDagCycleException" in proc.stderr
    assert _runs(airflow_home) == []


def test_a_healthy_dag_looked_up_by_id_in_a_mixed_file_runs(cli, tmp_path: Path) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "mixed.py").write_text(MIXED)
    proc = cli("dags", "test", "healthy_one", env={"AIRFLOW__CORE__DAGS_FOLDER": str(folder)})
    assert proc.returncode == 0, proc.stderr
    assert "cyclic_one" in proc.stderr
