"""A mapped task failing on some indexes with retries=1 (retry_delay 1 s): index 1 fails on its
first try and succeeds on the second (success/2), index 2 always fails (failed/2), index 0
succeeds at once (success/1); a mapped BashOperator with one index exiting 1 (no retries: failed/1);
downstream: all_success reducer upstream_failed, all_done reducer gets the values of the
instances that pushed one, a mapped task over the failing task's output is upstream_failed."""
import datetime

import pendulum

from riir_airflow.sdk import dag, task
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


@dag(schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"))
def map_retry_fail():
    @task(retries=1, retry_delay=datetime.timedelta(seconds=1))
    def flaky(n, ti=None):
        if n == "once" and ti.try_number == 1:
            raise RuntimeError("first try fails")
        if n == "always":
            raise RuntimeError("always fails")
        return {"n": n, "try": ti.try_number}

    @task
    def reduce(values):
        return list(values)

    @task(trigger_rule="all_done")
    def reduce_all_done(values):
        return {"len": len(values), "values": list(values)}

    @task
    def again(v):
        return v

    out = flaky.expand(n=["ok", "once", "always"])
    reduce(out)
    reduce_all_done(out)
    again.expand(v=out)
    BashOperator.partial(task_id="bash_fail").expand(bash_command=["echo fine", "exit 1"])


map_retry_fail()
