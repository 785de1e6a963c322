"""run_try: one try of one task instance, called directly (render, execute, push, classify)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pendulum
import pytest

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.runtime.dag_runner import DagRunner
from riir_airflow.runtime.local import using_store
from riir_airflow.runtime.task_runner import run_try
from riir_airflow.sdk import DAG, BaseOperator
from riir_airflow.sdk.exceptions import AirflowSkipException
from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.sdk.triggers import BaseTrigger, TriggerEvent
from riir_airflow.store.records import TaskInstanceRecord

T0 = pendulum.datetime(2024, 1, 1)


@pytest.fixture
def one_try(airflow_home: Path, local_store: Any) -> Any:
    """`one_try(task, try_number=1)`: run one try of `task` in a fresh manual run."""

    def _run(task: Any, try_number: int = 1, max_tries: int | None = None) -> tuple[Any, Any]:
        clock = FakeClock(T0)
        with using_store(local_store):
            runner = DagRunner(task.dag, local_store, clock)
            run = runner.create_manual_run(logical_date=T0)
            record = TaskInstanceRecord(
                dag_id=task.dag_id,
                run_id=run.run_id,
                task_id=task.task_id,
                try_number=try_number,
                max_tries=task.retries if max_tries is None else max_tries,
                state=TaskInstanceState.RUNNING,
            )
            local_store.put_task_instances([record])
            return run_try(task, record, run, local_store, clock), record

    return _run


def test_success_pushes_the_return_value_and_records_rendered_fields(one_try, local_store: Any) -> None:
    with DAG("rt_ok"):
        task = BashOperator(task_id="t", bash_command="echo {{ ds }}")
    outcome, record = one_try(task)
    assert outcome.state is TaskInstanceState.SUCCESS
    assert outcome.error is None
    xcoms = local_store.get_xcoms("rt_ok", run_id=record.run_id)
    assert [(x.key, x.value) for x in xcoms] == [("return_value", '"2024-01-01"')]
    assert local_store.get_rendered_fields("rt_ok", record.run_id, "t", -1)["bash_command"] == "echo 2024-01-01"


def test_the_try_log_is_stored_per_try(one_try, local_store: Any) -> None:
    with DAG("rt_log"):
        task = BashOperator(task_id="t", bash_command="echo visible-in-log")
    _, record = one_try(task, try_number=3, max_tries=5)
    log_text = local_store.read_log("rt_log", record.run_id, "t", -1, 3)
    assert "visible-in-log" in log_text
    assert "Marking task as SUCCESS" in log_text
    assert local_store.read_log("rt_log", record.run_id, "t", -1, 1) == ""


def test_error_with_retries_left_is_up_for_retry(one_try) -> None:
    with DAG("rt_retry"):
        task = PythonOperator(task_id="t", python_callable=lambda: 1 / 0, retries=2)
    outcome, _ = one_try(task, try_number=2)
    assert outcome.state is TaskInstanceState.UP_FOR_RETRY
    assert isinstance(outcome.error, ZeroDivisionError)


def test_error_on_the_last_try_is_failed(one_try) -> None:
    with DAG("rt_last"):
        task = PythonOperator(task_id="t", python_callable=lambda: 1 / 0, retries=2)
    outcome, _ = one_try(task, try_number=3)
    assert outcome.state is TaskInstanceState.FAILED


def test_skip_exception_gives_skipped(one_try) -> None:
    def skip() -> None:
        raise AirflowSkipException("no")

    with DAG("rt_skip"):
        task = PythonOperator(task_id="t", python_callable=skip, retries=3)
    assert one_try(task)[0].state is TaskInstanceState.SKIPPED


def test_branch_reports_the_downstream_tasks_to_skip(one_try) -> None:
    from riir_airflow.providers.standard.operators.empty import EmptyOperator
    from riir_airflow.providers.standard.operators.python import BranchPythonOperator

    with DAG("rt_branch"):
        branch = BranchPythonOperator(task_id="branch", python_callable=lambda: "a")
        branch >> [EmptyOperator(task_id="a"), EmptyOperator(task_id="b")]
    outcome, _ = one_try(branch)
    assert outcome.state is TaskInstanceState.SUCCESS
    assert outcome.skip_downstream == ["b"]


def test_a_task_failing_to_render_fails_without_executing(one_try) -> None:
    executed: list[str] = []

    class Op(BaseOperator):
        template_fields = ("value",)

        def __init__(self, *, value: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.value = value

        def execute(self, context: Any) -> None:
            executed.append(self.value)

    with DAG("rt_render_fail"):
        task = Op(task_id="t", value="{{ missing_name }}")
    outcome, _ = one_try(task)
    assert outcome.state is TaskInstanceState.FAILED
    assert executed == []


def test_environment_is_restored_even_when_the_task_fails(one_try) -> None:
    def dirty() -> None:
        os.environ["RIIR_TEST_DIRTY"] = "1"
        raise RuntimeError("after dirtying")

    with DAG("rt_env"):
        task = PythonOperator(task_id="t", python_callable=dirty)
    before = dict(os.environ)
    one_try(task)
    assert dict(os.environ) == before


class _Immediate(BaseTrigger):
    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{__name__}._Immediate", {})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent("fired")


class _DeferringOperator(BaseOperator):
    def execute(self, context: Any) -> None:
        context["ti"].xcom_push(key="before_defer", value="kept")
        self.defer(trigger=_Immediate(), method_name="resume")

    def resume(self, context: Any, event: Any = None) -> list:
        return [event, context["ti"].xcom_pull(task_ids=self.task_id, key="before_defer")]


def test_xcoms_pushed_before_deferring_survive_the_resume(run_dag) -> None:
    with DAG("rt_defer_xcom") as the_dag:
        _DeferringOperator(task_id="t")
    result = run_dag(the_dag)
    assert result.ti_state("t") == "success"
    assert result.xcom("t") == ["fired", "kept"]


def test_working_directory_is_restored_after_the_task(one_try, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    with DAG("rt_cwd"):
        task = PythonOperator(task_id="t", python_callable=lambda: os.chdir(elsewhere))
    before = os.getcwd()
    outcome, _ = one_try(task)
    assert outcome.state is TaskInstanceState.SUCCESS
    assert os.getcwd() == before


def test_print_in_a_task_goes_to_the_task_log(run_dag, capsys: pytest.CaptureFixture[str]) -> None:
    def talk() -> int:
        print("hello from print")
        print("two", "parts", end="")
        return 1

    with DAG("rt_print") as the_dag:
        PythonOperator(task_id="t", python_callable=talk)
    result = run_dag(the_dag)
    log_text = result.log("t")
    assert "hello from print" in log_text
    assert "two parts" in log_text
    assert "hello from print" not in capsys.readouterr().out


def test_a_log_handler_on_stdout_created_inside_the_task_does_not_loop(run_dag) -> None:
    import logging
    import sys

    def configure_and_log() -> str:
        root = logging.getLogger()
        handler = logging.StreamHandler(sys.stdout)  # sys.stdout is the task's stdout here
        root.addHandler(handler)
        try:
            logging.getLogger("user.task").warning("through a stdout handler")
        finally:
            root.removeHandler(handler)
        return "done"

    with DAG("rt_stdout_handler") as the_dag:
        PythonOperator(task_id="t", python_callable=configure_and_log)
    result = run_dag(the_dag)
    assert result.xcom("t") == "done"
    assert "through a stdout handler" in result.log("t")
