"""Loading DAG files: the DAGs a file defines, and clear errors naming the file and line for
files that are broken (spec section 2, trip-ups)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from riir_airflow.runtime.loader import find_dag_files, load_dag_file

HEADER = """\
from riir_airflow.sdk import DAG, Param, task
from riir_airflow.providers.standard.operators.empty import EmptyOperator
"""


def _file(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + textwrap.dedent(body))
    return path


def test_with_block_dag_is_loaded_with_its_file_location(tmp_path: Path) -> None:
    path = _file(tmp_path, "one.py", """
        with DAG("one") as dag:
            EmptyOperator(task_id="t")
    """)
    loaded = load_dag_file(path)
    assert loaded.errors == []
    assert list(loaded.dags) == ["one"]
    assert loaded.dags["one"].fileloc == str(path.resolve())
    assert loaded.dags["one"].folder == str(tmp_path.resolve())


def test_dag_with_no_module_variable_is_auto_registered(tmp_path: Path) -> None:
    path = _file(tmp_path, "auto.py", """
        def build():
            with DAG("auto_registered"):
                EmptyOperator(task_id="t")
        build()
    """)
    assert list(load_dag_file(path).dags) == ["auto_registered"]


def test_auto_register_false_needs_a_module_variable(tmp_path: Path) -> None:
    path = _file(tmp_path, "no_auto.py", """
        def build():
            with DAG("hidden", auto_register=False):
                EmptyOperator(task_id="t")
        build()
        with DAG("visible", auto_register=False) as kept:
            EmptyOperator(task_id="t")
    """)
    assert list(load_dag_file(path).dags) == ["visible"]


def test_decorated_dag_called_at_module_level_is_loaded(tmp_path: Path) -> None:
    path = _file(tmp_path, "decorated.py", """
        from riir_airflow.sdk import dag

        @dag
        def decorated():
            EmptyOperator(task_id="t")

        decorated()
    """)
    assert list(load_dag_file(path).dags) == ["decorated"]


def test_several_dags_in_one_file(tmp_path: Path) -> None:
    path = _file(tmp_path, "many.py", """
        for i in range(3):
            with DAG(f"gen_{i}"):
                EmptyOperator(task_id="t")
    """)
    assert sorted(load_dag_file(path).dags) == ["gen_0", "gen_1", "gen_2"]


def test_a_helper_module_next_to_the_dag_file_is_importable(tmp_path: Path) -> None:
    (tmp_path / "my_helpers_for_loader.py").write_text("VALUE = 'helper'\n")
    path = _file(tmp_path, "uses_helper.py", """
        from my_helpers_for_loader import VALUE
        with DAG("uses_helper", tags=[VALUE]):
            EmptyOperator(task_id="t")
    """)
    loaded = load_dag_file(path)
    assert loaded.dags["uses_helper"].tags == {"helper"}


def test_loading_twice_gives_fresh_dag_objects(tmp_path: Path) -> None:
    path = _file(tmp_path, "twice.py", """
        with DAG("twice") as dag:
            EmptyOperator(task_id="t")
    """)
    assert load_dag_file(path).dags["twice"] is not load_dag_file(path).dags["twice"]


# -- broken files -----------------------------------------------------------------------------------
def _only_error(path: Path) -> object:
    loaded = load_dag_file(path)
    assert loaded.dags == {}
    assert len(loaded.errors) == 1
    error = loaded.errors[0]
    assert error.file == str(path.resolve())
    assert str(path.resolve()) in str(error)
    return error


def test_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.py"
    path.write_text("from riir_airflow.sdk import DAG\n\nwith DAG('x') as dag:\n    x = (\n")
    error = _only_error(path)
    assert error.line == 4
    assert "SyntaxError" in error.message
    assert f"{path.resolve()}:4" in str(error)


def test_failing_import_names_the_module_and_line(tmp_path: Path) -> None:
    path = _file(tmp_path, "bad_import.py", """
        import no_such_module_for_riir_tests
        with DAG("never"):
            pass
    """)
    error = _only_error(path)
    assert "no_such_module_for_riir_tests" in error.message
    assert error.line == 4  # two header lines, a blank line, then the import
    assert "Traceback" in error.traceback


def test_exception_while_defining_tasks_is_the_files_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "raises.py", """
        with DAG("half") as dag:
            EmptyOperator(task_id="ok")
            raise RuntimeError("definition blew up")
    """)
    error = _only_error(path)
    assert "RuntimeError: definition blew up" in error.message


def test_duplicate_task_id_is_the_files_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "dup.py", """
        with DAG("dup") as dag:
            EmptyOperator(task_id="same")
            EmptyOperator(task_id="same")
    """)
    error = _only_error(path)
    assert "DuplicateTaskIdFound" in error.message
    assert error.line == 6


def test_unknown_trigger_rule_is_the_files_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "rule.py", """
        with DAG("rule") as dag:
            EmptyOperator(task_id="t", trigger_rule="whenever")
    """)
    error = _only_error(path)
    assert "trigger_rule" in error.message and "whenever" in error.message


def test_invalid_param_default_is_the_files_error(tmp_path: Path) -> None:
    path = _file(tmp_path, "param.py", """
        with DAG("param", params={"n": Param("abc", type="integer")}) as dag:
            EmptyOperator(task_id="t")
    """)
    error = _only_error(path)
    assert "ParamValidationError" in error.message


def test_cycle_drops_that_dag_but_keeps_the_others(tmp_path: Path) -> None:
    path = _file(tmp_path, "cycle.py", """
        with DAG("cyclic") as bad:
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            a >> b >> a
        with DAG("fine") as good:
            EmptyOperator(task_id="t")
    """)
    loaded = load_dag_file(path)
    assert list(loaded.dags) == ["fine"]
    assert len(loaded.errors) == 1
    assert "AirflowDagCycleException" in loaded.errors[0].message
    assert "cyclic" in loaded.errors[0].message


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    error = _only_error(tmp_path / "nope.py")
    assert "No such DAG file" in str(error)


def test_a_broken_file_does_not_leave_a_dag_open_for_the_next_file(tmp_path: Path) -> None:
    broken = _file(tmp_path, "broken_open.py", """
        dag = DAG("left_open")
        dag.__enter__()
        raise RuntimeError("boom")
    """)
    fine = _file(tmp_path, "fine_after.py", """
        from riir_airflow.providers.standard.operators.empty import EmptyOperator as E
        t = E(task_id="floating")
        with DAG("after") as dag:
            E(task_id="t")
    """)
    assert load_dag_file(broken).errors
    loaded = load_dag_file(fine)
    assert list(loaded.dags) == ["after"]
    assert list(loaded.dags["after"].task_dict) == ["t"]


# -- finding files -------------------------------------------------------------------------------------
def test_find_dag_files_uses_safe_mode_and_airflowignore(tmp_path: Path) -> None:
    _file(tmp_path, "a_dag.py", 'with DAG("a"): pass\n')
    _file(tmp_path, "sub/b_dag.py", 'with DAG("b"): pass\n')
    _file(tmp_path, "ignored/c_dag.py", 'with DAG("c"): pass\n')
    _file(tmp_path, "skipme_dag.py", 'with DAG("d"): pass\n')
    (tmp_path / "plain_helper.py").write_text("X = 1\n")
    (tmp_path / "notes.txt").write_text("dag airflow\n")
    (tmp_path / ".airflowignore").write_text("# comment\nignored/*\nskipme_*\n")
    found = [p.relative_to(tmp_path).as_posix() for p in find_dag_files(tmp_path)]
    assert found == ["a_dag.py", "sub/b_dag.py"]


@pytest.mark.parametrize("body", ["", "import os\n"])
def test_file_without_dags_loads_with_no_error(tmp_path: Path, body: str) -> None:
    path = tmp_path / "empty_dagfile.py"
    path.write_text(body)
    loaded = load_dag_file(path)
    assert loaded.dags == {} and loaded.errors == []


def test_sys_exit_while_importing_is_the_files_error_not_the_callers_exit(tmp_path: Path) -> None:
    path = _file(tmp_path, "exits.py", """
        import sys
        sys.exit("refusing to load")
    """)
    error = _only_error(path)
    assert "SystemExit" in error.message
    assert "refusing to load" in error.message
