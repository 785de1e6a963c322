"""ExternalTaskSensor inside dag.test, pointed at this same DAG and logical date (another DAG's run
would not exist): waiting for an earlier task that succeeded (success), for two task ids, for a
task group, and for a task that failed with failed_states=["failed"] and soft_fail=False (the
sensor fails) / soft_fail=True (skipped); timeouts are short so nothing hangs."""
import pendulum

from riir_airflow.sdk import DAG, TaskGroup, task
from riir_airflow.providers.standard.sensors.external_task import ExternalTaskSensor

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG(
    dag_id="sensor_external_same_dag",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"poke_interval": 0.5, "timeout": 5},
) as dag:

    @task
    def producer():
        return "produced"

    @task
    def producer2():
        return "produced2"

    @task
    def broken():
        raise RuntimeError("broken")

    with TaskGroup("grp") as grp:
        task(task_id="g1")(lambda: 1)()
        task(task_id="g2")(lambda: 2)()

    p, p2, b = producer(), producer2(), broken()
    wait_one = ExternalTaskSensor(
        task_id="wait_one", external_dag_id="sensor_external_same_dag", external_task_id="producer"
    )
    wait_two = ExternalTaskSensor(
        task_id="wait_two",
        external_dag_id="sensor_external_same_dag",
        external_task_ids=["producer", "producer2"],
    )
    wait_group = ExternalTaskSensor(
        task_id="wait_group", external_dag_id="sensor_external_same_dag", external_task_group_id="grp"
    )
    wait_broken = ExternalTaskSensor(
        task_id="wait_broken",
        external_dag_id="sensor_external_same_dag",
        external_task_id="broken",
        failed_states=["failed"],
        trigger_rule="all_done",
    )
    wait_broken_soft = ExternalTaskSensor(
        task_id="wait_broken_soft",
        external_dag_id="sensor_external_same_dag",
        external_task_id="broken",
        failed_states=["failed"],
        soft_fail=True,
        trigger_rule="all_done",
    )
    p >> wait_one
    [p, p2] >> wait_two
    grp >> wait_group
    b >> [wait_broken, wait_broken_soft]
