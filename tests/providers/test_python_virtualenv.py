"""PythonVirtualenvOperator, ExternalPythonOperator, their branch variants and `@task.virtualenv`,
`@task.external_python`, `@task.branch_virtualenv`, `@task.branch_external_python`
(spec sections 1.4, 14). Real child interpreters: `sys.executable` for the external python, and
virtualenvs made from it, cached once per test session (per xdist worker) under a tmp dir."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.providers.standard.operators.python_virtualenv import (
    BASE_CONTEXT_KEYS,
    PENDULUM_CONTEXT_KEYS,
    RIIR_CONTEXT_KEYS,
    BranchExternalPythonOperator,
    BranchPythonVirtualenvOperator,
    ExternalPythonOperator,
    PythonVirtualenvOperator,
)
from riir_airflow.providers.standard.utils import python_virtualenv as venv_utils
from riir_airflow.sdk import DAG, task
from riir_airflow.sdk.exceptions import AirflowException

PY_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="session")
def venv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv cache for the session: each distinct virtualenv is built once."""
    return tmp_path_factory.mktemp("venv-cache")


def _pypi_reachable() -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=3):
            return True
    except OSError:
        return False


needs_pypi = pytest.mark.skipif(not _pypi_reachable(), reason="PyPI is not reachable")


# -- callables (module level: their source is what runs in the child) ----------------------------


def _echo(a, b=None, ds=None, logical_date=None, params=None, dag_run=None, **kwargs):
    import sys

    return {
        "a": a,
        "b": b,
        "ds": ds,
        "logical_date": logical_date.isoformat(),
        "params": params,
        "dag_run": [type(dag_run).__name__, dag_run.run_id, dag_run.conf, dag_run.logical_date.isoformat()],
        "keys": sorted(kwargs),
        "string_args": virtualenv_string_args,  # noqa: F821 - a global of the generated script
        "executable": sys.executable,
    }


def _where(**kwargs):
    import sys

    try:
        import pendulum  # noqa: F401

        has_pendulum = True
    except ImportError:
        has_pendulum = False
    return {"prefix": sys.prefix, "pendulum": has_pendulum, "keys": sorted(kwargs)}


def _raises():
    raise ValueError("boom from the child")


def _exit(code):
    import sys

    sys.exit(code)


def _ok():
    return "fine"


def _none():
    print("printed by the child")


# -- ExternalPythonOperator ---------------------------------------------------------------------


def test_external_python_args_string_args_and_context(run_dag) -> None:
    with DAG("ext_args", params={"p": 1}) as the_dag:
        ExternalPythonOperator(
            task_id="t",
            python=sys.executable,
            python_callable=_echo,
            op_args=["{{ ds_nodash }}"],
            op_kwargs={"b": [1, "{{ ds }}"]},
            string_args=["one", "two"],
        )
    result = run_dag(the_dag, conf={"c": 2})
    assert result.ti_state("t") == "success", result.log("t")
    got = result.xcom("t")
    assert got["a"] == "20240101"
    assert got["b"] == [1, "2024-01-01"]
    assert got["ds"] == "2024-01-01"
    assert got["logical_date"] == "2024-01-01T00:00:00+00:00"
    assert got["params"] == {"p": 1, "c": 2}
    assert got["dag_run"] == ["DagRunSnapshot", result.run_id, {"c": 2}, "2024-01-01T00:00:00+00:00"]
    assert got["string_args"] == ["one", "two"]
    assert got["executable"] == sys.executable
    # Every key passed is a serializable one; live objects never cross.
    passed = set(got["keys"]) | {"ds", "logical_date", "params", "dag_run"}
    assert passed <= BASE_CONTEXT_KEYS | PENDULUM_CONTEXT_KEYS | RIIR_CONTEXT_KEYS | {"templates_dict"}
    assert {"ts", "run_id", "data_interval_start", "triggering_asset_events"} <= passed
    assert not passed & {"ti", "task_instance", "dag", "task", "macros", "conf", "var", "conn"}
    log = result.log("t")
    assert "Executing cmd:" in log and "Done. Returned value was:" in log


def test_child_exception_fails_the_task_with_its_traceback_in_the_log(run_dag) -> None:
    with DAG("ext_raise") as the_dag:
        ExternalPythonOperator(task_id="t", python=sys.executable, python_callable=_raises)
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    log = result.log("t")
    assert "Traceback (most recent call last)" in log
    assert 'raise ValueError("boom from the child")' in log
    assert "Process returned non-zero exit status 1." in log
    assert "ValueError: boom from the child" in log


