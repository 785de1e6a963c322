"""exponential_backoff with short intervals: a poke-mode PythonSensor (poke_interval 0.2 s,
max_wait 0.5 s) done on its 4th poke, a reschedule-mode one (poke_interval 1, max_wait 1) done on
its 2nd poke, an `@task.sensor(exponential_backoff=True)` returning PokeReturnValue with an XCom on
its 3rd poke, and a backing-off sensor that times out with soft_fail (skipped); poke counts are
kept in /tmp files named after the dag id, logical date and run id (removed by the last task)."""
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


def _nth(name, need):
    def poke(**context):
        return _bump(context, name) >= need

    return poke


with DAG(dag_id="sensor_backoff", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task
    def clean(**context):
        _remove_files(context)
        return "cleaned"

    poke = PythonSensor(
        task_id="backoff_poke",
        python_callable=_nth("poke", 4),
        poke_interval=0.2,
        max_wait=0.5,
        exponential_backoff=True,
        timeout=30,
    )
    resched = PythonSensor(
        task_id="backoff_resched",
        python_callable=_nth("resched", 2),
        poke_interval=1,
        max_wait=1,
        exponential_backoff=True,
        mode="reschedule",
        timeout=30,
    )

    @task.sensor(poke_interval=0.2, max_wait=0.4, exponential_backoff=True, timeout=30)
    def deco_backoff(**context):
        n = _bump(context, "deco")
        return PokeReturnValue(is_done=n >= 3, xcom_value=f"done after {n}")

    gives_up = PythonSensor(
        task_id="backoff_soft_timeout",
        python_callable=lambda: False,
        poke_interval=0.2,
        max_wait=0.3,
        exponential_backoff=True,
        timeout=1,
        soft_fail=True,
    )

    @task(trigger_rule="all_done")
    def report(**context):
        counts = {name: _count(context, name) for name in ["poke", "resched", "deco"]}
        _remove_files(context)
        return counts

    clean() >> [poke, resched, deco_backoff(), gives_up] >> report()
