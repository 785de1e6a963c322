"""Miscellaneous context values and macros: run_id (only its prefix is
deterministic), dag_run.run_type, task/dag/ti attributes, task_instance_key_str, dag_run.conf,
macros.ds_add / ds_format / datetime / timedelta / json."""
import pendulum

from riir_airflow.sdk import DAG
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.python import PythonOperator

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00", "conf": {"who": "conf-user", "n": 3}}


def _echo(values):
    return values


with DAG(
    dag_id="tmpl_context_misc",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    schedule=None,
    default_args={"owner": "ctx-owner", "retries": 2},
) as dag:
    PythonOperator(
        task_id="context",
        python_callable=_echo,
        op_kwargs={
            "values": {
                "run_id_prefix": "{{ run_id.startswith('manual__') }}",
                "run_id_eq_dag_run": "{{ run_id == dag_run.run_id }}",
                "run_type": "{{ dag_run.run_type }}",
                "run_type_is_manual": "{{ dag_run.run_type == 'manual' }}",
                "dag_run_dag_id": "{{ dag_run.dag_id }}",
                "task_id": "{{ task.task_id }}",
                "task_owner": "{{ task.owner }}",
                "task_retries": "{{ task.retries }}",
                "dag_id": "{{ dag.dag_id }}",
                "ti_task_id": "{{ ti.task_id }}",
                "ti_dag_id": "{{ ti.dag_id }}",
                "ti_try_number": "{{ ti.try_number }}",
                "ti_map_index": "{{ ti.map_index }}",
                "ti_max_tries": "{{ ti.max_tries }}",
                "task_instance_same": "{{ task_instance.task_id == ti.task_id }}",
                "task_instance_key_str": "{{ task_instance_key_str }}",
                "conf_who": "{{ dag_run.conf['who'] }}",
                "conf_get_missing": "{{ dag_run.conf.get('missing', 'none-given') }}",
                "conf_n_times_2": "{{ dag_run.conf.n * 2 }}",
                "ds_add_5": "{{ macros.ds_add(ds, 5) }}",
                "ds_add_minus_10": "{{ macros.ds_add(ds, -10) }}",
                "ds_add_0": "{{ macros.ds_add(ds, 0) }}",
                "ds_format": "{{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y') }}",
                "ds_format_nodash": "{{ macros.ds_format(ds_nodash, '%Y%m%d', '%b %d, %Y') }}",
                "macros_datetime": "{{ macros.datetime(2024, 1, 2, 3, 4).isoformat() }}",
                "macros_timedelta": "{{ macros.timedelta(hours=3, minutes=5) }}",
                "plus_timedelta": "{{ (logical_date + macros.timedelta(days=1)) | ds }}",
                "minus_timedelta": "{{ (logical_date - macros.timedelta(hours=7)).isoformat() }}",
                "macros_json": "{{ macros.json.dumps({'a': [1, 2]}) }}",
                "params_empty": "{{ params }}",
            }
        },
    )
    BashOperator(
        task_id="bash_ctx",
        bash_command="echo {{ task_instance_key_str }} {{ ti.try_number }} {{ dag_run.run_type }}",
    )
