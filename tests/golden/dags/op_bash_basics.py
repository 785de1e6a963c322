"""BashOperator basics: last stdout line is the XCom, env (replaces the environment; AIRFLOW_CTX_*
are still added), append_env, cwd, output_processor, templated env values, empty output,
do_xcom_push=False, AIRFLOW_CTX_* variables visible in the command."""
import json

import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "env": {"GOLDEN_OUTER": "outer-value"}}

with DAG(
    dag_id="op_bash_basics",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"owner": "bash-owner"},
) as dag:
    multi = BashOperator(task_id="multi_line", bash_command="echo first; echo second; echo '  third  '")
    env_only = BashOperator(
        task_id="env_replaces",
        bash_command='echo "MY=$MY OUTER=${GOLDEN_OUTER:-unset} DAG=$AIRFLOW_CTX_DAG_ID TASK=$AIRFLOW_CTX_TASK_ID"',
        env={"MY": "{{ ds }}"},
    )
    env_append = BashOperator(
        task_id="env_append",
        bash_command='echo "MY=$MY OUTER=${GOLDEN_OUTER:-unset}"',
        env={"MY": "mine"},
        append_env=True,
    )
    inherit = BashOperator(task_id="inherit_env", bash_command='echo "OUTER=${GOLDEN_OUTER:-unset}"')
    ctx = BashOperator(
        task_id="ctx_vars",
        bash_command=(
            'echo "$AIRFLOW_CTX_DAG_ID|$AIRFLOW_CTX_TASK_ID|$AIRFLOW_CTX_TRY_NUMBER|'
            '$AIRFLOW_CTX_LOGICAL_DATE|$AIRFLOW_CTX_DAG_OWNER|${AIRFLOW_CTX_DAG_RUN_ID:0:8}"'
        ),
    )
    cwd = BashOperator(task_id="cwd", bash_command="pwd", cwd="/")
    processed = BashOperator(
        task_id="output_processor",
        bash_command="""echo '{"a": 1, "b": [true, null]}'""",
        output_processor=json.loads,
    )
    upper = BashOperator(task_id="upper", bash_command="echo shout", output_processor=lambda s: s.upper() + "!")
    empty = BashOperator(task_id="empty_output", bash_command="true")
    no_push = BashOperator(task_id="no_push", bash_command="echo hidden", do_xcom_push=False)
    stderr_only = BashOperator(task_id="stderr_only", bash_command="echo out; echo err >&2")
    multi >> env_only >> env_append >> inherit >> ctx >> cwd >> processed >> upper >> empty >> no_push >> stderr_only
