"""BashOperator exit codes (Airflow 2.x spelling): 99 -> skipped (default skip_on_exit_code),
a custom skip_on_exit_code list, skip_on_exit_code=None makes 99 a failure, other non-zero codes
fail; the effect on downstream tasks (all_success, none_failed, all_done)."""
import pendulum

from riir_airflow import DAG
from riir_airflow.operators.bash import BashOperator
from riir_airflow.operators.empty import EmptyOperator
from riir_airflow.utils.trigger_rule import TriggerRule

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

with DAG("op_bash_exit_codes", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    exit99 = BashOperator(task_id="exit_99", bash_command="echo before; exit 99")
    exit3 = BashOperator(task_id="exit_3_custom", bash_command="exit 3", skip_on_exit_code=[3, 4])
    exit5_custom = BashOperator(task_id="exit_5_not_in_list", bash_command="exit 5", skip_on_exit_code=[3, 4])
    exit99_none = BashOperator(task_id="exit_99_no_skip", bash_command="exit 99", skip_on_exit_code=None)
    exit1 = BashOperator(task_id="exit_1", bash_command="echo partial; exit 1")
    exit0 = BashOperator(task_id="exit_0", bash_command="echo fine; exit 0")
    int_code = BashOperator(task_id="exit_7_int", bash_command="exit 7", skip_on_exit_code=7)

    after99 = EmptyOperator(task_id="after_99")
    after1 = EmptyOperator(task_id="after_1")
    join_none_failed = EmptyOperator(task_id="join_none_failed", trigger_rule=TriggerRule.NONE_FAILED)
    join_all_done = BashOperator(task_id="join_all_done", bash_command="echo done", trigger_rule="all_done")

    exit99 >> after99
    exit1 >> after1
    [exit99, exit3, exit0] >> join_none_failed
    [exit99, exit1, exit5_custom, exit99_none, int_code] >> join_all_done
