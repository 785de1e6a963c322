"""Template files for BashOperator (Airflow 2.x spelling): a bash_command ending in `.sh` is a
FILE name, looked up next to the DAG file (`templates/greet.sh`) or on `template_searchpath`
(`greet.sh`), rendered, then run; the last stdout line is the XCom."""
import os

import pendulum

from riir_airflow import DAG
from riir_airflow.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"who": "conf-who"}}

HERE = os.path.dirname(os.path.abspath(__file__))

with DAG(
    "tmpl_files_bash",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    params={"who": "param-who"},
    template_searchpath=[os.path.join(HERE, "templates")],
) as dag:
    relative = BashOperator(task_id="relative_to_dag", bash_command="templates/greet.sh")
    searchpath = BashOperator(task_id="via_searchpath", bash_command="greet.sh")
    inline = BashOperator(task_id="inline", bash_command="echo inline {{ params.who }}")
    relative >> searchpath >> inline
