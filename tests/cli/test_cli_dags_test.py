"""`python -m riir_airflow dags test` end to end, in subprocesses with a fresh AIRFLOW_HOME
(DESIGN.md "Contracts"; spec sections 11, 13.3)."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest

DAG_FILE = """\
from riir_airflow.sdk import DAG, Param, task
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator

with DAG("cli_dag", params={"n": Param(1, type="integer")}, schedule="@daily") as dag:
    @task
    def double(params=None):
        return params["n"] * 2

    @task
    def look_back(ti=None, prev_data_interval_start_success=None):
        return {
            "prev": prev_data_interval_start_success.isoformat() if prev_data_interval_start_success else None,
            "prior": ti.xcom_pull(task_ids="double", include_prior_dates=True),
        }

    bash = BashOperator(task_id="bash", bash_command="echo {{ ds }} {{ params.n }}")
    double() >> bash >> look_back()
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _report(proc: Any) -> dict:
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, f"no stdout; stderr:\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1])


def _runs(home: Path) -> list[tuple[str, str, str]]:
    db = home / "riir-local.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT dag_id, run_id, state FROM dag_run ORDER BY run_id").fetchall()


@pytest.fixture
def dag_file(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    return _write(folder, "cli_dag.py", DAG_FILE)


def test_dags_test_json_report_is_the_last_stdout_line(cli, dag_file: Path) -> None:
    proc = cli("dags", "test", str(dag_file), "--logical-date", "2024-01-01", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    report = _report(proc)
    assert report["dag_id"] == "cli_dag"
    assert report["logical_date"] == "2024-01-01T00:00:00+00:00"
    assert report["run_state"] == "success"
    assert report["run_id"].startswith("manual__")
    assert report["tasks"]["double"] == {"state": "success", "try_number": 1, "xcom_return": 2}
    assert report["tasks"]["bash"]["xcom_return"] == "2024-01-01 1"
    assert report["rendered"]["bash"]["bash_command"] == "echo 2024-01-01 1"


def test_dags_test_conf_overrides_params(cli, dag_file: Path) -> None:
    proc = cli("dags", "test", str(dag_file), "-l", "2024-01-01", "--conf", '{"n": 21}', "--output", "json")
    assert _report(proc)["tasks"]["double"]["xcom_return"] == 42


def test_dags_test_positional_logical_date_with_offset_is_stored_in_utc(cli, dag_file: Path) -> None:
    proc = cli("dags", "test", str(dag_file), "2024-03-05T06:00:00+01:00", "--output", "json")
    assert _report(proc)["logical_date"] == "2024-03-05T05:00:00+00:00"


def test_dags_test_text_output_ends_with_the_run_state(cli, dag_file: Path) -> None:
    proc = cli("dags", "test", str(dag_file), "-l", "2024-01-01")
    assert proc.returncode == 0
    assert proc.stdout.strip().splitlines()[-1].endswith(": success")
    assert "double" in proc.stdout


def test_dags_test_logs_go_to_stderr(cli, dag_file: Path) -> None:
    proc = cli("dags", "test", str(dag_file), "-l", "2024-01-01", "--output", "json")
    assert "Marking task as SUCCESS" in proc.stderr


def test_second_dags_test_on_another_date_sees_the_first_run(cli, dag_file: Path) -> None:
    first = _report(cli("dags", "test", str(dag_file), "-l", "2024-01-01", "--output", "json"))
    second = _report(cli("dags", "test", str(dag_file), "-l", "2024-01-02", "-c", '{"n": 5}', "--output", "json"))
    assert first["tasks"]["look_back"]["xcom_return"] == {"prev": None, "prior": 2}
    # include_prior_dates gives every value up to this run's date, as Airflow 3.3 does.
    assert second["tasks"]["look_back"]["xcom_return"] == {"prev": "2024-01-01T00:00:00+00:00", "prior": [2, 10]}


def test_dags_test_again_on_the_same_date_replaces_the_run(cli, airflow_home: Path, dag_file: Path) -> None:
    first = _report(cli("dags", "test", str(dag_file), "-l", "2024-01-01", "--output", "json"))
    second = _report(cli("dags", "test", str(dag_file), "-l", "2024-01-01", "--output", "json"))
    assert [r[1] for r in _runs(airflow_home)] == [second["run_id"]]
    assert first["run_id"] != second["run_id"]


def test_failed_run_exits_1_and_still_reports(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "failing.py", """
        from riir_airflow.sdk import DAG, task
        with DAG("failing") as dag:
            @task
            def boom():
                raise ValueError("nope")
            boom()
    """)
    proc = cli("dags", "test", str(path), "--output", "json")
    assert proc.returncode == 1
    report = _report(proc)
    assert report["run_state"] == "failed"
    assert report["tasks"]["boom"]["state"] == "failed"
    assert "ValueError: nope" in proc.stderr


def test_dags_test_without_date_uses_now(cli, dag_file: Path) -> None:
    report = _report(cli("dags", "test", str(dag_file), "--output", "json"))
    assert report["logical_date"] is not None
    assert report["run_state"] == "success"


def test_mark_success_pattern_flag(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "marked.py", """
        from riir_airflow.sdk import DAG, task
        with DAG("marked") as dag:
            @task
            def extract():
                raise RuntimeError("must not run")
            @task
            def load():
                return "ran"
            extract() >> load()
    """)
    proc = cli("dags", "test", str(path), "--mark-success-pattern", "ext.*", "--output", "json")
    report = _report(proc)
    assert proc.returncode == 0
    assert report["tasks"]["extract"]["state"] == "success"
    assert report["tasks"]["extract"]["xcom_return"] is None
    assert report["tasks"]["load"]["xcom_return"] == "ran"


def test_dag_id_picks_among_several_dags_of_a_file(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "two.py", """
        from riir_airflow.sdk import DAG
        from riir_airflow.providers.standard.operators.empty import EmptyOperator
        for name in ("first", "second"):
            with DAG(name):
                EmptyOperator(task_id=f"t_{name}")
    """)
    ambiguous = cli("dags", "test", str(path))
    assert ambiguous.returncode == 1
    assert "several DAGs" in ambiguous.stderr and "--dag-id" in ambiguous.stderr
    chosen = _report(cli("dags", "test", str(path), "--dag-id", "second", "--output", "json"))
    assert list(chosen["tasks"]) == ["t_second"]
    unknown = cli("dags", "test", str(path), "--dag-id", "third")
    assert unknown.returncode == 1 and "third" in unknown.stderr


def test_dag_id_is_found_in_the_dags_folder(cli, airflow_home: Path, dag_file: Path) -> None:
    proc = cli(
        "dags", "test", "cli_dag", "-l", "2024-01-01", "--output", "json",
        env={"AIRFLOW__CORE__DAGS_FOLDER": str(dag_file.parent)},
    )
    assert proc.returncode == 0, proc.stderr
    assert _report(proc)["dag_id"] == "cli_dag"


def test_airflow_var_and_conn_environment_reach_the_task(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "env_vars.py", """
        from riir_airflow.sdk import DAG, task, Variable
        from riir_airflow.hooks.base import BaseHook
        with DAG("env_vars") as dag:
            @task
            def read():
                return [Variable.get("color"), BaseHook.get_connection("svc").host]
            read()
    """)
    proc = cli(
        "dags", "test", str(path), "--output", "json",
        env={"AIRFLOW_VAR_COLOR": "blue", "AIRFLOW_CONN_SVC": "http://svc.example.com:8080"},
    )
    assert _report(proc)["tasks"]["read"]["xcom_return"] == ["blue", "svc.example.com"]


# -- bad arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--conf", "{not json"], "--conf is not valid JSON"),
        (["--conf", "[1, 2]"], "--conf must be a JSON object"),
        (["--conf", '{"n": "not a number"}'], "Invalid --conf"),
        (["--logical-date", "not-a-date"], "Invalid logical date"),
        (["--logical-date", "2024-02-30"], "Invalid logical date"),
        (["--logical-date", "P1D"], "Invalid logical date"),
        (["--logical-date", "2024-01-01/2024-02-01"], "Invalid logical date"),
        (["--mark-success-pattern", "("], "not a valid regular expression"),
    ],
)
def test_bad_arguments_give_a_clear_error_and_record_no_run(
    cli, airflow_home: Path, dag_file: Path, args: list[str], message: str
) -> None:
    proc = cli("dags", "test", str(dag_file), *args)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _runs(airflow_home) == []


