"""Errors raised inside poke(): a plain exception is retried like any task failure (retries=1:
failed/2); AirflowFailException with soft_fail=True -> skipped; silent_fail=True logs the error
and keeps poking (done on the next poke: success/1); never_fail=True turns an error into a skip;
AirflowSkipException raised in poke -> skipped."""
import datetime
import glob
import os

import pendulum

from riir_airflow.sdk import DAG, task
from riir_airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from riir_airflow.providers.standard.sensors.python import PythonSensor

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _prefix(context):
    # unique per run (the run id holds the wall-clock time): other runs of this golden may be going
    # on at the same time (CI, another checkout); the path is never recorded in XComs or templates
    run = context["run_id"].replace(":", "").replace("+", "")
    return f"/tmp/riir_golden_{context['dag'].dag_id}_{context['ts_nodash']}_{run}_"


def _remove_files(context):
    for path in glob.glob(_prefix(context) + "*"):
        os.remove(path)


def _bump(context, name):
    path = _prefix(context) + name
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as fh:
        fh.write(str(n))
    return n


def _raise_plain():
    raise ValueError("poke broke")


def _raise_fail():
    raise AirflowFailException("poke says fail")


def _raise_skip():
    raise AirflowSkipException("poke says skip")


def _fail_then_ok(**context):
    if _bump(context, "silent") == 1:
        raise ValueError("first poke broke")
    return True


with DAG(
    dag_id="sensor_poke_errors",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retry_delay": datetime.timedelta(seconds=1), "poke_interval": 0.3, "timeout": 5},
) as dag:

    @task
    def clean(**context):
        _remove_files(context)
        return "cleaned"

    sensors = [
        PythonSensor(task_id="plain_error", python_callable=_raise_plain, retries=1),
        PythonSensor(task_id="fail_soft", python_callable=_raise_fail, soft_fail=True),
        PythonSensor(task_id="fail_hard", python_callable=_raise_fail, retries=1),
        PythonSensor(task_id="silent", python_callable=_fail_then_ok, silent_fail=True),
        PythonSensor(task_id="never_fail", python_callable=_raise_plain, never_fail=True),
        PythonSensor(task_id="skip_in_poke", python_callable=_raise_skip),
    ]
    @task(trigger_rule="all_done")
    def end(**context):
        _remove_files(context)
        return "end"

    clean() >> sensors >> end()
