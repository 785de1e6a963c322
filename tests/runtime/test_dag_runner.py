"""DagRunner: one DAG run to its end, in process, on a FakeClock: retries and their delays,
timeouts, exceptions that change state, callbacks, mark_success_pattern (spec sections 7, 13)."""

from __future__ import annotations

import datetime
import hashlib
import math
import os
import time
from typing import Any

import pendulum
import pytest

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.sdk import DAG, task
from riir_airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

T0 = pendulum.datetime(2024, 1, 1, tz="UTC")


def _fail_until(n: int) -> Any:
    """A callable failing on tries 1..n-1 and returning its try number on try n."""

    def run(ti: Any) -> int:
        if ti.try_number < n:
            raise AirflowException(f"failing try {ti.try_number}")
        return ti.try_number

    return run


def _states(tries: list[Any]) -> list[tuple[int, str]]:
    return [(t.try_number, t.state.value) for t in tries]


# -- retries -------------------------------------------------------------------------------------
def test_retry_runs_again_exactly_retry_delay_after_the_failed_try(run_dag) -> None:
    with DAG("retry_delay") as the_dag:
        PythonOperator(
            task_id="t", python_callable=_fail_until(2), retries=1, retry_delay=datetime.timedelta(minutes=5)
        )
    clock = FakeClock(T0)
    result = run_dag(the_dag, clock=clock)
    assert result.state == "success"
    first, second = result.tries("t")
    assert _states([first, second]) == [(1, "up_for_retry"), (2, "success")]
    assert second.start_date - first.end_date == datetime.timedelta(minutes=5)
    assert first.start_date == T0
    assert clock.now() == T0 + datetime.timedelta(minutes=5)
    assert result.xcom("t") == 2


def test_retries_exhausted_end_failed_after_retries_plus_one_tries(run_dag) -> None:
    with DAG("retry_exhausted") as the_dag:
        PythonOperator(
            task_id="t", python_callable=_fail_until(99), retries=2, retry_delay=datetime.timedelta(seconds=30)
        )
    result = run_dag(the_dag)
    assert result.state == "failed"
    tries = result.tries("t")
    assert _states(tries) == [(1, "up_for_retry"), (2, "up_for_retry"), (3, "failed")]
    gaps = [b.start_date - a.end_date for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps == [datetime.timedelta(seconds=30)] * 2
    assert result.ti("t").try_number == 3


def test_retry_delay_from_default_args_applies(run_dag) -> None:
    with DAG("retry_default_args", default_args={"retries": 1, "retry_delay": datetime.timedelta(hours=1)}) as the_dag:
        PythonOperator(task_id="t", python_callable=_fail_until(2))
    result = run_dag(the_dag)
    first, second = result.tries("t")
    assert second.start_date - first.end_date == datetime.timedelta(hours=1)


def _expected_backoff(dag_id: str, task_id: str, logical_date: Any, try_number: int, delay: float, m: float) -> int:
    base = max(1, math.ceil(delay * m ** (try_number - 1)))
    digest = hashlib.sha1(f"{dag_id}#{task_id}#{logical_date}#{try_number}".encode()).hexdigest()
    return base + int(digest, 16) % base


def test_exponential_backoff_grows_the_delay_with_deterministic_jitter(run_dag) -> None:
    with DAG("backoff") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=_fail_until(4),
            retries=3,
            retry_delay=datetime.timedelta(seconds=10),
            retry_exponential_backoff=True,
        )
    result = run_dag(the_dag)
    tries = result.tries("t")
    gaps = [(b.start_date - a.end_date).total_seconds() for a, b in zip(tries, tries[1:], strict=False)]
    expected = [_expected_backoff("backoff", "t", result.run.logical_date, n, 10, 2.0) for n in (1, 2, 3)]
    assert gaps == expected
    assert 10 <= gaps[0] < 20 and 20 <= gaps[1] < 40 and 40 <= gaps[2] < 80


def test_exponential_backoff_is_capped_by_max_retry_delay(run_dag) -> None:
    with DAG("backoff_cap") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=_fail_until(3),
            retries=2,
            retry_delay=datetime.timedelta(seconds=100),
            retry_exponential_backoff=3.0,
            max_retry_delay=datetime.timedelta(seconds=150),
        )
    tries = run_dag(the_dag).tries("t")
    gaps = [b.start_date - a.end_date for a, b in zip(tries, tries[1:], strict=False)]
    assert all(g <= datetime.timedelta(seconds=150) for g in gaps)
    assert gaps[1] == datetime.timedelta(seconds=150)