def test_missing_dag_file_is_a_clear_error(cli, tmp_path: Path) -> None:
    proc = cli("dags", "test", str(tmp_path / "missing.py"))
    assert proc.returncode == 1
    assert "not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_dag_id_in_dags_folder_is_a_clear_error(cli, tmp_path: Path) -> None:
    proc = cli("dags", "test", "no_such_dag", env={"AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path)})
    assert proc.returncode == 1
    assert "no_such_dag" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_variables_and_connections_from_the_local_store_reach_the_task(cli, airflow_home: Path, tmp_path: Path) -> None:
    from riir_airflow.store.local import LocalStore
    from riir_airflow.store.records import ConnectionRecord, VariableRecord

    with LocalStore.for_home(airflow_home) as store:
        store.set_variable(VariableRecord(key="color", value="green"))
        store.set_connection(ConnectionRecord(conn_id="svc", conn_type="http", host="stored.example.com"))
    path = _write(tmp_path, "store_vars.py", """
        from riir_airflow.sdk import DAG, task, Variable
        from riir_airflow.hooks.base import BaseHook
        from riir_airflow.providers.standard.operators.bash import BashOperator
        with DAG("store_vars") as dag:
            @task
            def read():
                return [Variable.get("color"), BaseHook.get_connection("svc").host]
            read()
            BashOperator(task_id="tmpl", bash_command="echo {{ var.value.color }} {{ conn.svc.host }}")
    """)
    report = _report(cli("dags", "test", str(path), "--output", "json"))
    assert report["tasks"]["read"]["xcom_return"] == ["green", "stored.example.com"]
    assert report["tasks"]["tmpl"]["xcom_return"] == "green stored.example.com"


def test_task_prints_go_to_the_log_not_to_stdout(cli, tmp_path: Path) -> None:
    path = _write(tmp_path, "printer.py", """
        from riir_airflow.sdk import DAG, task
        with DAG("printer") as dag:
            @task
            def talk():
                print("chatty task output")
                return 1
            talk()
    """)
    proc = cli("dags", "test", str(path), "--output", "json")
    assert "chatty task output" not in proc.stdout
    assert "chatty task output" in proc.stderr
    assert json.loads(proc.stdout.strip())["run_state"] == "success"
