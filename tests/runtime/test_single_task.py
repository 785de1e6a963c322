"""`tasks test` / `tasks render` in process: one task, dependencies ignored, in a temporary run
that is removed afterwards, or in an existing run (spec section 13.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
import pytest

from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.runtime.clock import FakeClock
from riir_airflow.runtime.local import using_store
from riir_airflow.runtime.single_task import SingleTaskError, render_single_task, run_single_task
from riir_airflow.sdk import DAG, task
from riir_airflow.sdk.state import TaskInstanceState

DAY1 = pendulum.datetime(2024, 1, 1)


def _dag(dag_id: str = "single") -> DAG:
    with DAG(dag_id, params={"who": "dag"}) as the_dag:
        up = PythonOperator(task_id="up", python_callable=lambda: 1 / 0)
        down = BashOperator(task_id="down", bash_command="echo {{ params.who }} {{ ds }} {{ ti.xcom_pull(task_ids='up') }}")
        up >> down
    return the_dag


@pytest.fixture
def in_store(airflow_home: Path, local_store: Any) -> Any:
    with using_store(local_store):
        yield local_store


def test_task_runs_even_though_its_upstream_never_ran(in_store: Any) -> None:
    state = run_single_task(_dag(), "down", in_store, logical_date=DAY1, clock=FakeClock(DAY1))
    assert state is TaskInstanceState.SUCCESS


def test_temporary_run_is_removed_afterwards(in_store: Any) -> None:
    run_single_task(_dag(), "down", in_store, logical_date=DAY1, clock=FakeClock(DAY1))
    assert in_store.list_dag_runs("single") == []


def test_temporary_run_is_removed_when_the_task_fails(in_store: Any) -> None:
    state = run_single_task(_dag(), "up", in_store, logical_date=DAY1, clock=FakeClock(DAY1))
    assert state is TaskInstanceState.FAILED
    assert in_store.list_dag_runs("single") == []


def test_task_params_are_merged_into_params(in_store: Any) -> None:
    seen: list[Any] = []
    with DAG("single_params", params={"a": 1, "b": 2}) as the_dag:
        PythonOperator(task_id="t", python_callable=lambda params: seen.append(dict(params)))
    run_single_task(the_dag, "t", in_store, logical_date=DAY1, task_params={"b": 20, "c": 30})
    assert seen == [{"a": 1, "b": 20, "c": 30}]
    assert dict(the_dag.task_dict["t"].params) == {}


def test_existing_run_is_used_and_its_xcoms_are_visible(run_dag, local_store: Any) -> None:
    with DAG("single_existing") as the_dag:
        up = PythonOperator(task_id="up", python_callable=lambda: "from the run")
        down = PythonOperator(task_id="down", python_callable=lambda ti: ti.xcom_pull(task_ids="up"))
        up >> down
    result = run_dag(the_dag, logical_date=DAY1)
    with using_store(local_store):
        state = run_single_task(the_dag, "down", local_store, run=result.run)
    assert state is TaskInstanceState.SUCCESS
    assert result.ti("down").try_number == 2
    assert [r.run_id for r in local_store.list_dag_runs("single_existing")] == [result.run_id]


def test_a_logical_date_that_has_a_run_uses_that_run(run_dag, local_store: Any) -> None:
    with DAG("single_same_date") as the_dag:
        up = PythonOperator(task_id="up", python_callable=lambda: "from the run")
        down = PythonOperator(task_id="down", python_callable=lambda ti: ti.xcom_pull(task_ids="up"))
        up >> down
    result = run_dag(the_dag, logical_date=DAY1)
    with using_store(local_store):
        state = run_single_task(the_dag, "down", local_store, logical_date=DAY1)
    assert state is TaskInstanceState.SUCCESS
    assert [r.run_id for r in local_store.list_dag_runs("single_same_date")] == [result.run_id]
    assert result.xcom("down") == "from the run"


def test_render_returns_every_templated_field_as_text(in_store: Any) -> None:
    fields = render_single_task(_dag(), "down", in_store, logical_date=DAY1)
    assert fields == {"bash_command": "echo dag 2024-01-01 None", "env": "null", "cwd": "null"}
    assert in_store.list_dag_runs("single") == []


def test_render_does_not_execute_the_task(in_store: Any) -> None:
    ran: list[int] = []
    with DAG("render_only") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda: ran.append(1), op_args=["{{ ds }}"])
    fields = render_single_task(the_dag, "t", in_store, logical_date=DAY1)
    assert ran == []
    assert fields["op_args"] == '["2024-01-01"]'


def test_render_with_task_params(in_store: Any) -> None:
    fields = render_single_task(_dag(), "down", in_store, logical_date=DAY1, task_params={"who": "cli"})
    assert fields["bash_command"].startswith("echo cli ")


# -- mapped tasks ---------------------------------------------------------------------------------
def _mapped_dag(dag_id: str) -> DAG:
    with DAG(dag_id) as the_dag:
        BashOperator.partial(task_id="echo").expand(bash_command=["echo zero", "echo one {{ ds }}"])

        @task
        def numbers() -> list:
            return [10, 20]

        @task
        def double(x: int) -> int:
            return x * 2

        double.expand(x=numbers())
    return the_dag


def test_a_mapped_task_runs_the_instance_named_by_map_index(in_store: Any) -> None:
    state = run_single_task(_mapped_dag("single_mapped"), "echo", in_store, logical_date=DAY1, map_index=1)
    assert state is TaskInstanceState.SUCCESS
    assert in_store.list_dag_runs("single_mapped") == []


def test_a_mapped_task_renders_the_instance_named_by_map_index(in_store: Any) -> None:
    fields = render_single_task(_mapped_dag("render_mapped"), "echo", in_store, logical_date=DAY1, map_index=1)
    assert fields["bash_command"] == "echo one 2024-01-01"


def test_a_mapped_task_over_upstream_xcoms_uses_the_existing_run(run_dag, local_store: Any) -> None:
    the_dag = _mapped_dag("single_mapped_run")
    result = run_dag(the_dag, logical_date=DAY1)
    with using_store(local_store):
        state = run_single_task(the_dag, "double", local_store, run=result.run, map_index=1)
    assert state is TaskInstanceState.SUCCESS
    assert local_store.get_task_instance("single_mapped_run", result.run_id, "double", 1).try_number == 2


@pytest.mark.parametrize(
    ("task_id", "map_index", "message"),
    [("echo", -1, "is mapped"), ("echo", 5, "out of range"), ("numbers", 0, "not mapped")],
)
def test_map_index_mismatches_are_clear_errors(in_store: Any, task_id: str, map_index: int, message: str) -> None:
    with pytest.raises(SingleTaskError, match=message):
        run_single_task(_mapped_dag(f"mismatch_{task_id}_{map_index + 1}"), task_id, in_store, logical_date=DAY1, map_index=map_index)
    with pytest.raises(SingleTaskError, match=message):
        render_single_task(_mapped_dag(f"mismatch_r_{task_id}_{map_index + 1}"), task_id, in_store, logical_date=DAY1, map_index=map_index)


def test_a_mapped_task_whose_input_is_not_there_yet_is_a_clear_error(in_store: Any) -> None:
    with pytest.raises(SingleTaskError, match="cannot expand"):
        run_single_task(_mapped_dag("single_no_input"), "double", in_store, logical_date=DAY1, map_index=0)
    assert in_store.list_dag_runs("single_no_input") == []
