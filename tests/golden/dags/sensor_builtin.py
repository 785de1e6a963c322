"""Built-in sensors: FileSensor waiting for files an upstream task creates (templated filepath,
fs_default connection from the environment) and a FileSensor with a glob; BashSensor exiting 0,
BashSensor that exits 1 on its first poke and 0 on the second (non-zero = poke again; its counter
file is keyed by $AIRFLOW_CTX_DAG_RUN_ID), BashSensor
with retry_exit_code=3 exiting 4 (AirflowFailException: failed/1 although retries=1);
PythonSensor with templated op_kwargs / templates_dict returning PokeReturnValue (its xcom_value
is the XCom)."""
import datetime
import glob
import os

import pendulum

from riir_airflow.sdk import DAG, PokeReturnValue, task
from riir_airflow.providers.standard.sensors.bash import BashSensor
from riir_airflow.providers.standard.sensors.filesystem import FileSensor
from riir_airflow.providers.standard.sensors.python import PythonSensor

GOLDEN_ARGS = {
    "logical_date": "2024-03-05T06:00:00+00:00",
    "env": {"AIRFLOW_CONN_FS_DEFAULT": '{"conn_type": "fs", "extra": {"path": "/"}}'},
}

PREFIX = "/tmp/riir_golden_sensor_builtin_{{ ts_nodash }}_"


def _found(who, templates_dict=None):
    return PokeReturnValue(is_done=True, xcom_value={"who": who, "td": templates_dict})


with DAG(
    dag_id="sensor_builtin",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"poke_interval": 0.5, "timeout": 20},
) as dag:

    @task
    def create(**context):
        # written, never removed: other runs of this golden may be going on at the same time and
        # find the same files (same content); the bash counter is per run ($AIRFLOW_CTX_DAG_RUN_ID)
        prefix = f"/tmp/riir_golden_sensor_builtin_{context['ts_nodash']}_"
        with open(prefix + "flag.txt", "w") as fh:
            fh.write("here")
        with open(prefix + "data_1.csv", "w") as fh:
            fh.write("a,b")
        return "created"

    @task(trigger_rule="all_done")
    def remove_counter(**context):
        run = context["run_id"]
        for path in glob.glob("/tmp/riir_golden_sensor_builtin_*_bash_count_*"):
            if path.endswith("_" + run):
                os.remove(path)
        return "removed"

    files = [
        FileSensor(task_id="file_exact", filepath=PREFIX + "flag.txt"),
        FileSensor(task_id="file_glob", filepath=PREFIX + "data_*.csv"),
    ]
    bashes = [
        BashSensor(task_id="bash_ok", bash_command="exit 0"),
        BashSensor(
            task_id="bash_second_poke",
            bash_command='f="' + PREFIX + 'bash_count_$AIRFLOW_CTX_DAG_RUN_ID"; n=$(cat "$f" 2>/dev/null || echo 0); '
            'n=$((n+1)); echo $n > "$f"; [ $n -ge 2 ]',
        ),
        BashSensor(
            task_id="bash_fail_code",
            bash_command="exit 4",
            retry_exit_code=3,
            retries=1,
            retry_delay=datetime.timedelta(seconds=1),
        ),
        BashSensor(task_id="bash_env", bash_command='[ "$WHO" = "me-{{ ds }}" ]', env={"WHO": "me-{{ ds }}"}),
    ]
    py = PythonSensor(
        task_id="python_prv",
        python_callable=_found,
        op_kwargs={"who": "{{ task.task_id }}"},
        templates_dict={"day": "{{ ds_nodash }}"},
    )
    c = create()
    c >> files
    c >> bashes >> remove_counter()
    c >> py