def test_tasks_that_do_not_wait_run_while_a_retry_waits(run_dag) -> None:
    order: list[str] = []

    def flaky(ti: Any) -> None:
        order.append(f"flaky{ti.try_number}")
        if ti.try_number == 1:
            raise ValueError("again")

    with DAG("interleave") as the_dag:
        PythonOperator(task_id="flaky", python_callable=flaky, retries=1, retry_delay=datetime.timedelta(minutes=1))
        PythonOperator(task_id="other", python_callable=lambda: order.append("other"))
    assert run_dag(the_dag).state == "success"
    assert order == ["flaky1", "other", "flaky2"]


def test_xcoms_pushed_by_a_failed_try_are_gone_when_the_retry_runs(run_dag) -> None:
    def pushes_then_fails(ti: Any) -> Any:
        if ti.try_number == 1:
            ti.xcom_push(key="from_try_1", value=1)
            raise ValueError("first try fails")
        return ti.xcom_pull(task_ids="t", key="from_try_1", default="gone")

    with DAG("retry_xcoms") as the_dag:
        PythonOperator(task_id="t", python_callable=pushes_then_fails, retries=1, retry_delay=1)
    result = run_dag(the_dag)
    assert result.xcom("t") == "gone"
    assert "from_try_1" not in result.xcoms("t")


# -- timeouts ------------------------------------------------------------------------------------
def _sleep_long() -> None:
    time.sleep(30)


def test_execution_timeout_fails_a_task_that_runs_too_long(run_dag) -> None:
    with DAG("timeout") as the_dag:
        PythonOperator(task_id="slow", python_callable=_sleep_long, execution_timeout=datetime.timedelta(seconds=1))
        after = EmptyOperator(task_id="after")
        the_dag.get_task("slow") >> after
    result = run_dag(the_dag)
    assert result.ti_state("slow") == "failed"
    assert result.ti_state("after") == "upstream_failed"
    assert "AirflowTaskTimeout" in result.log("slow")
    assert result.state == "failed"


def test_execution_timeout_is_retried_when_retries_remain(run_dag) -> None:
    retried: list[int] = []
    with DAG("timeout_retry") as the_dag:
        PythonOperator(
            task_id="slow",
            python_callable=_sleep_long,
            execution_timeout=datetime.timedelta(seconds=1),
            retries=1,
            retry_delay=datetime.timedelta(seconds=10),
            on_retry_callback=lambda ctx: retried.append(ctx["ti"].try_number),
        )
    result = run_dag(the_dag)
    assert _states(result.tries("slow")) == [(1, "up_for_retry"), (2, "failed")]
    assert retried == [1]


def test_execution_timeout_kills_a_long_bash_command(run_dag) -> None:
    with DAG("timeout_bash") as the_dag:
        BashOperator(task_id="slow", bash_command="sleep 30", execution_timeout=datetime.timedelta(seconds=1))
    result = run_dag(the_dag)
    assert result.ti_state("slow") == "failed"


def test_a_fast_task_is_not_affected_by_its_timeout(run_dag) -> None:
    with DAG("timeout_ok") as the_dag:
        PythonOperator(task_id="quick", python_callable=lambda: "done", execution_timeout=datetime.timedelta(seconds=5))
    result = run_dag(the_dag)
    assert result.xcom("quick") == "done"


# -- exceptions ----------------------------------------------------------------------------------
def test_skip_exception_skips_the_task_without_retry_and_skips_downstream(run_dag) -> None:
    def skip() -> None:
        raise AirflowSkipException("nothing to do")

    with DAG("skip") as the_dag:
        s = PythonOperator(task_id="s", python_callable=skip, retries=3)
        s >> EmptyOperator(task_id="after")
    result = run_dag(the_dag)
    assert result.states == {"s": "skipped", "after": "skipped"}
    assert result.ti("s").try_number == 1
    assert result.state == "success"


def test_fail_exception_ignores_remaining_retries(run_dag) -> None:
    def fail() -> None:
        raise AirflowFailException("give up")

    with DAG("fail_now") as the_dag:
        PythonOperator(task_id="t", python_callable=fail, retries=5, retry_delay=1)
    result = run_dag(the_dag)
    assert _states(result.tries("t")) == [(1, "failed")]
    assert result.state == "failed"


def test_system_exit_in_a_task_fails_the_task_not_the_runner(run_dag) -> None:
    def leave() -> None:
        raise SystemExit(3)

    with DAG("sys_exit") as the_dag:
        PythonOperator(task_id="t", python_callable=leave)
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"


