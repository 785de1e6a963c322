"""Exceptions with the Airflow 2.x spelling (riir_airflow.exceptions): skip, fail without retry,
AirflowException with retries, raised from PythonOperator and from a custom BaseOperator
(riir_airflow.models.baseoperator)."""
from datetime import timedelta

import pendulum

from riir_airflow import DAG
from riir_airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from riir_airflow.models.baseoperator import BaseOperator
from riir_airflow.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"mode": "skip"}}


class ModeOperator(BaseOperator):
    template_fields = ("mode",)

    def __init__(self, *, mode, **kwargs):
        super().__init__(**kwargs)
        self.mode = mode

    def execute(self, context):
        if self.mode == "skip":
            raise AirflowSkipException(f"mode={self.mode}")
        if self.mode == "fail":
            raise AirflowFailException(f"mode={self.mode}")
        if self.mode == "error":
            raise AirflowException(f"mode={self.mode}")
        return self.mode


def _ok(task):
    return task.task_id


with DAG(
    "exceptions_legacy",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=1)},
) as dag:
    from_conf = ModeOperator(task_id="from_conf", mode="{{ dag_run.conf['mode'] }}")
    fail = ModeOperator(task_id="fail", mode="fail")
    error = ModeOperator(task_id="error", mode="error")
    fine = ModeOperator(task_id="fine", mode="fine-{{ ds_nodash }}")
    after = PythonOperator(task_id="after_all_done", python_callable=_ok, trigger_rule="all_done")
    [from_conf, fail, error, fine] >> after
