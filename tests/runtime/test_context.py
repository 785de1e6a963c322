"""The task context at run time: date keys in UTC, runs without a logical date, params
precedence, AIRFLOW_CTX_* environment, Variables and Connections (spec sections 5, 9, 13.5)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pendulum
import pytest

from riir_airflow.hooks.base import BaseHook
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator
from riir_airflow.sdk import DAG, Param, Variable, task
from riir_airflow.store.records import ConnectionRecord, VariableRecord

KEYS_3X = [
    "dag", "task", "ti", "task_instance", "dag_run", "run_id", "logical_date", "ds", "ds_nodash", "ts",
    "ts_nodash", "ts_nodash_with_tz", "data_interval_start", "data_interval_end", "params", "var", "conn",
    "macros", "inlets", "outlets", "task_instance_key_str", "prev_data_interval_start_success",
    "prev_data_interval_end_success", "prev_start_date_success", "prev_end_date_success",
]
KEYS_2X = [
    "execution_date", "next_ds", "next_ds_nodash", "prev_ds", "prev_ds_nodash", "yesterday_ds",
    "tomorrow_ds", "next_execution_date", "prev_execution_date",
]


def _capture(store: dict[str, Any]) -> Any:
    def grab(**context: Any) -> None:
        store.update(context)

    return grab


def test_context_has_the_airflow3_keys_and_the_2x_keys(run_dag) -> None:
    seen: dict[str, Any] = {}
    with DAG("keys") as the_dag:
        PythonOperator(task_id="t", python_callable=_capture(seen))
    run_dag(the_dag)
    assert [k for k in KEYS_3X if k not in seen] == []
    assert [k for k in KEYS_2X if k not in seen] == []


def test_date_keys_of_a_run(run_dag) -> None:
    seen: dict[str, Any] = {}
    with DAG("dates", schedule="@daily", start_date=pendulum.datetime(2024, 1, 1)) as the_dag:
        PythonOperator(task_id="t", python_callable=_capture(seen))
    result = run_dag(the_dag, logical_date=pendulum.datetime(2024, 3, 5, 6, 7, 8))
    assert seen["ds"] == "2024-03-05"
    assert seen["ds_nodash"] == "20240305"
    assert seen["ts"] == "2024-03-05T06:07:08+00:00"
    assert seen["ts_nodash"] == "20240305T060708"
    assert seen["ts_nodash_with_tz"] == "20240305T060708+0000"
    assert seen["logical_date"] == pendulum.datetime(2024, 3, 5, 6, 7, 8)
    assert seen["run_id"] == result.run_id
    assert seen["task_instance_key_str"] == "dates__t__20240305"
    assert seen["yesterday_ds"] == "2024-03-04" and seen["tomorrow_ds"] == "2024-03-06"
    assert seen["dag_run"].run_type == "manual"
    assert seen["ti"].try_number == 1


def test_dates_are_utc_even_for_a_dag_in_another_timezone(run_dag) -> None:
    seen: dict[str, Any] = {}
    tz = pendulum.timezone("Europe/Amsterdam")
    with DAG("amsterdam", start_date=pendulum.datetime(2024, 1, 1, tz=tz)) as the_dag:
        PythonOperator(task_id="t", python_callable=_capture(seen))
    run_dag(the_dag, logical_date=pendulum.datetime(2024, 3, 5, 6, 0, tz=tz))
    assert seen["ts"] == "2024-03-05T05:00:00+00:00"
    assert seen["logical_date"].utcoffset() == datetime.timedelta(0)
    assert seen["data_interval_start"].utcoffset() == datetime.timedelta(0)


def test_run_without_logical_date_has_no_date_keys(run_dag) -> None:
    seen: dict[str, Any] = {}
    with DAG("no_date") as the_dag:
        PythonOperator(task_id="t", python_callable=_capture(seen))
    result = run_dag(the_dag, logical_date=None)
    assert result.state == "success"
    assert result.run.logical_date is None
    for key in ("ds", "ts", "logical_date", "data_interval_start", "data_interval_end"):
        assert key not in seen
    assert seen["task_instance_key_str"] == f"no_date__t__{result.run_id}"


def test_template_using_ds_fails_in_a_run_without_logical_date(run_dag) -> None:
    with DAG("no_date_tmpl") as the_dag:
        BashOperator(task_id="t", bash_command="echo {{ ds }}")
    result = run_dag(the_dag, logical_date=None)
    assert result.ti_state("t") == "failed"
    assert "UndefinedError" in result.log("t")


# -- params --------------------------------------------------------------------------------------
def test_params_are_dag_params_then_task_params_then_run_conf(run_dag) -> None:
    with DAG("params", params={"a": "dag", "b": "dag", "c": "dag"}) as the_dag:
        PythonOperator(task_id="t", python_callable=lambda params: dict(params), params={"b": "task", "c": "task"})
    result = run_dag(the_dag, conf={"c": "conf", "extra": 1})
    assert result.xcom("t") == {"a": "dag", "b": "task", "c": "conf", "extra": 1}


def test_run_conf_is_validated_against_the_param_schema(run_dag) -> None:
    from riir_airflow.sdk.exceptions import ParamValidationError

    with DAG("param_schema", params={"n": Param(1, type="integer", minimum=0)}) as the_dag:
        PythonOperator(task_id="t", python_callable=lambda params: params["n"])
    assert run_dag(the_dag, conf={"n": 5}).xcom("t") == 5
    with pytest.raises(ParamValidationError):
        run_dag(the_dag, conf={"n": -1})


def test_params_render_in_templates(run_dag) -> None:
    with DAG("params_tmpl", params={"who": "world"}) as the_dag:
        BashOperator(task_id="t", bash_command="echo hello {{ params.who }}")
    assert run_dag(the_dag, conf={"who": "conf"}).xcom("t") == "hello conf"


def test_dag_run_conf_is_visible_in_context(run_dag) -> None:
    with DAG("conf") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda dag_run: dag_run.conf)
    assert run_dag(the_dag, conf={"k": [1, 2]}).xcom("t") == {"k": [1, 2]}


# -- environment -------------------------------------------------------------------------------------
def test_bash_task_sees_airflow_ctx_variables(run_dag) -> None:
    with DAG("ctx_env") as the_dag:
        BashOperator(
            task_id="t",
            owner="alice",
            email=["a@x.org", "b@x.org"],
            bash_command=(
                'echo "$AIRFLOW_CTX_DAG_ID|$AIRFLOW_CTX_TASK_ID|$AIRFLOW_CTX_LOGICAL_DATE|'
                '$AIRFLOW_CTX_TRY_NUMBER|$AIRFLOW_CTX_DAG_RUN_ID|$AIRFLOW_CTX_DAG_OWNER|$AIRFLOW_CTX_DAG_EMAIL"'
            ),
        )
    result = run_dag(the_dag)
    assert result.xcom("t").split("|") == [
        "ctx_env", "t", "2024-01-01T00:00:00+00:00", "1", result.run_id, "alice", "a@x.org,b@x.org"
    ]


def test_bash_task_with_its_own_env_still_gets_airflow_ctx_variables(run_dag) -> None:
    with DAG("ctx_env_replaced") as the_dag:
        BashOperator(task_id="t", env={"MINE": "yes"}, bash_command='echo "$MINE $AIRFLOW_CTX_TASK_ID ${HOME:-nohome}"')
    assert run_dag(the_dag).xcom("t") == "yes t nohome"


def test_bash_task_sees_the_2x_execution_date_variable_too(run_dag) -> None:
    with DAG("ctx_env_2x") as the_dag:
        BashOperator(task_id="t", bash_command='echo "$AIRFLOW_CTX_EXECUTION_DATE"')
    assert run_dag(the_dag).xcom("t") == "2024-01-01T00:00:00+00:00"


def test_run_without_logical_date_exports_no_date_variables(run_dag) -> None:
    with DAG("ctx_env_nodate") as the_dag:
        BashOperator(task_id="t", bash_command='echo "[${AIRFLOW_CTX_LOGICAL_DATE:-unset}]"')
    assert run_dag(the_dag, logical_date=None).xcom("t") == "[unset]"


def test_python_task_sees_airflow_ctx_variables_in_os_environ(run_dag) -> None:
    import os

    with DAG("ctx_py") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda: [os.environ["AIRFLOW_CTX_DAG_ID"], os.environ["AIRFLOW_CTX_TRY_NUMBER"]])
    assert run_dag(the_dag).xcom("t") == ["ctx_py", "1"]


# -- Variables and Connections -----------------------------------------------------------------------
def test_variable_from_environment(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_GREETING", "hi from env")
    monkeypatch.setenv("AIRFLOW_VAR_CONFIG", json.dumps({"depth": 2}))
    with DAG("var_env") as the_dag:
        PythonOperator(
            task_id="code",
            python_callable=lambda: [Variable.get("greeting"), Variable.get("config", deserialize_json=True)["depth"]],
        )
        BashOperator(task_id="tmpl", bash_command="echo {{ var.value.greeting }} {{ var.json.config.depth }}")
    result = run_dag(the_dag)
    assert result.xcom("code") == ["hi from env", 2]
    assert result.xcom("tmpl") == "hi from env 2"


def test_variable_from_the_local_store(run_dag, local_store: Any) -> None:
    local_store.set_variable(VariableRecord(key="stored", value="from store"))
    with DAG("var_store") as the_dag:
        PythonOperator(task_id="code", python_callable=lambda: Variable.get("stored"))
        BashOperator(task_id="tmpl", bash_command="echo {{ var.value.stored }}")
    result = run_dag(the_dag)
    assert result.xcom("code") == "from store"
    assert result.xcom("tmpl") == "from store"


def test_environment_variable_wins_over_the_store(run_dag, local_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    local_store.set_variable(VariableRecord(key="both", value="store"))
    monkeypatch.setenv("AIRFLOW_VAR_BOTH", "env")
    with DAG("var_both") as the_dag:
        PythonOperator(task_id="code", python_callable=lambda: Variable.get("both"))
    assert run_dag(the_dag).xcom("code") == "env"


def test_variable_set_in_a_task_is_stored(run_dag, local_store: Any) -> None:
    with DAG("var_set") as the_dag:
        PythonOperator(task_id="code", python_callable=lambda: Variable.set("written", "by task"))
    run_dag(the_dag)
    assert local_store.get_variable("written").value == "by task"


def test_missing_variable_fails_the_task_and_default_is_returned(run_dag) -> None:
    with DAG("var_missing") as the_dag:
        PythonOperator(task_id="missing", python_callable=lambda: Variable.get("nope"))
        PythonOperator(task_id="default", python_callable=lambda: Variable.get("nope", default="fallback"))
    result = run_dag(the_dag)
    assert result.ti_state("missing") == "failed"
    assert result.xcom("default") == "fallback"


def test_connection_from_environment_uri(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MY_PG", "postgresql://user:p%40ss@db.example.com:5432/mydb?sslmode=require")
    with DAG("conn_env") as the_dag:

        @task
        def read() -> list:
            conn = BaseHook.get_connection("my_pg")
            return [conn.conn_type, conn.host, conn.login, conn.password, conn.port, conn.schema, conn.extra_dejson]

        read()
        BashOperator(task_id="tmpl", bash_command="echo {{ conn.my_pg.host }} {{ conn.my_pg.conn_type }}")
    result = run_dag(the_dag)
    assert result.xcom("read") == ["postgres", "db.example.com", "user", "p@ss", 5432, "mydb", {"sslmode": "require"}]
    assert result.xcom("tmpl") == "db.example.com postgres"


def test_connection_from_the_local_store(run_dag, local_store: Any) -> None:
    local_store.set_connection(
        ConnectionRecord(conn_id="stored_http", conn_type="http", host="api.example.com", extra='{"timeout": 3}')
    )
    with DAG("conn_store") as the_dag:

        @task
        def read() -> list:
            conn = BaseHook.get_connection("stored_http")
            return [conn.conn_type, conn.host, conn.extra_dejson]

        read()
    assert run_dag(the_dag).xcom("read") == ["http", "api.example.com", {"timeout": 3}]


def test_missing_connection_fails_the_task(run_dag) -> None:
    with DAG("conn_missing") as the_dag:
        PythonOperator(task_id="t", python_callable=lambda: BaseHook.get_connection("nope"))
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "AirflowNotFoundException" in result.log("t")
