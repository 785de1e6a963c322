"""PythonVirtualenvOperator / ExternalPythonOperator and their TaskFlow forms: op_args,
op_kwargs and templates_dict templated, string_args, the context keys a virtualenv without
site packages receives (no pendulum there: strings only), an XCom argument, a branch,
skip_on_exit_code and an exception in the child. The external python is the bare interpreter
behind this one, reached through a symlink at a fixed path so the rendered `python` field is
the same on every machine."""
import pendulum

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python import (
    ExternalPythonOperator,
    PythonOperator,
    PythonVirtualenvOperator,
)
from riir_airflow.sdk import DAG, task

GOLDEN_ARGS = {"logical_date": "2024-03-05T06:00:00+00:00"}

LINK = "/tmp/riir-golden-op_virtualenv-python"


def _link_python():
    import os
    import sys

    tmp = f"{LINK}.{os.getpid()}"
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(os.path.realpath(sys.executable), tmp)
    os.replace(tmp, LINK)


def _venv_args(a, b, ds, k=None, templates_dict=None, **kwargs):
    import sys

    PASSED = ["ds_nodash", "run_id", "task_instance_key_str", "ts", "ts_nodash", "ts_nodash_with_tz"]
    NOT_PASSED = [
        "conf", "dag", "dag_run", "data_interval_start", "logical_date", "macros", "params", "task",
        "task_instance", "ti", "var",
    ]

    return {
        "a": a,
        "b": b,
        "k": k,
        "ds": ds,
        "td": templates_dict,
        "string_args": virtualenv_string_args,  # noqa: F821 - a global of the generated script
        # passed: strings; not passed: dates (no pendulum in the venv), Airflow objects, live objects
        "passed": sorted(k for k in PASSED if k in kwargs),
        "not_passed": sorted(k for k in NOT_PASSED if k not in kwargs),
        "run_id_manual": kwargs["run_id"].startswith("manual__"),
        "ts": kwargs["ts"],
        "in_venv": sys.prefix != sys.base_prefix,
    }


def _external(x, ts_nodash, task_instance_key_str):
    return {"x": x, "ts_nodash": ts_nodash, "key": task_instance_key_str}


with DAG("op_virtualenv", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None) as dag:
    venv_args = PythonVirtualenvOperator(
        task_id="venv_args",
        python_callable=_venv_args,
        system_site_packages=False,
        op_args=["A", "{{ ds }}"],
        op_kwargs={"k": "{{ ds_nodash }}"},
        templates_dict={"day": "{{ ds }}", "n": 1},
        string_args=["s1", "{{ ds }}"],
    )

    @task.virtualenv(system_site_packages=False)
    def shout(payload: dict) -> str:
        return payload["a"].upper() * 2 + payload["k"]

    shout(venv_args.output)

    link = PythonOperator(task_id="link_python", python_callable=_link_python)
    external = ExternalPythonOperator(
        task_id="external", python=LINK, python_callable=_external, op_args=["{{ ds }}"]
    )
    link >> external

    @task.external_python(python=LINK)
    def ext_sum(*numbers):
        return sum(numbers)

    link >> ext_sum(1, 2, 3)

    @task.branch_virtualenv(system_site_packages=False)
    def pick(ds=None):
        return "follow" if ds == "2024-03-05" else "ignored"

    pick() >> [EmptyOperator(task_id="follow"), EmptyOperator(task_id="ignored")]

    @task.virtualenv(system_site_packages=False, skip_on_exit_code=3)
    def exits_3():
        import sys

        sys.exit(3)

    exits_3()

    @task.virtualenv(system_site_packages=False)
    def raises():
        raise ValueError("boom in the child")

    raises()
