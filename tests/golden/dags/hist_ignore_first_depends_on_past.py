"""ignore_first_depends_on_past for tasks that appear in a later version of the DAG.

The DAG's tasks depend on the env variable HIST_TASKS of each run (the file is parsed again for
each run): `base` always; `added` (depends_on_past, ignore_first_depends_on_past=True) when it
holds "added"; `strict` (depends_on_past, ignore_first_depends_on_past left at its Airflow 3
default False) when it holds "strict".

Runs: 03-05 base only; 03-06 + added (previous run lacks it and no earlier TI exists: runs);
03-07 + added (previous TI success: runs); 03-08 base only; 03-09 + added + strict: `added` is
missing from the previous run but HAS an earlier TI, and `strict` is missing from the previous
run, so both wait forever (stalled; see README).
"""
import os

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {
    "runs": [
        {"logical_date": "2024-03-05T00:00:00+00:00", "env": {"HIST_TASKS": ""}},
        {"logical_date": "2024-03-06T00:00:00+00:00", "env": {"HIST_TASKS": "added"}},
        {"logical_date": "2024-03-07T00:00:00+00:00", "env": {"HIST_TASKS": "added"}},
        {"logical_date": "2024-03-08T00:00:00+00:00", "env": {"HIST_TASKS": ""}},
        {"logical_date": "2024-03-09T00:00:00+00:00", "env": {"HIST_TASKS": "added,strict"}},
    ]
}

WANTED = set(os.environ.get("HIST_TASKS", "").split(","))

with DAG(
    dag_id="hist_ignore_first_depends_on_past",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule="@daily",
) as dag:
    base = BashOperator(task_id="base", bash_command="echo base {{ ds }}", depends_on_past=True)
    if "added" in WANTED:
        added = BashOperator(
            task_id="added",
            bash_command="echo added {{ ds }}",
            depends_on_past=True,
            ignore_first_depends_on_past=True,
        )
        base >> added
    if "strict" in WANTED:
        BashOperator(task_id="strict", bash_command="echo strict {{ ds }}", depends_on_past=True)
