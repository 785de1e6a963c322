"""`tasks test`, `tasks render`, `tasks list`, and the small commands (`dags list`, `dags show`,
`version`, `config get-value`), end to end (spec sections 11, 13.4)."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

DAG_FILE = """\
from riir_airflow.sdk import DAG, task
from riir_airflow.providers.standard.operators.bash import BashOperator

with DAG("tasks_dag", params={"who": "dag"}, tags=["b", "a"]) as dag:
    @task
    def upstream():
        raise RuntimeError("upstream must not run in tasks test")

    show = BashOperator(
        task_id="show",
        bash_command="echo {{ params.who }} {{ ds }} $AIRFLOW_TEST_MODE {{ ti.xcom_pull(task_ids='upstream') }}",
        env={"K": "{{ ds_nodash }}"},
        append_env=True,
    )
    upstream() >> show
"""


@pytest.fixture
def dag_file(tmp_path: Path) -> Path:
    path = tmp_path / "tasks_dag.py"
    path.write_text(DAG_FILE)
    return path


def _runs(home: Path) -> list[str]:
    db = home / "riir-local.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT run_id FROM dag_run")]


def _last_json(stdout: str) -> object:
    return json.loads([ln for ln in stdout.splitlines() if ln.strip()][-1])


# -- tasks test --------------------------------------------------------------------------------------
def test_tasks_test_runs_one_task_ignoring_its_upstream(cli, dag_file: Path) -> None:
    proc = cli("tasks", "test", str(dag_file), "show", "2024-01-01")
    assert proc.returncode == 0, proc.stderr
    assert _last_json(proc.stdout) == {"task_id": "show", "state": "success"}
    assert "dag 2024-01-01 True None" in proc.stderr


def test_tasks_test_leaves_no_run_behind(cli, airflow_home: Path, dag_file: Path) -> None:
    cli("tasks", "test", str(dag_file), "show", "2024-01-01")
    assert _runs(airflow_home) == []


def test_tasks_test_failure_exits_1_and_leaves_no_run(cli, airflow_home: Path, dag_file: Path) -> None:
    proc = cli("tasks", "test", str(dag_file), "upstream")
    assert proc.returncode == 1
    assert _last_json(proc.stdout) == {"task_id": "upstream", "state": "failed"}
    assert "upstream must not run" in proc.stderr
    assert _runs(airflow_home) == []


def test_tasks_test_merges_task_params(cli, dag_file: Path) -> None:
    proc = cli("tasks", "test", str(dag_file), "show", "2024-01-01", "-t", '{"who": "cli"}')
    assert "cli 2024-01-01" in proc.stderr


def test_tasks_test_in_an_existing_run_by_run_id_or_date(cli, airflow_home: Path, dag_file: Path) -> None:
    dag_run = _last_json(
        cli("dags", "test", str(dag_file), "-l", "2024-01-01", "--output", "json", "--mark-success-pattern", "upstream").stdout
    )
    run_id = dag_run["run_id"]
    by_id = cli("tasks", "test", str(dag_file), "show", run_id)
    assert by_id.returncode == 0, by_id.stderr
    by_date = cli("tasks", "test", str(dag_file), "show", "2024-01-01")
    assert by_date.returncode == 0, by_date.stderr
    assert _runs(airflow_home) == [run_id]


def test_tasks_test_unknown_task_is_a_clear_error(cli, dag_file: Path) -> None:
    proc = cli("tasks", "test", str(dag_file), "nope")
    assert proc.returncode == 1
    assert "Task 'nope' not found" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "{bad"], "-t/--task-params is not valid JSON"),
        (["not-a-date"], "Invalid logical date"),
    ],
)
def test_tasks_test_bad_arguments_are_clear_errors(cli, dag_file: Path, args: list[str], message: str) -> None:
    proc = cli("tasks", "test", str(dag_file), "show", *args)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


# -- tasks render -------------------------------------------------------------------------------------
def test_tasks_render_prints_each_field_under_a_property_banner(cli, airflow_home: Path, dag_file: Path) -> None:
    proc = cli("tasks", "render", str(dag_file), "show", "2024-01-01")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for field in ("bash_command", "env", "cwd"):
        assert f"# property: {field}" in out
    blocks = out.split("# property: ")
    bash_block = next(b for b in blocks if b.startswith("bash_command"))
    assert "echo dag 2024-01-01 $AIRFLOW_TEST_MODE None" in bash_block
    env_block = next(b for b in blocks if b.startswith("env"))
    assert '{"K": "20240101"}' in env_block
    assert _runs(airflow_home) == []


def test_tasks_render_does_not_run_the_task(cli, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "render_only.py"
    path.write_text(textwrap.dedent(f"""
        from riir_airflow.sdk import DAG
        from riir_airflow.providers.standard.operators.python import PythonOperator
        with DAG("render_only") as dag:
            PythonOperator(task_id="t", python_callable=lambda: open({str(marker)!r}, "w"), op_args=["{{{{ ds }}}}"])
    """))
    proc = cli("tasks", "render", str(path), "t", "2024-01-01")
    assert proc.returncode == 0, proc.stderr
    assert '["2024-01-01"]' in proc.stdout
    assert not marker.exists()


def test_tasks_list_prints_task_ids_in_dependency_order(cli, dag_file: Path) -> None:
    proc = cli("tasks", "list", str(dag_file))
    assert proc.stdout.split() == ["upstream", "show"]


# -- other commands --------------------------------------------------------------------------------------
def test_dags_list_json(cli, dag_file: Path) -> None:
    proc = cli("dags", "list", str(dag_file.parent), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows == [{"dag_id": "tasks_dag", "fileloc": str(dag_file.resolve()), "owners": "airflow", "tags": "a,b"}]


def test_dags_list_table_and_empty_folder(cli, dag_file: Path, tmp_path: Path) -> None:
    table = cli("dags", "list", str(dag_file))
    assert "dag_id" in table.stdout and "tasks_dag" in table.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli("dags", "list", str(empty))
    assert nothing.returncode == 0
    assert "No data found" in nothing.stdout


def test_dags_list_of_a_missing_path_is_a_clear_error(cli, tmp_path: Path) -> None:
    proc = cli("dags", "list", str(tmp_path / "missing"))
    assert proc.returncode == 1
    assert "No such file or folder" in proc.stderr


def test_dags_show_prints_tasks_and_edges(cli, dag_file: Path) -> None:
    proc = cli("dags", "show", str(dag_file))
    assert proc.returncode == 0, proc.stderr
    assert "upstream" in proc.stdout and ">> show" in proc.stdout


def test_version(cli) -> None:
    proc = cli("version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("riir-airflow ")
    assert "Airflow interface 3." in proc.stdout


def test_config_get_value_reads_env_and_reports_unknown_options(cli) -> None:
    proc = cli("config", "get-value", "core", "dags_folder", env={"AIRFLOW__CORE__DAGS_FOLDER": "/somewhere/dags"})
    assert proc.stdout.strip() == "/somewhere/dags"
    missing = cli("config", "get-value", "core", "no_such_option_here")
    assert missing.returncode == 1
    assert "not found" in missing.stderr


def test_no_command_prints_usage_and_fails(cli) -> None:
    proc = cli()
    assert proc.returncode != 0
    assert "usage" in proc.stderr.lower()


# -- mapped tasks ------------------------------------------------------------------------------------
MAPPED = """\
from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
with DAG("mapped_cli") as dag:
    BashOperator.partial(task_id="echo").expand(bash_command=["echo zero", "echo one {{ ds }}"])
"""


def test_tasks_test_and_render_of_a_mapped_instance(cli, airflow_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "mapped_cli.py"
    path.write_text(MAPPED)
    ran = cli("tasks", "test", str(path), "echo", "2024-01-01", "--map-index", "1")
    assert ran.returncode == 0, ran.stderr
    assert "one 2024-01-01" in ran.stderr
    rendered = cli("tasks", "render", str(path), "echo", "2024-01-01", "--map-index", "0")
    assert "echo zero" in rendered.stdout
    assert _runs(airflow_home) == []


@pytest.mark.parametrize(("args", "message"), [([], "is mapped"), (["--map-index", "9"], "out of range")])
def test_tasks_test_of_a_mapped_task_with_a_bad_map_index(cli, tmp_path: Path, args: list[str], message: str) -> None:
    path = tmp_path / "mapped_cli.py"
    path.write_text(MAPPED)
    proc = cli("tasks", "test", str(path), "echo", "2024-01-01", *args)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
