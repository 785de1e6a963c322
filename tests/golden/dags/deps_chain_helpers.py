"""Airflow 2.x import spelling. chain() with single tasks and equal-length lists (pairwise), cross_downstream (all pairs),
chain_linear (every task of one element to every task of the next) and Label on edges."""
import pendulum

from riir_airflow import DAG
from riir_airflow.models.baseoperator import chain, chain_linear, cross_downstream
from riir_airflow.utils.edgemodifier import Label
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _report(ti, task):
    ups = sorted(task.upstream_task_ids)
    return {"up": ups, "seen": [u for u in ups if ti.xcom_pull(task_ids=u) is not None]}


with DAG(dag_id="deps_chain_helpers", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    def op(name):
        return PythonOperator(task_id=name, python_callable=_report)

    # chain: c1 -> [c2a, c2b] -> [c3a, c3b] (pairwise) -> c4
    c1, c2a, c2b, c3a, c3b, c4 = map(op, ["c1", "c2a", "c2b", "c3a", "c3b", "c4"])
    chain(c1, [c2a, c2b], [c3a, c3b], c4)

    # cross_downstream: every x to every y
    x1, x2, y1, y2, y3 = map(op, ["x1", "x2", "y1", "y2", "y3"])
    cross_downstream([x1, x2], [y1, y2, y3])

    # chain_linear: l1 -> (l2a, l2b) -> (l3a, l3b) fully connected -> l4
    l1, l2a, l2b, l3a, l3b, l4 = map(op, ["l1", "l2a", "l2b", "l3a", "l3b", "l4"])
    chain_linear(l1, [l2a, l2b], [l3a, l3b], l4)

    # labels on edges do not change the graph
    p, q, r = map(op, ["p", "q", "r"])
    p >> Label("yes") >> q
    p >> Label("no") >> r
    c4 >> Label("to end") >> [p]