def test_skip_on_exit_code(run_dag) -> None:
    with DAG("ext_skip") as the_dag:
        ExternalPythonOperator(
            task_id="skips", python=sys.executable, python_callable=_exit, op_args=[5], skip_on_exit_code=[4, 5]
        )
        ExternalPythonOperator(
            task_id="fails", python=sys.executable, python_callable=_exit, op_args=[5], skip_on_exit_code=4
        )
        ExternalPythonOperator(task_id="zero", python=sys.executable, python_callable=_ok, skip_on_exit_code=0)
    result = run_dag(the_dag)
    assert result.ti_state("skips") == "skipped"
    assert result.ti("skips").try_number == 1
    assert result.ti_state("fails") == "failed"
    assert "non-zero exit status 5" in result.log("fails")
    assert result.ti_state("zero") == "skipped"


def test_none_result_pushes_no_xcom_and_child_output_is_logged(run_dag) -> None:
    with DAG("ext_none") as the_dag:
        ExternalPythonOperator(task_id="t", python=sys.executable, python_callable=_none)
    result = run_dag(the_dag)
    assert result.ti_state("t") == "success"
    assert result.xcoms("t") == {}
    assert "printed by the child" in result.log("t")


def test_env_vars_inherit_env_and_expect_airflow(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIIR_TEST_INHERITED", "yes")

    def env_of():
        import os

        try:
            import riir_airflow

            riir = riir_airflow.__name__
        except ImportError:
            riir = None
        return {k: os.environ.get(k) for k in ("RIIR_TEST_INHERITED", "MINE")} | {"riir": riir}

    with DAG("ext_env") as the_dag:
        ExternalPythonOperator(task_id="inherit", python=sys.executable, python_callable=env_of, env_vars={"MINE": "1"})
        ExternalPythonOperator(
            task_id="clean", python=sys.executable, python_callable=env_of, inherit_env=False, env_vars={"MINE": "2"}
        )
    result = run_dag(the_dag)
    assert result.xcom("inherit") == {"RIIR_TEST_INHERITED": "yes", "MINE": "1", "riir": "riir_airflow"}
    assert result.xcom("clean") == {"RIIR_TEST_INHERITED": None, "MINE": "2", "riir": "riir_airflow"}


def test_execution_timeout_kills_the_child(run_dag) -> None:
    import datetime

    def sleeper():
        import time

        time.sleep(60)

    with DAG("ext_timeout") as the_dag:
        ExternalPythonOperator(
            task_id="t",
            python=sys.executable,
            python_callable=sleeper,
            execution_timeout=datetime.timedelta(seconds=1),
        )
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("timeouts use SIGALRM on the main thread")
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "Timeout" in result.log("t")


def test_unserializable_argument_is_a_clear_error(run_dag) -> None:
    with DAG("ext_unpicklable") as the_dag:
        ExternalPythonOperator(
            task_id="t", python=sys.executable, python_callable=_echo, op_args=[1], op_kwargs={"b": threading.Lock()}
        )
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "Cannot serialize the arguments with 'pickle': ['b']" in result.log("t")


def test_python_path_is_validated(run_dag) -> None:
    with pytest.raises(ValueError, match="Python Path must be defined"):
        ExternalPythonOperator(task_id="t", python="", python_callable=_ok)
    with DAG("ext_paths") as the_dag:
        ExternalPythonOperator(task_id="missing", python="/nonexistent/bin/python", python_callable=_ok)
        ExternalPythonOperator(task_id="directory", python=os.path.dirname(sys.executable), python_callable=_ok)
    result = run_dag(the_dag)
    assert "must exists" in result.log("missing")
    assert "must be a file" in result.log("directory")


def test_only_def_functions_are_accepted() -> None:
    with pytest.raises(ValueError, match="only supports functions"):
        ExternalPythonOperator(task_id="a", python=sys.executable, python_callable=lambda: 1)

    def gen():
        yield 1

    with pytest.raises(ValueError, match="does not support using 'yield'"):
        ExternalPythonOperator(task_id="b", python=sys.executable, python_callable=gen)
    with pytest.raises(AirflowException, match="Unsupported serializer"):
        ExternalPythonOperator(task_id="c", python=sys.executable, python_callable=_ok, serializer="json")
    with pytest.raises(AirflowException, match="non-string types"):
        PythonVirtualenvOperator(task_id="d", python_callable=_ok, python_version=3.12)  # type: ignore[arg-type]


def test_serializer_missing_here_is_a_clear_error(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dill", None)  # not importable, whether installed or not
    with DAG("ext_dill_missing") as the_dag:
        ExternalPythonOperator(task_id="t", python=sys.executable, python_callable=_ok, serializer="dill")
    result = run_dag(the_dag)
    assert result.ti_state("t") == "failed"
    assert "serializer='dill' needs the 'dill' package" in result.log("t")


def test_other_serializer_round_trip_and_missing_in_child(run_dag, tmp_path: Path, monkeypatch) -> None:
    # A stand-in `cloudpickle` module (pickle under that name) here and, via PYTHONPATH, in the child.
    fake = tmp_path / "fake_serializer"
    fake.mkdir()
    (fake / "cloudpickle.py").write_text("from pickle import dump, dumps, load, loads  # noqa: F401\n")
    monkeypatch.syspath_prepend(str(fake))
    monkeypatch.delitem(sys.modules, "cloudpickle", raising=False)
    try:
        with DAG("ext_cloudpickle") as the_dag:
            ExternalPythonOperator(
                task_id="works",
                python=sys.executable,
                python_callable=_echo,
                op_args=[7],
                serializer="cloudpickle",
                env_vars={"PYTHONPATH": str(fake)},
            )
            ExternalPythonOperator(
                task_id="missing_in_child",
                python=sys.executable,
                python_callable=_ok,
                serializer="cloudpickle",
                expect_airflow=False,
                env_vars={"PYTHONPATH": ""},
            )
        result = run_dag(the_dag)
    finally:
        sys.modules.pop("cloudpickle", None)
    assert result.xcom("works")["a"] == 7
    assert result.ti_state("missing_in_child") == "failed"
    assert "serializer='cloudpickle' is not importable by" in result.log("missing_in_child")


def test_branch_external_python(run_dag) -> None:
    def choose(ds):
        return "left" if ds == "2024-01-01" else "right"

    with DAG("ext_branch") as the_dag:
        br = BranchExternalPythonOperator(task_id="br", python=sys.executable, python_callable=choose)
        br >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]
    result = run_dag(the_dag)
    assert result.states == {"br": "success", "left": "success", "right": "skipped"}
    assert result.xcom("br") is None


# -- PythonVirtualenvOperator -------------------------------------------------------------------


def test_virtualenv_without_site_packages(run_dag, venv_cache: Path) -> None:
    with DAG("venv_bare") as the_dag:
        PythonVirtualenvOperator(
            task_id="t",
            python_callable=_where,
            python_version=PY_VERSION,
            system_site_packages=False,
            venv_cache_path=str(venv_cache),
        )
    result = run_dag(the_dag)
    assert result.ti_state("t") == "success", result.log("t")
    got = result.xcom("t")
    assert Path(got["prefix"]).parent == venv_cache
    assert got["pendulum"] is False
    # No pendulum in there: string keys only.
    assert "ds" in got["keys"] and "run_id" in got["keys"]
    assert set(got["keys"]) <= BASE_CONTEXT_KEYS | {"templates_dict"}
    # A second run reuses the cached virtualenv.
    again = run_dag(the_dag, logical_date=None)
    assert again.xcom("t")["prefix"] == got["prefix"]
    assert "Reusing the cached virtualenv" in again.log("t")


def test_virtualenv_in_a_temp_dir_is_removed(run_dag) -> None:
    with DAG("venv_tmp") as the_dag:
        PythonVirtualenvOperator(task_id="t", python_callable=_where, system_site_packages=False)
    result = run_dag(the_dag)
    prefix = Path(result.xcom("t")["prefix"])
    assert prefix != Path(sys.prefix)
    assert not prefix.exists()


def test_virtualenv_with_system_site_packages_sees_ours(run_dag, venv_cache: Path) -> None:
    with DAG("venv_site") as the_dag:
        PythonVirtualenvOperator(task_id="t", python_callable=_echo, op_args=[1], venv_cache_path=venv_cache)
    result = run_dag(the_dag)
    assert result.ti_state("t") == "success", result.log("t")
    got = result.xcom("t")
    assert Path(got["executable"]).parent.parent.parent == venv_cache
    assert got["dag_run"][0] == "DagRunSnapshot"
    assert got["logical_date"] == "2024-01-01T00:00:00+00:00"


@needs_pypi
def test_virtualenv_with_requirements(run_dag, venv_cache: Path, tmp_path: Path) -> None:
    def use_six():
        import six

        return [six.__version__, six.__file__]

    (tmp_path / "requirements.txt").write_text("six\n")
    with DAG("venv_six", template_searchpath=[str(tmp_path)]) as the_dag:
        PythonVirtualenvOperator(
            task_id="listed",
            python_callable=use_six,
            requirements=["six"],
            system_site_packages=False,
            venv_cache_path=venv_cache,
        )
        PythonVirtualenvOperator(
            task_id="from_file",
            python_callable=use_six,
            requirements="requirements.txt",
            system_site_packages=False,
            venv_cache_path=venv_cache,
        )
    result = run_dag(the_dag)
    assert result.ti_state("listed") == "success", result.log("listed")
    version, path = result.xcom("listed")
    assert path.startswith(str(venv_cache))
    # The requirements file renders to its content ("six"): the same virtualenv is reused.
    assert result.xcom("from_file") == [version, path]
    assert result.rendered("from_file")["requirements"] == '["six"]'


def test_branch_virtualenv_and_decorators(run_dag, venv_cache: Path) -> None:
    with DAG("venv_deco") as the_dag:

        @task.virtualenv(system_site_packages=False, venv_cache_path=str(venv_cache), multiple_outputs=True)
        def split(n: int) -> dict:
            return {"half": n // 2, "rest": n % 2}

        @task.external_python(python=sys.executable)
        def add(a, b):
            return a + b

        @task.branch_virtualenv(system_site_packages=False, venv_cache_path=str(venv_cache))
        def choose(total):
            return "big" if total > 5 else "small"

        @task.branch_external_python(python=sys.executable)
        def choose_again(ds=None):
            return ["x"] if ds else ["y"]

        parts = split(11)
        total = add(parts["half"], parts["rest"])
        choose(total) >> [EmptyOperator(task_id="big"), EmptyOperator(task_id="small")]
        choose_again() >> [EmptyOperator(task_id="x"), EmptyOperator(task_id="y")]
    result = run_dag(the_dag)
    assert result.xcom("split") == {"half": 5, "rest": 1}
    assert result.xcom("add") == 6
    assert result.states == {
        "split": "success",
        "add": "success",
        "choose": "success",
        "big": "success",
        "small": "skipped",
        "choose_again": "success",
        "x": "success",
        "y": "skipped",
    }


def test_branch_virtualenv_operator_class(run_dag, venv_cache: Path) -> None:
    def pick():
        return "b"

    with DAG("venv_branch_op") as the_dag:
        br = BranchPythonVirtualenvOperator(
            task_id="br", python_callable=pick, system_site_packages=False, venv_cache_path=venv_cache
        )
        br >> [EmptyOperator(task_id="a"), EmptyOperator(task_id="b")]
    assert run_dag(the_dag).states == {"br": "success", "a": "skipped", "b": "success"}


def test_cache_hash_follows_the_inputs_and_incomplete_venvs_are_rebuilt(tmp_path: Path) -> None:
    built: list[Path] = []

    def build(path: Path) -> None:
        built.append(path)
        (path / "made").write_text("x")

    first = venv_utils.cached_virtualenv(tmp_path, {"requirements": ["a"]}, build)
    assert venv_utils.cached_virtualenv(tmp_path, {"requirements": ["a"]}, build) == first
    other = venv_utils.cached_virtualenv(tmp_path, {"requirements": ["b"]}, build)
    assert other != first and len(built) == 2
    # A virtualenv without its completion marker (a crash mid-build) is made again.
    (first / "riir_venv_complete.json").unlink()
    assert venv_utils.cached_virtualenv(tmp_path, {"requirements": ["a"]}, build) == first
    assert len(built) == 3

    def failing(path: Path) -> None:
        raise RuntimeError("pip failed")

    with pytest.raises(RuntimeError):
        venv_utils.cached_virtualenv(tmp_path, {"requirements": ["c"]}, failing)
    digest, _ = venv_utils.cache_hash({"requirements": ["c"]})
    assert not (tmp_path / f"venv-{digest}").exists()


def test_requirements_list_adds_the_serializer_without_site_packages() -> None:
    op = PythonVirtualenvOperator(
        task_id="t", python_callable=_ok, requirements=["zeta", "alpha"], serializer="cloudpickle",
        system_site_packages=False,
    )
    assert op._requirements_list() == ["alpha", "cloudpickle", "zeta"]
    with pytest.warns(DeprecationWarning, match="use_dill is deprecated"):
        op = PythonVirtualenvOperator(
            task_id="u", python_callable=_ok, requirements="dill>=0.3", use_dill=True, system_site_packages=False
        )
    assert op.serializer == "dill" and op._requirements_list() == ["dill>=0.3"]
    op = PythonVirtualenvOperator(task_id="v", python_callable=_ok, serializer="dill")
    assert op._requirements_list() == []


def test_python_version_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert venv_utils.resolve_python_bin(None) == sys.executable
    assert venv_utils.resolve_python_bin(PY_VERSION) == sys.executable
    assert venv_utils.resolve_python_bin(str(sys.version_info.major)) == sys.executable
    fake = tmp_path / "python3.99"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert venv_utils.resolve_python_bin("3.99") == str(fake)
    with pytest.raises(FileNotFoundError, match="no python3.98 on PATH"):
        venv_utils.resolve_python_bin("3.98")


# -- the callable's source ----------------------------------------------------------------------


def _decorated_source_example() -> Any:
    def keep(fn):
        return fn

    @task.virtualenv(
        system_site_packages=False,
    )
    @keep
    def inner(x):
        text = """
not indented"""
        return x, text

    return inner


def test_callable_source_strips_task_decorators_and_dedents() -> None:
    fn = _decorated_source_example().function
    name, source = venv_utils.callable_source(fn)
    assert name == "inner"
    assert "@task" not in source and "system_site_packages" not in source
    assert "@keep" in source  # other decorators are kept, as in Airflow
    namespace: dict[str, Any] = {"keep": lambda f: f}
    exec(compile(source, "<script>", "exec"), namespace)  # noqa: S102 - running the generated source
    assert namespace["inner"](1) == (1, "\nnot indented")


def test_script_runs_with_get_python_source(run_dag) -> None:
    @task.external_python(python=sys.executable)
    def nested(x):
        return x * 3

    with DAG("ext_nested") as the_dag:
        nested(5)
    assert run_dag(the_dag).xcom("nested") == 15
    op = ExternalPythonOperator(task_id="s", python=sys.executable, python_callable=_ok)
    assert op.get_python_source().startswith("def _ok():")


def test_import_paths() -> None:
    import riir_airflow.operators.python as legacy
    import riir_airflow.providers.standard.operators.python as provider

    for name in (
        "PythonVirtualenvOperator",
        "ExternalPythonOperator",
        "BranchPythonVirtualenvOperator",
        "BranchExternalPythonOperator",
    ):
        assert getattr(legacy, name) is getattr(provider, name)
    from riir_airflow.sdk.decorators import task as sdk_task

    for kind in ("virtualenv", "external_python", "branch_virtualenv", "branch_external_python"):
        assert callable(getattr(sdk_task, kind))



def _takes_ts(ts):
    return ts


def _takes_kwargs(**kwargs):
    return ["ts" in kwargs, "ds" in kwargs]


def test_context_value_that_does_not_serialize(run_dag, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reaching **kwargs only: left out with a warning. Named by the callable: a clear error.
    original = ExternalPythonOperator._child_value

    def child_value(key: str, value: Any) -> Any:
        return threading.Lock() if key == "ts" else original(key, value)

    monkeypatch.setattr(ExternalPythonOperator, "_child_value", staticmethod(child_value))
    with DAG("ext_bad_context") as the_dag:
        ExternalPythonOperator(task_id="kwargs", python=sys.executable, python_callable=_takes_kwargs)
        ExternalPythonOperator(task_id="named", python=sys.executable, python_callable=_takes_ts)
    result = run_dag(the_dag)
    assert result.xcom("kwargs") == [False, True]
    assert "Context keys ['ts'] cannot be serialized with 'pickle': not passed" in result.log("kwargs")
    assert result.ti_state("named") == "failed"
    assert "Cannot serialize the arguments with 'pickle': ['ts']" in result.log("named")
