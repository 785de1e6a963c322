"""Reschedule-mode sensors: a PythonSensor(mode="reschedule", poke_interval=1) done on its 3rd poke
and an `@task.sensor(mode="reschedule")` returning PokeReturnValue on its 2nd poke: each poke
is a new execution of the task (up_for_reschedule in between) but try_number stays 1; the
PokeReturnValue XCom is kept; poke counts live in /tmp files named after the dag id, logical
date and run id, removed by the last task."""
import glob
import os

import pendulum

from riir_airflow.sdk import DAG, PokeReturnValue, task
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


def _count(context, name):
    path = _prefix(context) + name
    return int(open(path).read()) if os.path.exists(path) else 0


def _third_time(**context):
    return _bump(context, "python") >= 3


with DAG(dag_id="sensor_reschedule", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task
    def clean(**context):
        _remove_files(context)
        return "cleaned"

    @task.sensor(poke_interval=1, timeout=60, mode="reschedule")
    def deco_resched(**context):
        n = _bump(context, "deco")
        return PokeReturnValue(is_done=n >= 2, xcom_value={"pokes": n, "try": context["ti"].try_number})

    py = PythonSensor(
        task_id="python_resched", python_callable=_third_time, poke_interval=1, timeout=60, mode="reschedule"
    )

    @task
    def report(**context):
        counts = {name: _count(context, name) for name in ["python", "deco"]}
        _remove_files(context)
        return counts

    c = clean()
    c >> [deco_resched(), py] >> report()