def test_failed_upstream_gives_upstream_failed_and_run_state_follows_the_leaves(run_dag) -> None:
    with DAG("propagate") as the_dag:
        bad = PythonOperator(task_id="bad", python_callable=lambda: 1 / 0)
        mid = EmptyOperator(task_id="mid")
        cleanup = EmptyOperator(task_id="cleanup", trigger_rule="all_done")
        bad >> mid >> cleanup
        bad >> EmptyOperator(task_id="leaf")
    result = run_dag(the_dag)
    assert result.states == {"bad": "failed", "mid": "upstream_failed", "cleanup": "success", "leaf": "upstream_failed"}
    assert result.state == "failed"  # a leaf is upstream_failed


def test_run_succeeds_when_every_leaf_succeeds_even_after_a_failure(run_dag) -> None:
    with DAG("leaf_rule") as the_dag:
        bad = PythonOperator(task_id="bad", python_callable=lambda: 1 / 0)
        bad >> EmptyOperator(task_id="cleanup", trigger_rule="all_done")
    assert run_dag(the_dag).state == "success"  # Airflow judges the run by its leaves


# -- callbacks -----------------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str) -> Any:
        def callback(context: Any) -> None:
            ti = context.get("ti")
            self.calls.append((name, {**context, "try_number_then": getattr(ti, "try_number", None)}))

        return callback

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.calls]

    def context(self, name: str) -> dict[str, Any]:
        return next(c for n, c in self.calls if n == name)


def test_task_success_and_execute_callbacks_get_the_task_context(run_dag) -> None:
    rec = Recorder()
    with DAG("cb_success") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=lambda: 1,
            on_execute_callback=rec("execute"),
            on_success_callback=[rec("success_1"), rec("success_2")],
        )
    run_dag(the_dag)
    assert rec.names == ["execute", "success_1", "success_2"]
    context = rec.context("success_1")
    assert context["ti"].task_id == "t"
    assert context["ds"] == "2024-01-01"
    assert context["dag"] is the_dag


def test_task_retry_and_failure_callbacks_get_the_exception(run_dag) -> None:
    rec = Recorder()
    with DAG("cb_failure") as the_dag:
        PythonOperator(
            task_id="t",
            python_callable=_fail_until(99),
            retries=1,
            retry_delay=1,
            on_retry_callback=rec("retry"),
            on_failure_callback=rec("failure"),
            on_success_callback=rec("success"),
        )
    run_dag(the_dag)
    assert rec.names == ["retry", "failure"]
    assert isinstance(rec.context("retry")["exception"], AirflowException)
    assert rec.context("retry")["try_number_then"] == 1
    assert rec.context("failure")["try_number_then"] == 2
    assert "failing try 2" in str(rec.context("failure")["exception"])


def test_task_skipped_callback_is_called_on_skip(run_dag) -> None:
    rec = Recorder()

    def skip() -> None:
        raise AirflowSkipException("skip me")

    with DAG("cb_skip") as the_dag:
        PythonOperator(task_id="t", python_callable=skip, on_skipped_callback=rec("skipped"), on_failure_callback=rec("failure"))
    run_dag(the_dag)
    assert rec.names == ["skipped"]
    assert rec.context("skipped")["ti"].task_id == "t"


def test_a_failing_callback_does_not_change_the_task_state(run_dag) -> None:
    def broken(context: Any) -> None:
        raise RuntimeError("callback bug")

    with DAG("cb_broken") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda: 1, on_success_callback=broken, on_execute_callback=broken)
    result = run_dag(the_dag)
    assert result.ti_state("t") == "success"
    assert result.state == "success"


def test_dag_success_callback_gets_reason_success(run_dag) -> None:
    rec = Recorder()
    with DAG("dag_cb_ok", on_success_callback=rec("dag_success"), on_failure_callback=rec("dag_failure")) as the_dag:
        EmptyOperator(task_id="t")
    result = run_dag(the_dag)
    assert rec.names == ["dag_success"]
    context = rec.context("dag_success")
    assert context["reason"] == "success"
    assert context["dag"] is the_dag
    assert context["run_id"] == result.run_id
    assert context["dag_run"].run_id == result.run_id


