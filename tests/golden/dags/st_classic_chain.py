"""Setup/teardown on classic operators: `as_setup()` / `as_teardown(setups=...)` on Bash and
Python operators, a `>>` chain setup >> teardown with the work in between (s >> w >> t), a
setup with two work tasks and a teardown that waits for both, a teardown with two setups, a
work task that skips itself (bash exit 99: teardown still runs), and a task downstream of the
teardown."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _name(task):
    return task.task_id


with DAG(dag_id="st_classic_chain", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    s1 = BashOperator(task_id="s1", bash_command="echo s1-{{ ds }}").as_setup()
    s2 = PythonOperator(task_id="s2", python_callable=_name).as_setup()
    w1 = PythonOperator(task_id="w1", python_callable=_name)
    w2 = BashOperator(task_id="w2_skips", bash_command="exit 99")
    t1 = PythonOperator(task_id="t1", python_callable=_name)
    after = BashOperator(task_id="after_t1", bash_command="echo after")
    [s1, s2] >> w1 >> t1.as_teardown(setups=[s1, s2])
    s1 >> w2 >> t1
    t1 >> after

    s3 = BashOperator(task_id="s3", bash_command="echo s3").as_setup()
    t3 = BashOperator(task_id="t3", bash_command="echo t3").as_teardown(setups=s3)
    s3 >> t3  # setup directly followed by its teardown, no work in between
