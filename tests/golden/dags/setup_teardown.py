"""Setup/teardown: a work task fails, the teardown still runs (all_done_setup_success) and
succeeds, the run is failed (teardowns are ignored for the run state); a second setup/work/
teardown chain succeeds; as_setup()/as_teardown() on classic operators."""
import pendulum

from riir_airflow.sdk import DAG, setup, task, teardown
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(dag_id="setup_teardown", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:

    @setup
    def create():
        return "created"

    @task
    def work_fails():
        raise ValueError("work failed")

    @teardown
    def delete():
        return "deleted"

    s = create()
    s >> work_fails() >> delete().as_teardown(setups=s)

    s2 = BashOperator(task_id="bash_setup", bash_command="echo setup2").as_setup()
    w2 = BashOperator(task_id="bash_work", bash_command="echo work2")
    t2 = BashOperator(task_id="bash_teardown", bash_command="echo teardown2")
    s2 >> w2 >> t2.as_teardown(setups=s2)
