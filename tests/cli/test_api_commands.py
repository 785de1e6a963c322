"""The CLI against a running system: `riir-airflow dags/tasks ...` as subprocesses talking to a
real `riir-airflow broker` process (SQLite metastore under a tmp $AIRFLOW_HOME) through its REST
API, with credentials from the environment (RIIR_API_URL, RIIR_API_USERNAME/PASSWORD).

DAGs are registered and runs seeded as an app would (an app token and `BrokerStore`); one broker
serves the module, so tests that change something use DAGs of their own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import pytest
from broker.support import BrokerProcess, broker_env, http, login, riir

from riir_airflow.sdk.state import DagRunState, TaskInstanceState
from riir_airflow.store.broker_client import BrokerStore
from riir_airflow.store.records import DagRunRecord, TaskInstanceRecord
from riir_airflow.wire.messages import SerializedDag, SerializedTask

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")
DAGS = ("etl", "etl_hourly", "to_pause", "regex_a", "regex_b", "to_delete", "to_trigger", "to_clear")
TASKS = ("extract", "transform", "load")


@dataclass
class System:
    url: str
    env: dict[str, str]  # the CLI's environment: the broker's plus RIIR_API_* credentials
    app: BrokerStore

    def cli(self, *args: str, check: bool = True, input: str = "") -> subprocess.CompletedProcess[str]:
        """`riir-airflow ARGS` with `input` on stdin (empty: a prompt reads EOF, "no")."""
        done = subprocess.run([sys.executable, "-m", "riir_airflow", *args], env=self.env, input=input,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        if check and done.returncode != 0:
            raise AssertionError(f"riir-airflow {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "-o", "json").stdout)

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        token = login(self.url, "admin", "admin-pw")
        return http(method, f"{self.url}/api/v2{path}", body, token=token)


def _register(app: BrokerStore) -> None:
    tasks = [
        SerializedTask(task_id=t, operator="BashOperator", downstream_task_ids=list(TASKS[i + 1 : i + 2]))
        for i, t in enumerate(TASKS)
    ]
    common = {"tasks": tasks, "schedule": "@daily", "owner": "data", "tags": ["team"], "start_date": T0,
              "is_paused_upon_creation": False}  # fmt: skip
    dags = [SerializedDag(dag_id, f"/dags/{dag_id.split('_')[0]}.py", **common) for dag_id in DAGS]
    app.register(dags, code_hash="h1", fileloc="/dags/etl.py")
    for dag_id in DAGS:
        assert app.acquire_lease(dag_id).held


def _add_run(app: BrokerStore, dag_id: str, run_id: str, day: int, state: str, tis: dict[str, str],
             run_type: str = "scheduled", conf: dict[str, Any] | None = None) -> None:  # fmt: skip
    logical = T0.add(days=day)
    app.create_dag_run(DagRunRecord(
        dag_id, run_id, run_type, DagRunState(state), run_after=logical, logical_date=logical,
        data_interval_start=logical, data_interval_end=logical.add(days=1), start_date=logical.add(minutes=1),
        end_date=logical.add(minutes=5) if state in ("success", "failed") else None, conf=conf or {},
    ))  # fmt: skip
    app.put_task_instances([
        TaskInstanceRecord(
            dag_id=dag_id, run_id=run_id, task_id=task_id, state=TaskInstanceState(ti_state), try_number=1,
            operator="BashOperator", hostname="host", start_date=logical.add(minutes=2),
            end_date=logical.add(minutes=3) if ti_state in ("success", "failed", "upstream_failed") else None,
        )
        for task_id, ti_state in tis.items()
    ])  # fmt: skip


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    home = tmp_path_factory.mktemp("home")
    env = broker_env(
        home, f"sqlite:///{home / 'airflow.db'}", riir__token_cache_seconds="0", riir__app_rate_limit="0"
    )
    for key in (
        "RIIR_API_URL",
        "RIIR_API_TOKEN",
        "RIIR_API_USERNAME",
        "RIIR_API_PASSWORD",
        "RIIR_BROKER_URL",
    ):
        env.pop(key, None)
    riir(env, "db", "migrate")
    riir(env, "users", "create", "-u", "admin", "-r", "admin", "-p", "admin-pw")
    riir(env, "users", "create", "-u", "viewer", "-r", "viewer", "-p", "viewer-pw")
    with BrokerProcess(env, home / "broker.log") as broker:
        args = ["apps", "token", "create", "-o", "json"] + [a for d in DAGS for a in ("--dag-id", d)]
        token = json.loads(riir(env, *args).stdout)["token"]
        app = BrokerStore(broker.url, token)
        _register(app)
        everything = dict.fromkeys(TASKS, "success")
        _add_run(app, "etl", "scheduled__1", 0, "success", everything)
        _add_run(app, "etl", "scheduled__2", 1, "failed",
                 {"extract": "success", "transform": "failed", "load": "upstream_failed"})  # fmt: skip
        _add_run(app, "etl", "backfill__3", 2, "success", everything, run_type="backfill")
        _add_run(app, "etl", "manual__4", 3, "running", {"extract": "running"}, run_type="manual",
                 conf={"table": "users"})  # fmt: skip
        _add_run(app, "to_clear", "r1", 0, "failed",
                 {"extract": "success", "transform": "failed", "load": "upstream_failed"})  # fmt: skip
        _add_run(app, "to_clear", "r2", 1, "success", everything)
        _add_run(app, "to_delete", "r1", 0, "success", everything)
        cli_env = {
            **env,
            "RIIR_API_URL": broker.url,
            "RIIR_API_USERNAME": "admin",
            "RIIR_API_PASSWORD": "admin-pw",
        }
        yield System(broker.url, cli_env, app)
        app.close()


# -- dags list / report ----------------------------------------------------------------------------
def test_dags_list_shows_the_registered_dags_with_their_paused_state(system: System) -> None:
    dags = system.json("dags", "list")
    assert [d["dag_id"] for d in dags] == sorted(d["dag_id"] for d in dags)
    etl = next(d for d in dags if d["dag_id"] == "etl")
    assert etl == {"dag_id": "etl", "fileloc": "/dags/etl.py", "owners": ["data"], "is_paused": False}
    assert {"etl", "etl_hourly", "to_clear"} <= {d["dag_id"] for d in dags}


def test_dags_list_table_has_a_header_and_one_line_per_dag_and_columns_picks_fields(system: System) -> None:
    table = system.cli("dags", "list").stdout.splitlines()
    assert table[0].split(" | ")[0].strip() == "dag_id" and "is_paused" in table[0]
    assert any(line.startswith("etl ") and "/dags/etl.py" in line and "data" in line for line in table[2:])
    picked = system.json("dags", "list", "--columns", "dag_id,tags")
    assert {"dag_id": "etl", "tags": [{"name": "team", "dag_id": "etl", "dag_display_name": "etl"}]} in picked
    bad = system.cli("dags", "list", "--columns", "dag_id,nope", check=False)
    assert bad.returncode == 1 and "nope" in bad.stderr


def test_dags_list_of_a_folder_still_reads_the_files_when_a_system_is_configured(
    system: System, tmp_path: Path
) -> None:
    (tmp_path / "local.py").write_text(
        "from riir_airflow.sdk import DAG\nfrom riir_airflow.providers.standard.operators.empty import EmptyOperator\n"
        "with DAG('only_local', schedule=None):\n    EmptyOperator(task_id='t')\n"
    )
    listed = system.json("dags", "list", str(tmp_path))
    assert [d["dag_id"] for d in listed] == ["only_local"]


def test_dags_report_groups_the_running_systems_dags_by_file(system: System) -> None:
    rows = system.json("dags", "report")
    etl = next(r for r in rows if r["file"] == "/dags/etl.py")
    assert etl["dag_num"] == 2 and etl["dags"] == "etl,etl_hourly"


# -- dags trigger / state / list-runs --------------------------------------------------------------
def test_dags_trigger_creates_a_queued_manual_run_that_list_runs_and_state_show(system: System) -> None:
    [run] = system.json("dags", "trigger", "to_trigger", "-c", '{"day": 3}', "-r", "my_run",
                        "-l", "2024-03-01T10:00:00.123456+00:00")  # fmt: skip
    assert run["dag_id"] == "to_trigger" and run["dag_run_id"] == "my_run"
    assert run["state"] == "queued" and run["run_type"] == "manual" and run["conf"] == {"day": 3}
    assert run["logical_date"].startswith("2024-03-01T10:00:00") and ".123456" not in run["logical_date"]
    runs = system.json("dags", "list-runs", "to_trigger")
    assert [(r["run_id"], r["state"]) for r in runs] == [("my_run", "queued")]
    assert system.cli("dags", "state", "to_trigger", "my_run").stdout == 'queued, {"day": 3}\n'
    assert system.cli("dags", "state", "to_trigger", "2024-03-01T10:00:00+00:00").stdout.startswith("queued")


def test_dags_trigger_without_a_logical_date_gets_a_generated_run_id_and_none_logical_date(
    system: System,
) -> None:
    [run] = system.json("dags", "trigger", "to_trigger")
    assert run["dag_run_id"].startswith("manual__") and run["logical_date"] is None
    assert run["state"] == "queued"


def test_dags_trigger_refuses_a_taken_run_id_bad_conf_and_an_unknown_dag(system: System) -> None:
    system.cli("dags", "trigger", "to_trigger", "-r", "twice")
    again = system.cli("dags", "trigger", "to_trigger", "-r", "twice", check=False)
    assert again.returncode == 1 and "409" in again.stderr and "Traceback" not in again.stderr
    bad = system.cli("dags", "trigger", "to_trigger", "-c", "[1]", check=False)
    assert bad.returncode == 1 and "--conf must be a JSON object" in bad.stderr
    unknown = system.cli("dags", "trigger", "no_such_dag", check=False)
    assert unknown.returncode == 1 and "404" in unknown.stderr and "no_such_dag" in unknown.stderr


def test_dags_list_runs_is_newest_first_and_filters_by_state_dates_and_backfill(system: System) -> None:
    runs = system.json("dags", "list-runs", "etl")
    assert [r["run_id"] for r in runs] == ["manual__4", "backfill__3", "scheduled__2", "scheduled__1"]
    assert set(runs[0]) == {
        "dag_id",
        "run_id",
        "state",
        "run_after",
        "logical_date",
        "start_date",
        "end_date",
    }
    assert [r["run_id"] for r in system.json("dags", "list-runs", "etl", "--state", "success")] == [
        "backfill__3", "scheduled__1"]  # fmt: skip
    window = system.json("dags", "list-runs", "etl", "-s", "2024-01-02", "-e", "2024-01-03")
    assert [r["run_id"] for r in window] == ["backfill__3", "scheduled__2"]
    assert "backfill__3" not in [
        r["run_id"] for r in system.json("dags", "list-runs", "etl", "--no-backfill")
    ]
    table = system.cli("dags", "list-runs", "etl").stdout.splitlines()
    assert "run_id" in table[0] and any("scheduled__2" in line and "failed" in line for line in table)


def test_dags_state_by_run_id_or_logical_date_and_none_for_no_run(system: System) -> None:
    assert system.cli("dags", "state", "etl", "scheduled__2").stdout == "failed\n"
    assert system.cli("dags", "state", "etl", "2024-01-01T00:00:00+00:00").stdout == "success\n"
    assert system.cli("dags", "state", "etl", "manual__4").stdout == 'running, {"table": "users"}\n'
    assert system.cli("dags", "state", "etl", "2030-01-01").stdout == "None\n"


# -- dags pause / unpause / delete -----------------------------------------------------------------
def test_dags_pause_and_unpause_change_is_paused_and_say_when_nothing_changes(system: System) -> None:
    assert system.json("dags", "pause", "to_pause") == [{"dag_id": "to_pause", "is_paused": True}]
    assert system.api("GET", "/dags/to_pause")[1]["is_paused"] is True
    again = system.cli("dags", "pause", "to_pause")
    assert again.stdout == "" and "No unpaused DAGs were found" in again.stderr
    assert system.json("dags", "unpause", "to_pause") == [{"dag_id": "to_pause", "is_paused": False}]
    assert system.api("GET", "/dags/to_pause")[1]["is_paused"] is False
    unknown = system.cli("dags", "pause", "nope", check=False)
    assert unknown.returncode == 1 and "nope" in unknown.stderr


def test_dags_pause_with_a_regex_asks_first_and_pauses_every_match(system: System) -> None:
    declined = system.cli("dags", "pause", "^regex_", "--treat-dag-id-as-regex", input="n\n")
    assert "regex_a\nregex_b" in declined.stdout
    assert system.api("GET", "/dags/regex_a")[1]["is_paused"] is False
    paused = system.json("dags", "pause", "^regex_", "--treat-dag-id-as-regex", "-y")
    assert paused == [{"dag_id": "regex_a", "is_paused": True}, {"dag_id": "regex_b", "is_paused": True}]
    assert system.json("dags", "unpause", "regex_", "--treat-dag-id-as-regex", "-y")[0]["is_paused"] is False


def test_dags_delete_asks_then_removes_the_dag_and_its_runs(system: System) -> None:
    kept = system.cli("dags", "delete", "to_delete", input="n\n")
    assert "Cancelled" in kept.stderr and system.api("GET", "/dags/to_delete")[0] == 200
    done = system.cli("dags", "delete", "to_delete", "-y")
    assert "Deleted DAG 'to_delete'" in done.stdout
    assert system.api("GET", "/dags/to_delete")[0] == 404
    assert "to_delete" not in {d["dag_id"] for d in system.json("dags", "list")}
    gone = system.cli("dags", "delete", "to_delete", "-y", check=False)
    assert gone.returncode == 1 and "404" in gone.stderr


# -- tasks -----------------------------------------------------------------------------------------
def test_tasks_states_for_dag_run_lists_every_task_instance_of_the_run(system: System) -> None:
    rows = system.json("tasks", "states-for-dag-run", "etl", "scheduled__2")
    assert [(r["task_id"], r["state"]) for r in rows] == [
        ("extract", "success"), ("load", "upstream_failed"), ("transform", "failed")]  # fmt: skip
    assert rows[0]["dag_id"] == "etl" and rows[0]["logical_date"].startswith("2024-01-02")
    assert rows[0]["start_date"].startswith("2024-01-02T00:02")
    by_date = system.json("tasks", "states-for-dag-run", "etl", "2024-01-02T00:00:00+00:00")
    assert by_date == rows
    table = system.cli("tasks", "states-for-dag-run", "etl", "scheduled__2").stdout.splitlines()
    assert (
        "task_id" in table[0]
        and "state" in table[0]
        and any("transform" in r and "failed" in r for r in table)
    )
    missing = system.cli("tasks", "states-for-dag-run", "etl", "no_run", check=False)
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_tasks_clear_lists_asks_and_clears_matching_instances_so_the_run_is_queued_again(
    system: System,
) -> None:
    declined = system.cli("tasks", "clear", "to_clear", "-t", "^(transform|load)$", "-s", "2024-01-01",
                          "-e", "2024-01-01", input="n\n")  # fmt: skip
    assert "<TaskInstance: to_clear.load r1 [upstream_failed]>" in declined.stdout
    assert "<TaskInstance: to_clear.transform r1 [failed]>" in declined.stdout and "r2" not in declined.stdout
    assert "nothing was cleared" in declined.stdout
    done = system.cli("tasks", "clear", "to_clear", "-t", "^(transform|load)$", "-s", "2024-01-01",
                      "-e", "2024-01-01", "-y")  # fmt: skip
    assert "Cleared 2 task instance(s) in 1 run(s)." in done.stdout
    states = {r["task_id"]: r["state"] for r in system.json("tasks", "states-for-dag-run", "to_clear", "r1")}
    assert states == {"extract": "success", "transform": None, "load": None}
    assert system.cli("dags", "state", "to_clear", "r1").stdout == "queued\n"
    assert {r["state"] for r in system.json("tasks", "states-for-dag-run", "to_clear", "r2")} == {"success"}
    nothing = system.cli("tasks", "clear", "to_clear", "-t", "^nope$", "-y")
    assert "No task instances to clear." in nothing.stderr


def test_tasks_clear_only_failed_leaves_successes_alone(system: System) -> None:
    done = system.cli("tasks", "clear", "etl", "-f", "-y", "-s", "2024-01-02", "-e", "2024-01-02")
    assert "Cleared 2 task instance(s) in 1 run(s)." in done.stdout
    states = {
        r["task_id"]: r["state"] for r in system.json("tasks", "states-for-dag-run", "etl", "scheduled__2")
    }
    assert states == {"extract": "success", "transform": None, "load": None}


# -- who and where ---------------------------------------------------------------------------------
def test_a_viewer_can_read_but_not_trigger(system: System) -> None:
    env = {**system.env, "RIIR_API_USERNAME": "viewer", "RIIR_API_PASSWORD": "viewer-pw"}
    assert riir(env, "dags", "list-runs", "etl", "-o", "json").returncode == 0
    refused = riir(env, "dags", "trigger", "etl", check=False)
    assert refused.returncode == 1 and "403" in refused.stderr


def test_a_token_from_the_environment_is_used_as_is_and_a_bad_one_is_refused(system: System) -> None:
    env = {
        k: v for k, v in system.env.items() if not k.startswith("RIIR_API_USER") and k != "RIIR_API_PASSWORD"
    }
    token = login(system.url, "admin", "admin-pw")
    assert "etl" in riir({**env, "RIIR_API_TOKEN": token}, "dags", "list").stdout
    bad = riir({**env, "RIIR_API_TOKEN": "not-a-jwt"}, "dags", "list", check=False)
    assert bad.returncode == 1 and "401" in bad.stderr


def test_api_url_flag_names_the_broker_and_an_unreachable_one_is_a_clear_error(system: System) -> None:
    env = {k: v for k, v in system.env.items() if k != "RIIR_API_URL"}
    listed = riir(env, "dags", "list-runs", "etl", "--api-url", system.url, "-o", "json")
    assert len(json.loads(listed.stdout)) >= 4
    down = riir(env, "dags", "list-runs", "etl", "--api-url", "http://127.0.0.1:9", check=False)
    assert down.returncode == 1 and "cannot reach the API" in down.stderr and "Traceback" not in down.stderr


def test_yaml_output_is_a_list_of_mappings(system: System) -> None:
    import yaml

    runs = yaml.safe_load(system.cli("dags", "list-runs", "etl", "-o", "yaml").stdout)
    assert runs[0]["run_id"] == "manual__4" and runs[0]["state"] == "running"


def test_where_standalone_runs_the_cli_needs_no_login_or_url(system: System, tmp_path: Path) -> None:
    home = tmp_path / "standalone_home"
    home.mkdir()
    info = {"api_url": system.url, "username": "admin", "password": "admin-pw"}
    (home / "riir-standalone.json").write_text(json.dumps(info))
    env = {k: v for k, v in system.env.items() if not k.startswith("RIIR_API_")}
    env["AIRFLOW_HOME"] = str(home)
    runs = json.loads(riir(env, "dags", "list-runs", "etl", "-o", "json").stdout)
    assert runs[0]["run_id"] == "manual__4"


def test_without_a_running_system_dags_list_report_and_tasks_list_read_the_dags_folder(
    system: System, tmp_path: Path
) -> None:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "here.py").write_text(
        "from riir_airflow.sdk import DAG\nfrom riir_airflow.providers.standard.operators.empty import EmptyOperator\n"
        "with DAG('in_folder', schedule=None):\n    EmptyOperator(task_id='t')\n"
    )
    env = {k: v for k, v in system.env.items() if not k.startswith("RIIR_API_")}
    env.update(AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__DAGS_FOLDER=str(folder))
    assert [d["dag_id"] for d in json.loads(riir(env, "dags", "list", "-o", "json").stdout)] == ["in_folder"]
    assert riir(env, "tasks", "list", "in_folder").stdout == "t\n"
    report = json.loads(riir(env, "dags", "report", "-o", "json").stdout)
    assert [(r["file"], r["dag_num"], r["task_num"]) for r in report] == [(str(folder / "here.py"), 1, 1)]
    # a standalone that stopped (its pid is gone) is no running system
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    info = {"api_url": system.url, "username": "admin", "password": "admin-pw", "pid": dead.pid}
    (tmp_path / "riir-standalone.json").write_text(json.dumps(info))
    assert [d["dag_id"] for d in json.loads(riir(env, "dags", "list", "-o", "json").stdout)] == ["in_folder"]
    # --local: the same with a running system configured
    configured = {**env, "RIIR_API_URL": system.url}
    local = json.loads(riir(configured, "dags", "list", "--local", "-o", "json").stdout)
    assert [d["dag_id"] for d in local] == ["in_folder"]
    assert riir(configured, "tasks", "list", "in_folder", "--local").stdout == "t\n"


# -- variables, connections, pools: what is checked before any request ----------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["variables", "set", "k", "{not json", "-j"], "VALUE is not valid JSON"),
        (["connections", "add", "c", "--conn-uri", "http://h", "--conn-host", "x"], "cannot be combined"),
        (["connections", "add", "c", "--conn-uri", "http://h", "--conn-json", "{}"], "not both"),
        (["connections", "add", "c", "--conn-host", "h"], "--conn-type"),
        (["connections", "add", "c", "--conn-type", "http", "--conn-port", "eighty"], "--conn-port"),
        (
            ["connections", "add", "c", "--conn-type", "http", "--conn-extra", "{x"],
            "--conn-extra is not valid JSON",
        ),
        (["connections", "import", "conns.txt"], "Unsupported file format"),
        (["pools", "set", "p", "-2", "too few"], "SLOTS must be -1"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_error_before_any_request(
    args: list[str], message: str, tmp_path: Path
) -> None:
    env = broker_env(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    env.update(RIIR_API_URL="http://127.0.0.1:9", RIIR_API_TOKEN="unused")
    done = riir(env, *args, check=False)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr


def test_pools_import_refuses_a_file_with_bad_slots_naming_the_pools(tmp_path: Path) -> None:
    path = tmp_path / "pools.json"
    path.write_text(json.dumps({"ok": {"slots": 3}, "bad": {"slots": "many"}, "worse": 7}))
    env = broker_env(tmp_path, f"sqlite:///{tmp_path / 'unused.db'}")
    env.update(RIIR_API_URL="http://127.0.0.1:9", RIIR_API_TOKEN="unused")
    done = riir(env, "pools", "import", str(path), check=False)
    assert done.returncode == 1 and "bad, worse" in done.stderr


def test_tasks_list_of_a_dag_id_gives_its_registered_task_ids_sorted(system: System) -> None:
    assert system.cli("tasks", "list", "etl").stdout == "extract\nload\ntransform\n"
    unknown = system.cli("tasks", "list", "no_such_dag", check=False)
    assert unknown.returncode == 1 and "no_such_dag" in unknown.stderr


# -- variables, connections, pools against the broker ----------------------------------------
def test_variables_set_get_list_export_import_and_delete(system: System, tmp_path: Path) -> None:
    assert system.cli("variables", "set", "color", "blue").stdout == "Variable color created\n"
    assert system.cli("variables", "get", "color").stdout == "blue\n"
    system.cli("variables", "set", "cfg", '{"a": [1, 2]}', "-j", "--description", "settings")
    assert json.loads(system.cli("variables", "get", "cfg", "-j").stdout) == {"a": [1, 2]}
    system.cli("variables", "set", "color", "green")
    assert system.cli("variables", "get", "color").stdout == "green\n"
    assert {"key": "color"} in system.json("variables", "list")
    out = tmp_path / "vars.json"
    system.cli("variables", "export", str(out))
    exported = json.loads(out.read_text())
    assert exported["color"] == "green" and exported["cfg"] == {
        "value": {"a": [1, 2]},
        "description": "settings",
    }
    assert system.cli("variables", "delete", "color").stdout == "Variable color deleted\n"
    missing = system.cli("variables", "get", "color", check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert system.cli("variables", "get", "color", "-d", "fallback").stdout == "fallback\n"
    assert system.cli("variables", "delete", "color", check=False).returncode == 1
    (tmp_path / "in.json").write_text(json.dumps({"color": "red", "cfg": {"b": True}}))
    refused = system.cli("variables", "import", str(tmp_path / "in.json"), "-a", "fail", check=False)
    assert refused.returncode == 1
    imported = system.cli("variables", "import", str(tmp_path / "in.json"))
    assert "2 of 2 variables successfully updated." in imported.stdout
    assert json.loads(system.cli("variables", "get", "cfg", "-j").stdout) == {"b": True}


def test_connections_add_get_list_export_import_and_delete(system: System, tmp_path: Path) -> None:
    uri = "postgres://bob:s3cret@db.example:5432/sales?sslmode=require"
    added = system.cli("connections", "add", "pg", "--conn-uri", uri)
    assert "Successfully added `conn_id`=pg" in added.stdout and "s3cret" not in added.stdout
    [pg] = system.json("connections", "get", "pg")
    fields = (pg["conn_type"], pg["host"], pg["login"], pg["port"], pg["schema"])
    assert fields == ("postgres", "db.example", "bob", 5432, "sales")
    assert pg["extra_dejson"] == {"sslmode": "require"}
    system.cli("connections", "add", "api", "--conn-type", "http", "--conn-host", "api.example",
               "--conn-extra", '{"x": 1}')  # fmt: skip
    assert {"pg", "api"} <= {c["conn_id"] for c in system.json("connections", "list")}
    assert [c["conn_id"] for c in system.json("connections", "list", "--conn-id", "api")] == ["api"]
    taken = system.cli("connections", "add", "api", "--conn-type", "http", check=False)
    assert taken.returncode == 1 and "already exists" in taken.stderr
    out = tmp_path / "conns.json"
    system.cli("connections", "export", str(out))
    assert json.loads(out.read_text())["api"]["extra"] == {"x": 1}
    assert "pg=postgres://" in system.cli("connections", "export", "-", "--file-format", "env").stdout
    assert "Successfully deleted" in system.cli("connections", "delete", "api").stdout
    assert system.cli("connections", "delete", "api", check=False).returncode == 1
    (tmp_path / "in.env").write_text("api=http://api2.example:8080\n")
    system.cli("connections", "import", str(tmp_path / "in.env"))
    assert system.json("connections", "get", "api")[0]["host"] == "api2.example"


def test_pools_set_get_list_export_import_and_delete(system: System, tmp_path: Path) -> None:
    assert system.json("pools", "set", "etl_pool", "4", "for ETL") == [
        {"pool": "etl_pool", "slots": 4, "description": "for ETL", "include_deferred": False}]  # fmt: skip
    assert system.json("pools", "set", "etl_pool", "8", "more", "--include-deferred")[0]["slots"] == 8
    assert system.json("pools", "get", "etl_pool") == [
        {"pool": "etl_pool", "slots": 8, "description": "more", "include_deferred": True}]  # fmt: skip
    assert "etl_pool" in {p["pool"] for p in system.json("pools", "list")}
    out = tmp_path / "pools.json"
    system.cli("pools", "export", str(out))
    assert json.loads(out.read_text())["etl_pool"] == {
        "slots": 8,
        "description": "more",
        "include_deferred": True,
    }
    assert system.json("pools", "delete", "etl_pool")[0]["pool"] == "etl_pool"
    missing = system.cli("pools", "get", "etl_pool", check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    (tmp_path / "in.json").write_text(json.dumps({"imported": {"slots": 2, "description": "d"}}))
    assert "Uploaded 1 pool(s)" in system.cli("pools", "import", str(tmp_path / "in.json")).stdout
    assert system.json("pools", "get", "imported")[0]["slots"] == 2
