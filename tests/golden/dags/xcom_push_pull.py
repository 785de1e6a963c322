"""XCom: xcom_push with custom keys (various JSON types), xcom_pull with task_ids as a str and a
list, with key, the default return_value key, a key that does not exist, a task that does not
push; `xcom_pull(key=...)` without task_ids means the CALLING task in Airflow 3."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}


def _push(ti):
    ti.xcom_push(key="str_key", value="text")
    ti.xcom_push(key="dict_key", value={"a": [1, 2], "b": None})
    ti.xcom_push(key="int_key", value=7)
    return "pushed-return"


def _push_other(ti):
    ti.xcom_push(key="str_key", value="other-text")
    return "other-return"


def _self_push_pull(ti):
    ti.xcom_push(key="mine", value="own-value")
    return {"own_no_task_ids": ti.xcom_pull(key="mine"), "other_no_task_ids": ti.xcom_pull(key="str_key")}


def _pull(ti):
    return {
        "return_str": ti.xcom_pull(task_ids="push"),
        "return_list": ti.xcom_pull(task_ids=["push", "push_other", "bash"]),
        "key_str": ti.xcom_pull(task_ids="push", key="str_key"),
        "key_list": ti.xcom_pull(task_ids=["push", "push_other"], key="str_key"),
        "dict_key": ti.xcom_pull(task_ids="push", key="dict_key"),
        "int_key": ti.xcom_pull(task_ids="push", key="int_key"),
        "missing_key": ti.xcom_pull(task_ids="push", key="no_such_key"),
        "missing_key_list": ti.xcom_pull(task_ids=["push", "push_other"], key="no_such_key"),
        "no_push_task": ti.xcom_pull(task_ids="silent"),
        "bash": ti.xcom_pull(task_ids="bash"),
    }


with DAG(dag_id="xcom_push_pull", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    push = PythonOperator(task_id="push", python_callable=_push)
    push_other = PythonOperator(task_id="push_other", python_callable=_push_other)
    silent = BashOperator(task_id="silent", bash_command="echo quiet", do_xcom_push=False)
    bash = BashOperator(task_id="bash", bash_command="echo {{ ti.xcom_pull(task_ids='push', key='str_key') }}")
    self_pp = PythonOperator(task_id="self_push_pull", python_callable=_self_push_pull)
    pull = PythonOperator(task_id="pull", python_callable=_pull)
    templ = BashOperator(
        task_id="template_pull",
        bash_command=(
            "echo {{ ti.xcom_pull(task_ids='push') }} {{ ti.xcom_pull(task_ids='push', key='int_key') + 1 }} "
            "{{ task_instance.xcom_pull(task_ids='push', key='dict_key')['a'] }}"
        ),
    )
    [push, push_other, silent] >> bash >> self_pp >> pull >> templ
