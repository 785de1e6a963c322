"""PythonOperator (Airflow 2.x spelling): op_args, op_kwargs, templates_dict, context passed by
parameter name and via **kwargs, returning None (no XCom), a tuple, a dict, do_xcom_push=False,
show_return_value_in_logs=False."""
import pendulum

from riir_airflow import DAG
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _args(a, b, *rest, c=None, d="default-d"):
    return {"a": a, "b": b, "rest": list(rest), "c": c, "d": d}


def _templates_dict(templates_dict, ds):
    return {"td": templates_dict, "ds": ds}


def _kwargs(**kwargs):
    return {
        "has_ti": "ti" in kwargs,
        "has_dag_run": "dag_run" in kwargs,
        "ds": kwargs["ds"],
        "custom": kwargs.get("custom"),
        "params": dict(kwargs["params"]),
    }


def _none():
    return None


def _tuple():
    return (1, "two", [3])


def _pull_none(ti):
    return {"none_task": ti.xcom_pull(task_ids="returns_none"), "no_push": ti.xcom_pull(task_ids="no_push")}


with DAG("op_python_basics", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    args = PythonOperator(
        task_id="args",
        python_callable=_args,
        op_args=["A", "{{ ds }}", "r1", 2],
        op_kwargs={"c": "{{ ds_nodash }}"},
    )
    td = PythonOperator(
        task_id="templates_dict",
        python_callable=_templates_dict,
        templates_dict={"day": "{{ ds }}", "static": 1},
    )
    kw = PythonOperator(task_id="kwargs", python_callable=_kwargs, op_kwargs={"custom": "x"}, params={"p": 1})
    none = PythonOperator(task_id="returns_none", python_callable=_none)
    tup = PythonOperator(task_id="returns_tuple", python_callable=_tuple, show_return_value_in_logs=False)
    no_push = PythonOperator(task_id="no_push", python_callable=_tuple, do_xcom_push=False)
    pull = PythonOperator(task_id="pull_none", python_callable=_pull_none)
    args >> td >> kw >> none >> tup >> no_push >> pull
