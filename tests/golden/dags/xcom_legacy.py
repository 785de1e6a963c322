"""XCom with the Airflow 2.x spelling: `provide context by name`, xcom_push/xcom_pull through
task_instance, pulling through a template, XComArg from riir_airflow.models.xcom_arg, a classic
operator's output used as op_args of another classic operator."""
import pendulum

from riir_airflow import DAG
from riir_airflow.models.xcom_arg import XComArg
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _produce(task_instance):
    task_instance.xcom_push(key="extra", value=["e1", "e2"])
    return {"n": 3}


def _consume(produced, extra, line):
    return {"produced": produced, "extra": extra, "line": line}


with DAG("xcom_legacy", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    produce = PythonOperator(task_id="produce", python_callable=_produce)
    line = BashOperator(task_id="line", bash_command="echo n={{ ti.xcom_pull(task_ids='produce')['n'] }}")
    consume = PythonOperator(
        task_id="consume",
        python_callable=_consume,
        op_args=[XComArg(produce), XComArg(produce, key="extra")],
        op_kwargs={"line": line.output},
    )
    produce >> line
