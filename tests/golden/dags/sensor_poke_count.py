"""Poke-mode sensors that succeed after N pokes (the poke count lives in a file under /tmp whose
name derives from the dag id, logical date and run id; the last task removes the files): a PythonSensor done
on its 3rd poke, an `@task.sensor` returning PokeReturnValue(is_done=False) twice then
PokeReturnValue(True, xcom_value=...) (that value is the XCom), and a custom BaseSensorOperator
subclass; try_number stays 1 for all; a downstream task reads the final counts."""
import glob
import os

import pendulum

from riir_airflow.sdk import DAG, BaseSensorOperator, PokeReturnValue, task
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


class CountingSensor(BaseSensorOperator):
    def __init__(self, *, need, **kwargs):
        super().__init__(**kwargs)
        self.need = need

    def poke(self, context):
        return _bump(context, self.task_id) >= self.need


with DAG(dag_id="sensor_poke_count", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @task
    def clean(**context):
        _remove_files(context)
        return "cleaned"

    @task.sensor(poke_interval=0.3, timeout=30, mode="poke")
    def deco_sensor(**context):
        n = _bump(context, "deco")
        if n < 3:
            return PokeReturnValue(is_done=False, xcom_value={"early": n})
        return PokeReturnValue(is_done=True, xcom_value={"pokes": n})

    py = PythonSensor(task_id="python_sensor", python_callable=_third_time, poke_interval=0.3, timeout=30)
    custom = CountingSensor(task_id="custom_sensor", need=2, poke_interval=0.3, timeout=30)

    @task
    def report(**context):
        counts = {name: _count(context, name) for name in ["python", "deco", "custom_sensor"]}
        _remove_files(context)
        return counts

    c = clean()
    c >> [deco_sensor(), py, custom] >> report()
