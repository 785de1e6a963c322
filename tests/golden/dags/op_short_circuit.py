"""ShortCircuitOperator: falsy result with ignore_downstream_trigger_rules=True (default; every
downstream task skipped, even an all_done grandchild), falsy with False (only direct downstream
skipped, later tasks follow their trigger rules), truthy result (nothing skipped, value pushed)."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _ret(task):
    return task.task_id


with DAG(dag_id="op_short_circuit", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    sc_default = ShortCircuitOperator(task_id="sc_false_default", python_callable=lambda: 0)
    d1 = PythonOperator(task_id="d1", python_callable=_ret)
    d2_all_done = PythonOperator(task_id="d2_all_done", python_callable=_ret, trigger_rule="all_done")
    sc_default >> d1 >> d2_all_done

    sc_respect = ShortCircuitOperator(
        task_id="sc_false_respect",
        python_callable=lambda: [],
        ignore_downstream_trigger_rules=False,
    )
    r1 = PythonOperator(task_id="r1", python_callable=_ret)
    r2_all_done = PythonOperator(task_id="r2_all_done", python_callable=_ret, trigger_rule="all_done")
    r2_default = EmptyOperator(task_id="r2_default")
    sc_respect >> r1 >> [r2_all_done, r2_default]

    sc_true = ShortCircuitOperator(task_id="sc_true", python_callable=lambda: {"go": 1})
    t1 = PythonOperator(task_id="t1", python_callable=_ret)
    sc_true >> t1
