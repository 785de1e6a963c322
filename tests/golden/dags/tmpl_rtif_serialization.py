"""How Airflow records rendered template fields (RenderedTaskInstanceFields) for values that are
not plain strings: a rendered string longer than the 4096-character limit (truncated in the
record, full in the XCom), tuples, sets, ints/floats/bools/None, datetimes and objects with a
__repr__ that are not templates, and dict keys that are not strings."""
import datetime

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


class Opaque:
    def __repr__(self):
        return "Opaque()"


def _summary(**kwargs):
    return {
        "tuple": list(kwargs["tup"]),
        "set_sorted": sorted(kwargs["a_set"]),
        "num": kwargs["num"],
        "when": kwargs["when"].isoformat(),
        "opaque": repr(kwargs["opaque"]),
        "int_keys": {str(k): v for k, v in kwargs["int_keys"].items()},
    }


with DAG(dag_id="tmpl_rtif_serialization", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    py = PythonOperator(
        task_id="values",
        python_callable=_summary,
        op_kwargs={
            "tup": ("{{ ds }}", 1),
            "a_set": {"b", "a"},
            "num": 1.25,
            "flag": True,
            "nothing": None,
            "when": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
            "opaque": Opaque(),
            "int_keys": {1: "{{ ds }}", 2: "two"},
        },
    )
    long_py = PythonOperator(
        task_id="long_py",
        python_callable=lambda text, other: {"len": len(text), "other": other},
        op_kwargs={"text": "{{ 'x' * 5000 }}", "other": "{{ ds }}"},
    )
    long_bash = BashOperator(task_id="long_bash", bash_command="echo {{ 'y' * 4100 }} | wc -c")
    py >> long_py >> long_bash
