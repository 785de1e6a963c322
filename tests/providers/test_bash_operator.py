"""BashOperator and `@task.bash` (spec section 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from riir_airflow.operators.bash import BashOperator as BashOperator2x
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.sdk import DAG, task


def _one(run_dag, **kwargs: object) -> object:
    with DAG("bash_case") as the_dag:
        BashOperator(task_id="b", **kwargs)
    return run_dag(the_dag)


def test_last_line_of_stdout_is_the_xcom(run_dag) -> None:
    result = _one(run_dag, bash_command="echo first; echo second")
    assert result.ti_state("b") == "success"
    assert result.xcom("b") == "second"


def test_every_output_line_and_stderr_reach_the_task_log(run_dag) -> None:
    result = _one(run_dag, bash_command="echo to-stdout; echo to-stderr >&2")
    log_text = result.log("b")
    assert "to-stdout" in log_text and "to-stderr" in log_text


def test_output_processor_transforms_the_xcom(run_dag) -> None:
    result = _one(run_dag, bash_command='echo \'{"a": 1}\'', output_processor=lambda out: __import__("json").loads(out))
    assert result.xcom("b") == {"a": 1}


def test_no_output_pushes_an_empty_string(run_dag) -> None:
    assert _one(run_dag, bash_command="true").xcom("b") == ""


def test_exit_code_99_skips_by_default(run_dag) -> None:
    result = _one(run_dag, bash_command="exit 99")
    assert result.ti_state("b") == "skipped"


@pytest.mark.parametrize(("skip_on", "code", "state"), [(3, 3, "skipped"), ([1, 2], 2, "skipped"), (None, 99, "failed")])
def test_skip_on_exit_code_is_configurable(run_dag, skip_on: object, code: int, state: str) -> None:
    result = _one(run_dag, bash_command=f"exit {code}", skip_on_exit_code=skip_on)
    assert result.ti_state("b") == state


def test_non_zero_exit_fails_and_is_retried(run_dag) -> None:
    result = _one(run_dag, bash_command="exit 1", retries=1, retry_delay=1)
    assert [t.state.value for t in result.tries("b")] == ["up_for_retry", "failed"]
    assert "non-zero exit code 1" in result.log("b", try_number=2)


def test_env_replaces_the_inherited_environment(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIIR_INHERITED", "inherited")
    result = _one(run_dag, bash_command='echo "${RIIR_INHERITED:-absent} $MINE"', env={"MINE": "{{ ds }}"})
    assert result.xcom("b") == "absent 2024-01-01"


def test_append_env_keeps_the_inherited_environment(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIIR_INHERITED", "inherited")
    result = _one(run_dag, bash_command='echo "$RIIR_INHERITED $MINE"', env={"MINE": "mine"}, append_env=True)
    assert result.xcom("b") == "inherited mine"


def test_without_env_the_process_environment_is_inherited(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIIR_INHERITED", "inherited")
    assert _one(run_dag, bash_command="echo $RIIR_INHERITED").xcom("b") == "inherited"


def test_cwd_is_used_and_templated(run_dag, tmp_path: Path) -> None:
    (tmp_path / "2024-01-01").mkdir()
    result = _one(run_dag, bash_command="pwd", cwd=str(tmp_path) + "/{{ ds }}")
    assert result.xcom("b") == str(tmp_path / "2024-01-01")
    assert result.rendered("b")["cwd"] == str(tmp_path / "2024-01-01")


def test_missing_cwd_fails_the_task(run_dag, tmp_path: Path) -> None:
    result = _one(run_dag, bash_command="pwd", cwd=str(tmp_path / "missing"))
    assert result.ti_state("b") == "failed"
    assert "Can not find the cwd" in result.log("b")


def test_default_cwd_is_a_temporary_directory(run_dag) -> None:
    out = _one(run_dag, bash_command="pwd").xcom("b")
    assert "airflowtmp" in out
    assert not Path(out).exists()


def test_multiline_command_runs_as_one_script(run_dag) -> None:
    result = _one(run_dag, bash_command="x=1\nif [ $x -eq 1 ]; then\n  echo one\nfi\n")
    assert result.xcom("b") == "one"


def test_output_encoding_errors_do_not_fail_the_task(run_dag) -> None:
    result = _one(run_dag, bash_command="printf 'caf\\xe9\\n'")
    assert result.ti_state("b") == "success"


def test_do_xcom_push_false_pushes_nothing(run_dag) -> None:
    assert _one(run_dag, bash_command="echo hi", do_xcom_push=False).xcoms("b") == {}


def test_2x_import_path_is_the_same_operator() -> None:
    assert BashOperator2x is BashOperator


# -- @task.bash ------------------------------------------------------------------------------------------
def test_task_bash_runs_the_returned_command_rendered(run_dag) -> None:
    with DAG("task_bash") as the_dag:

        @task.bash
        def greet(name: str) -> str:
            return "echo hello " + name + " {{ ds }}"

        greet("riir")
    result = run_dag(the_dag)
    assert result.xcom("greet") == "hello riir 2024-01-01"
    assert result.rendered("greet")["bash_command"] == "echo hello riir 2024-01-01"


def test_task_bash_with_operator_arguments(run_dag) -> None:
    with DAG("task_bash_args") as the_dag:

        @task.bash(env={"X": "from-env"}, skip_on_exit_code=7)
        def cmd() -> str:
            return 'echo "$X"; exit 7'

        cmd()
    assert run_dag(the_dag).ti_state("cmd") == "skipped"


@pytest.mark.parametrize("returned", ["", "   ", None, 5])
def test_task_bash_returning_no_command_fails(run_dag, returned: object) -> None:
    with DAG("task_bash_empty") as the_dag:

        @task.bash
        def nothing() -> object:
            return returned

        nothing()
    result = run_dag(the_dag)
    assert result.ti_state("nothing") == "failed"
    assert "TypeError" in result.log("nothing")


def test_task_bash_gets_xcomarg_arguments(run_dag) -> None:
    with DAG("task_bash_xcom") as the_dag:

        @task
        def word() -> str:
            return "upstream-word"

        @task.bash
        def say(w: str) -> str:
            return f"echo {w}"

        say(word())
    assert run_dag(the_dag).xcom("say") == "upstream-word"
