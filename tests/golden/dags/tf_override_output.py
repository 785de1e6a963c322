"""TaskFlow extras: .override(task_id=..., retries=..., owner=...), a classic operator's `.output`
fed into a @task, get_current_context(), context entries by parameter name (ti, ds, params,
dag_run), **kwargs receiving the whole context, a @task with default args."""
from datetime import timedelta

import pendulum

from riir_airflow.sdk import dag, get_current_context, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"k": "v"}}


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    params={"greeting": "hi"},
    default_args={"retry_delay": timedelta(seconds=1)},
)
def tf_override_output():
    @task
    def info(suffix="plain", ti=None, task=None):
        return {"task_id": ti.task_id, "max_tries": ti.max_tries, "owner": task.owner, "suffix": suffix}

    @task
    def by_name(ti, ds, params, dag_run, task_instance_key_str):
        return {
            "ti": ti.task_id,
            "ds": ds,
            "greeting": params["greeting"],
            "conf": dag_run.conf,
            "key": task_instance_key_str,
        }

    @task
    def with_kwargs(**kwargs):
        return {"ds_nodash": kwargs["ds_nodash"], "task_id": kwargs["task"].task_id, "n_keys_gt_10": len(kwargs) > 10}

    @task
    def current():
        ctx = get_current_context()
        return {"task_id": ctx["ti"].task_id, "ds": ctx["ds"], "run_type_manual": ctx["dag_run"].run_type == "manual"}

    @task
    def from_bash(line, default="d"):
        return f"got {line} ({default})"

    bash = BashOperator(task_id="bash", bash_command="echo from-bash {{ ds }}")
    i1 = info()
    i2 = info.override(task_id="info_custom", retries=2, owner="override-owner")("custom")
    i3 = info.override(retries=1)("third")
    i1 >> i2 >> i3 >> by_name() >> with_kwargs() >> current() >> from_bash(bash.output)


tf_override_output()
