"""The import surface: authoring imports stay light (no server, SQL or HTTP modules, no
threads), and every documented Airflow 2.x and 3.x path imports (spec section 1)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap

import pytest

FORBIDDEN_PREFIXES = (
    "sqlite3",
    "_sqlite3",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "uvicorn",
    "starlette",
    "httpx",
    "requests",
    "urllib3",
    "http.client",
    "http.server",
    "asyncio",
    "psycopg",
    "psycopg2",
    "socketserver",
    "wsgiref",
    "aiohttp",
    "riir_airflow.store",
    "riir_airflow.broker",
)

LIGHT_IMPORTS = ["riir_airflow", "riir_airflow.sdk", "riir_airflow.decorators"]

# Run in a fresh interpreter: record who imported each module first, so a failure can show the
# chain that pulled a forbidden module in.
_PROBE = textwrap.dedent(
    """
    import builtins, json, sys, threading

    parents = {}
    stack = []
    real_import = builtins.__import__

    def tracking_import(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__name__", "?")
        before = set(sys.modules)
        stack.append(importer)
        try:
            return real_import(name, globals, locals, fromlist, level)
        finally:
            stack.pop()
            for new in set(sys.modules) - before:
                parents.setdefault(new, importer)

    builtins.__import__ = tracking_import
    threads_before = threading.active_count()
    for module in sys.argv[1:]:
        __import__(module)
    builtins.__import__ = real_import
    print(json.dumps({
        "modules": sorted(sys.modules),
        "parents": parents,
        "threads_before": threads_before,
        "threads_after": threading.active_count(),
        "thread_names": [t.name for t in threading.enumerate()],
    }))
    """
)


def _probe(*modules: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *modules], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _chain(module: str, parents: dict[str, str]) -> str:
    chain = [module]
    while chain[-1] in parents and parents[chain[-1]] not in chain and len(chain) < 30:
        chain.append(parents[chain[-1]])
    return " <- ".join(chain)


def _forbidden(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in FORBIDDEN_PREFIXES))


@pytest.mark.parametrize("module", LIGHT_IMPORTS)
def test_authoring_import_loads_no_server_sql_or_http_module(module: str) -> None:
    probe = _probe(module)
    bad = _forbidden(probe["modules"])
    chains = "\n".join(_chain(m, probe["parents"]) for m in bad)
    assert not bad, f"importing {module} loaded forbidden modules:\n{chains}"


@pytest.mark.parametrize("module", LIGHT_IMPORTS)
def test_authoring_import_starts_no_thread(module: str) -> None:
    probe = _probe(module)
    assert probe["threads_after"] == probe["threads_before"], probe["thread_names"]


def test_defining_a_dag_with_standard_operators_loads_no_server_sql_or_http_module() -> None:
    code = textwrap.dedent(
        """
        import json, sys
        from riir_airflow.sdk import DAG, task, TaskGroup, Label, chain
        from riir_airflow.providers.standard.operators.bash import BashOperator
        from riir_airflow.providers.standard.operators.python import PythonOperator
        from riir_airflow.providers.standard.operators.empty import EmptyOperator
        with DAG("light", schedule="@daily") as dag:
            @task
            def f() -> int:
                return 1
            with TaskGroup("g"):
                b = BashOperator(task_id="b", bash_command="echo {{ ds }}")
            f() >> Label("x") >> b >> EmptyOperator(task_id="e")
        print(json.dumps(sorted(sys.modules)))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert _forbidden(json.loads(proc.stdout.strip().splitlines()[-1])) == []


def test_every_name_in_sdk_all_resolves() -> None:
    sdk = importlib.import_module("riir_airflow.sdk")
    missing = [name for name in sdk.__all__ if getattr(sdk, name, None) is None]
    assert missing == []


@pytest.mark.parametrize(
    "name", ["DAG", "dag", "task", "task_group", "TaskGroup", "BaseOperator", "Param", "Variable",
             "get_current_context", "chain", "Label", "TriggerRule"]
)
def test_p0_sdk_names_are_exported(name: str) -> None:
    sdk = importlib.import_module("riir_airflow.sdk")
    assert name in sdk.__all__
    assert getattr(sdk, name) is not None


def test_every_name_in_top_level_all_resolves() -> None:
    top = importlib.import_module("riir_airflow")
    missing = [name for name in top.__all__ if not hasattr(top, name)]
    assert missing == []


PATHS_2X = {
    "riir_airflow": ["DAG", "XComArg", "__version__"],
    "riir_airflow.decorators": ["dag", "task", "task_group", "setup", "teardown"],
    "riir_airflow.models": ["DAG", "BaseOperator", "Variable", "Connection", "Param"],
    "riir_airflow.models.dag": ["DAG", "dag"],
    "riir_airflow.models.baseoperator": ["BaseOperator", "chain", "cross_downstream", "chain_linear"],
    "riir_airflow.models.param": ["Param", "ParamsDict"],
    "riir_airflow.operators.bash": ["BashOperator"],
    "riir_airflow.operators.python": [
        "PythonOperator",
        "BranchPythonOperator",
        "ShortCircuitOperator",
        "get_current_context",
    ],
    "riir_airflow.operators.empty": ["EmptyOperator"],
    "riir_airflow.operators.latest_only": ["LatestOnlyOperator"],
    "riir_airflow.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "riir_airflow.utils.trigger_rule": ["TriggerRule"],
    "riir_airflow.utils.task_group": ["TaskGroup"],
    "riir_airflow.utils.edgemodifier": ["Label", "EdgeModifier"],
    "riir_airflow.utils.dates": ["days_ago"],
    "riir_airflow.utils.timezone": ["utcnow", "datetime", "parse", "convert_to_utc"],
    "riir_airflow.utils.state": ["State", "DagRunState", "TaskInstanceState"],
    "riir_airflow.exceptions": [
        "AirflowException",
        "AirflowSkipException",
        "AirflowFailException",
        "AirflowTaskTimeout",
        "AirflowDagCycleException",
        "DuplicateTaskIdFound",
        "ParamValidationError",
        "AirflowNotFoundException",
    ],
    "riir_airflow.hooks.base": ["BaseHook"],
    "riir_airflow.macros": ["ds_add", "ds_format", "datetime", "timedelta"],
}

PATHS_3X = {
    "riir_airflow.sdk": ["DAG", "dag", "task", "BaseOperator", "TaskGroup", "Param", "Variable", "Connection"],
    "riir_airflow.sdk.exceptions": ["AirflowSkipException", "AirflowFailException", "DownstreamTasksSkipped"],
    "riir_airflow.providers.standard.operators.bash": ["BashOperator"],
    "riir_airflow.providers.standard.operators.python": [
        "PythonOperator",
        "BranchPythonOperator",
        "ShortCircuitOperator",
        "get_current_context",
    ],
    "riir_airflow.providers.standard.operators.empty": ["EmptyOperator"],
    "riir_airflow.providers.standard.operators.latest_only": ["LatestOnlyOperator"],
    "riir_airflow.providers.standard.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "riir_airflow.providers.standard.operators.branch": ["BaseBranchOperator"],
}


@pytest.mark.parametrize(("module", "names"), sorted(PATHS_2X.items()), ids=sorted(PATHS_2X))
def test_airflow2_import_path_provides_its_names(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    missing = [n for n in names if not hasattr(imported, n)]
    assert missing == []


@pytest.mark.parametrize(("module", "names"), sorted(PATHS_3X.items()), ids=sorted(PATHS_3X))
def test_airflow3_import_path_provides_its_names(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    missing = [n for n in names if not hasattr(imported, n)]
    assert missing == []


def test_2x_and_3x_paths_give_the_same_classes() -> None:
    from riir_airflow.models import DAG as DAG2
    from riir_airflow.operators.bash import BashOperator as Bash2
    from riir_airflow.operators.python import PythonOperator as Py2
    from riir_airflow.providers.standard.operators.bash import BashOperator as Bash3
    from riir_airflow.providers.standard.operators.python import PythonOperator as Py3
    from riir_airflow.sdk import DAG as DAG3
    from riir_airflow.sdk import TriggerRule as TR3
    from riir_airflow.utils.trigger_rule import TriggerRule as TR2

    assert DAG2 is DAG3
    assert Bash2 is Bash3
    assert Py2 is Py3
    assert TR2 is TR3


def test_decorators_task_supports_the_provider_kinds() -> None:
    from riir_airflow.decorators import task

    for kind in ("python", "bash", "branch", "short_circuit"):
        assert callable(getattr(task, kind))
    with pytest.raises(AttributeError):
        task.no_such_kind


def test_version_is_an_airflow3_version_string() -> None:
    import riir_airflow

    assert riir_airflow.__version__.startswith("3.")
