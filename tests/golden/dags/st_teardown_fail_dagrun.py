"""`@teardown(on_failure_fail_dagrun=True)` failing makes the run failed although every work task
succeeded; a second, ordinary failing teardown in the same DAG; a classic BashOperator teardown
with `as_teardown(setups=..., on_failure_fail_dagrun=True)` that succeeds."""
import pendulum

from riir_airflow.sdk import DAG, setup, task, teardown
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(
    dag_id="st_teardown_fail_dagrun", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None
) as dag:

    @setup
    def prepare():
        return "ready"

    @task
    def work():
        return "worked"

    @teardown(on_failure_fail_dagrun=True)
    def strict_cleanup():
        raise RuntimeError("strict teardown failed")

    @teardown
    def lax_cleanup():
        raise RuntimeError("lax teardown failed")

    s = prepare()
    w = work()
    s >> w >> [strict_cleanup().as_teardown(setups=s), lax_cleanup().as_teardown(setups=s)]

    s2 = BashOperator(task_id="bash_setup", bash_command="echo s2").as_setup()
    w2 = BashOperator(task_id="bash_work", bash_command="echo w2")
    t2 = BashOperator(task_id="bash_teardown", bash_command="echo t2")
    s2 >> w2 >> t2.as_teardown(setups=s2, on_failure_fail_dagrun=True)
