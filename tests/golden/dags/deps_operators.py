"""Airflow 2.x import spelling. Dependency operators: >>, <<, lists on either side, set_upstream / set_downstream with a
list, a diamond. Each task returns its upstream ids and which upstream XComs it saw."""
import pendulum

from riir_airflow import DAG
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _report(ti, task):
    ups = sorted(task.upstream_task_ids)
    return {
        "up": ups,
        "down": sorted(task.downstream_task_ids),
        "seen": [u for u in ups if ti.xcom_pull(task_ids=u) is not None],
    }


with DAG(dag_id="deps_operators", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    t = {n: PythonOperator(task_id=n, python_callable=_report) for n in "abcdefghij"}
    t["a"] >> [t["b"], t["c"]]          # fan out
    [t["b"], t["c"]] >> t["d"]          # fan in
    t["f"] << t["e"]                    # <<
    t["e"] << t["d"]
    t["g"].set_upstream([t["f"], t["a"]])
    t["g"].set_downstream(t["h"])
    t["i"] << [t["h"], t["c"]]
    t["j"] >> t["i"]                    # an independent root joining late
