"""A run triggered through the official client is run by the DAG's app (a real `riir-airflow app`
process) and followed to success through the API: task instances, XCom, logs, event log."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import airflow_client.client as af
from airflow_client.client.exceptions import ApiException

DAG_FILE = """
from riir_airflow.sdk import dag, task
import pendulum

@dag(dag_id="e2e", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False)
def e2e():
    @task
    def first():
        print("hello from first")
        return 21

    @task
    def second(x):
        return x * 2

    second(first())

e2e()
"""


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_trigger_through_the_client_runs_to_success_in_the_app(broker, api, tmp_path: Path):
    dag_file = tmp_path / "e2e.py"
    dag_file.write_text(DAG_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        {"AIRFLOW_HOME": str(tmp_path / "home"), "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"}
    )
    log = open(tmp_path / "app.log", "wb")  # noqa: SIM115
    app = subprocess.Popen(
        [sys.executable, "-m", "riir_airflow", "app", str(dag_file), "--broker", broker.url,
         "--token", broker.app_token("e2e"), "--parallelism", "2"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = api("user")
        dags, runs, tis = af.DAGApi(client), af.DagRunApi(client), af.TaskInstanceApi(client)

        def registered():
            try:
                return dags.get_dag("e2e")
            except ApiException:
                return None

        wait_for(registered, what=f"the app to register: {(tmp_path / 'app.log').read_text()[-2000:]}")
        dags.patch_dag("e2e", af.DAGPatchBody(is_paused=False))
        run = runs.trigger_dag_run("e2e", af.TriggerDAGRunPostBody(logical_date=None, conf={"k": "v"}))
        finished = wait_for(
            lambda: (r := runs.get_dag_run("e2e", run.dag_run_id)).state.value in ("success", "failed") and r,
            what=f"the run to finish: {(tmp_path / 'app.log').read_text()[-2000:]}",
        )
        assert finished.state.value == "success"
        states = {
            t.task_id: t.state.value for t in tis.get_task_instances("e2e", run.dag_run_id).task_instances
        }
        assert states == {"first": "success", "second": "success"}
        value = af.XComApi(client).get_xcom_entry("e2e", "second", run.dag_run_id, "return_value")
        assert value.actual_instance.value == 42
        lines = tis.get_log("e2e", run.dag_run_id, "first", 1, full_content=True).content.actual_instance
        assert any("hello from first" in line.event for line in lines)
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
        log.close()