def test_dag_failure_callback_gets_reason_task_failure(run_dag) -> None:
    rec = Recorder()
    with DAG("dag_cb_fail", on_success_callback=rec("dag_success"), on_failure_callback=[rec("dag_failure")]) as the_dag:
        PythonOperator(task_id="t", python_callable=lambda: 1 / 0)
    run_dag(the_dag)
    assert rec.names == ["dag_failure"]
    assert rec.context("dag_failure")["reason"] == "task_failure"


def test_dagrun_timeout_fails_the_run_with_reason_timed_out(run_dag) -> None:
    rec = Recorder()
    with DAG(
        "dag_timeout", dagrun_timeout=datetime.timedelta(minutes=10), on_failure_callback=rec("dag_failure")
    ) as the_dag:
        flaky = PythonOperator(task_id="flaky", python_callable=_fail_until(2), retries=1, retry_delay=datetime.timedelta(hours=1))
        flaky >> EmptyOperator(task_id="after")
    result = run_dag(the_dag)
    assert result.state == "failed"
    assert rec.context("dag_failure")["reason"] == "timed_out"
    assert result.ti_state("after") == "skipped"


# -- mark_success_pattern -------------------------------------------------------------------------
def test_mark_success_pattern_marks_matching_tasks_success_without_running_them(run_dag) -> None:
    ran: list[str] = []

    def work(ti: Any) -> None:
        ran.append(ti.task_id)
        raise RuntimeError("must not run")

    with DAG("mark_success") as the_dag:
        load = PythonOperator(task_id="load_data", python_callable=work)
        check = PythonOperator(task_id="check", python_callable=lambda: ran.append("check"))
        load >> check
    result = run_dag(the_dag, mark_success_pattern="load_.*")
    assert ran == ["check"]
    assert result.states == {"load_data": "success", "check": "success"}
    assert result.state == "success"


def test_mark_success_pattern_must_match_the_whole_task_id(run_dag) -> None:
    ran: list[str] = []
    with DAG("mark_success_full") as the_dag:
        PythonOperator(task_id="load", python_callable=lambda: ran.append("load"))
        PythonOperator(task_id="download", python_callable=lambda: ran.append("download"))
    run_dag(the_dag, mark_success_pattern="load")
    assert ran == ["download"]


# -- the run record -------------------------------------------------------------------------------
def test_run_record_has_dates_state_and_manual_run_id(run_dag) -> None:
    with DAG("record") as the_dag:
        EmptyOperator(task_id="t")
    result = run_dag(the_dag)
    run = result.run
    assert run.state.value == "success"
    assert run.run_type == "manual"
    assert run.run_id.startswith("manual__")
    assert run.logical_date == T0
    assert run.start_date is not None and run.end_date is not None
    stored = result.store.get_dag_run("record", run.run_id)
    assert stored.state.value == "success"


def test_task_environment_is_restored_after_each_task(run_dag) -> None:
    def mutate_env() -> str:
        os.environ["LEAKED_BY_TASK"] = "1"
        return os.environ["AIRFLOW_CTX_TASK_ID"]

    with DAG("env_restore") as the_dag:
        PythonOperator(task_id="t", python_callable=mutate_env)
    result = run_dag(the_dag)
    assert result.xcom("t") == "t"
    assert "LEAKED_BY_TASK" not in os.environ
    assert "AIRFLOW_CTX_TASK_ID" not in os.environ


def test_branching_through_the_runner_skips_the_other_branch(run_dag) -> None:
    with DAG("branch_runner") as the_dag:

        @task.branch
        def choose() -> str:
            return "left"

        left, right = EmptyOperator(task_id="left"), EmptyOperator(task_id="right")
        join = EmptyOperator(task_id="join", trigger_rule="none_failed_min_one_success")
        choose() >> [left, right] >> join
    result = run_dag(the_dag)
    assert result.states == {"choose": "success", "left": "success", "right": "skipped", "join": "success"}


@pytest.mark.parametrize("n_tasks", [1, 25])
def test_every_task_of_a_chain_runs_once_in_order(run_dag, n_tasks: int) -> None:
    ran: list[int] = []
    with DAG(f"chain_{n_tasks}") as the_dag:
        previous = None
        for i in range(n_tasks):
            op = PythonOperator(task_id=f"t{i}", python_callable=lambda i=i: ran.append(i))
            if previous is not None:
                previous >> op
            previous = op
    assert run_dag(the_dag).state == "success"
    assert ran == list(range(n_tasks))


def test_a_dag_without_tasks_ends_success(run_dag) -> None:
    result = run_dag(DAG("no_tasks"))
    assert result.state == "success"
    assert result.states == {}
