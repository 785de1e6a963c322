"""The engine is pure: it imports only the stdlib, itself and a few pure SDK modules, does
no I/O and never reads a clock (time is always passed in)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from riir_airflow import engine

ENGINE_DIR = Path(engine.__file__).parent
ALLOWED_PROJECT = {
    "riir_airflow.sdk.state",
    "riir_airflow.sdk.trigger_rule",
    "riir_airflow.sdk.exceptions",
    # Scheduling over time (engine/runs.py, past.py) asks timetables, themselves a pure core
    # that reads "now" only as pinned by next_run_info, and formats run ids by run type.
    "riir_airflow.sdk.run_type",
    "riir_airflow.sdk.timetables._time",
    "riir_airflow.sdk.timetables.base",
}
FORBIDDEN_STDLIB = {"os", "io", "time", "socket", "subprocess", "threading", "asyncio", "random", "pathlib"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_engine_modules_import_only_stdlib_engine_and_leaf_sdk_modules() -> None:
    for path in sorted(ENGINE_DIR.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "riir_airflow":
                assert name.startswith("riir_airflow.engine") or name in ALLOWED_PROJECT, (path.name, name)
            else:
                assert top in sys.stdlib_module_names or top == "__future__", (path.name, name)
                assert top not in FORBIDDEN_STDLIB, (path.name, name)


def test_engine_never_reads_a_clock() -> None:
    for path in sorted(ENGINE_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCK_CALLS, (path.name, ast.unparse(node))


def test_engine_public_surface_is_curated_and_importable() -> None:
    assert len(engine.__all__) == len(set(engine.__all__))
    for name in engine.__all__:
        assert getattr(engine, name) is not None
