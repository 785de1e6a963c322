"""Task callbacks that leave an observable trace: on_execute, on_success, on_retry, on_failure and
on_skipped callbacks append a line to a file in a per-run folder; an all_done task at the end
returns the sorted lines. (DAG-level callbacks are not observable in the goldens.)"""
import os
import re
import shutil
import tempfile
from datetime import timedelta

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.sdk.exceptions import AirflowSkipException
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _trace_dir(context):
    run = re.sub(r"\W", "_", context["run_id"])
    return os.path.join(tempfile.gettempdir(), "riir_golden_callbacks", context["dag"].dag_id, run)


def _record(kind):
    def callback(context):
        ti = context["ti"]
        os.makedirs(_trace_dir(context), exist_ok=True)
        with open(os.path.join(_trace_dir(context), "trace.txt"), "a") as fh:
            fh.write(f"{kind}:{ti.task_id}:{ti.try_number}\n")

    return callback


CALLBACKS = {
    "on_execute_callback": _record("execute"),
    "on_success_callback": _record("success"),
    "on_retry_callback": _record("retry"),
    "on_failure_callback": _record("failure"),
    "on_skipped_callback": _record("skipped"),
}


def _reset(**context):
    shutil.rmtree(_trace_dir(context), ignore_errors=True)
    return "reset"


def _ok():
    return "ok"


def _fail_once(ti):
    if ti.try_number == 1:
        raise ValueError("first try")
    return "second try ok"


def _fail():
    raise ValueError("always")


def _skip():
    raise AirflowSkipException()


def _collect(**context):
    path = os.path.join(_trace_dir(context), "trace.txt")
    with open(path) as fh:
        lines = sorted(line.strip() for line in fh if line.strip())
    shutil.rmtree(_trace_dir(context), ignore_errors=True)
    return lines


with DAG(
    dag_id="callbacks_task",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retry_delay": timedelta(seconds=1)},
) as dag:
    reset = PythonOperator(task_id="reset", python_callable=_reset)
    ok = PythonOperator(task_id="ok", python_callable=_ok, **CALLBACKS)
    flaky = PythonOperator(task_id="flaky", python_callable=_fail_once, retries=1, **CALLBACKS)
    bad = PythonOperator(task_id="bad", python_callable=_fail, **CALLBACKS)
    skip = PythonOperator(task_id="skip", python_callable=_skip, **CALLBACKS)
    lst = PythonOperator(
        task_id="list_callbacks",
        python_callable=_ok,
        on_success_callback=[_record("success-a"), _record("success-b")],
    )
    collect = PythonOperator(task_id="collect", python_callable=_collect, trigger_rule="all_done")
    reset >> [ok, flaky, bad, skip, lst] >> collect
