"""Loading a DAG file once: its DAGs, or clear errors naming the file (and line).

A file that fails to import (syntax error, failing import, exception while defining tasks,
duplicate task id, unknown trigger rule, invalid param default) yields no DAGs and one error.
A DAG that imports but fails validation (cycle, fail_fast rules) is dropped with an error while
the file's other DAGs load, as Airflow's DagBag does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["DagFileError", "LoadedFile", "find_dag_files", "load_dag_file"]


@dataclass
class DagFileError:
    file: str
    message: str
    line: int | None = None
    traceback: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class LoadedFile:
    path: Path
    dags: dict[str, DAG] = field(default_factory=dict)
    errors: list[DagFileError] = field(default_factory=list)


def _line_in_file(exc: BaseException, path: Path) -> int | None:
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve() == path:
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path:
            line = frame.lineno
    return line


def load_dag_file(path: str | Path) -> LoadedFile:
    """Import the file as a fresh module and collect the DAGs it defines."""
    from riir_airflow.sdk.dag import DAG, DagContext
    from riir_airflow.sdk.taskgroup import TaskGroupContext

    path = Path(path).resolve()
    result = LoadedFile(path=path)
    if not path.is_file():
        result.errors.append(DagFileError(str(path), "No such DAG file"))
        return result

    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    module_name = f"riir_dagfile_{digest}_{path.stem}"
    DagContext.autoregistered.clear()
    DagContext._stack.clear()
    TaskGroupContext._stack.clear()
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - any failure while importing (even sys.exit) is the file's error
        sys.modules.pop(module_name, None)
        message = f"{type(exc).__name__}: {exc}"
        result.errors.append(
            DagFileError(
                str(path), message, _line_in_file(exc, path), "".join(traceback.format_exception(exc))
            )
        )
        return result
    finally:
        DagContext._stack.clear()
        TaskGroupContext._stack.clear()

    candidates: list[DAG] = [v for v in vars(module).values() if isinstance(v, DAG)]
    candidates += [d for d in DagContext.autoregistered if all(d is not c for c in candidates)]
    DagContext.autoregistered.clear()
    for dag in candidates:
        if dag.dag_id in result.dags and result.dags[dag.dag_id] is not dag:
            result.errors.append(
                DagFileError(str(path), f"Ignoring DAG {dag.dag_id}: duplicate dag_id in the same file")
            )
            continue
        try:
            dag.validate()
        except Exception as exc:  # noqa: BLE001 - reported as the file's error
            result.errors.append(DagFileError(str(path), f"{type(exc).__name__}: {exc}"))
            continue
        dag.fileloc = str(path)
        result.dags[dag.dag_id] = dag
    return result


def find_dag_files(folder: str | Path) -> list[Path]:
    """Python files in a folder (recursively) that look like DAG files (safe mode: they mention
    both "dag" and "airflow"), honouring `.airflowignore` glob patterns."""
    import fnmatch

    folder = Path(folder)
    ignore: list[str] = []
    ignore_file = folder / ".airflowignore"
    if ignore_file.is_file():
        ignore = [
            ln.strip() for ln in ignore_file.read_text().splitlines() if ln.strip() and not ln.startswith("#")
        ]
    files = []
    for candidate in sorted(folder.rglob("*.py")):
        rel = str(candidate.relative_to(folder))
        if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(candidate.name, pat) for pat in ignore):
            continue
        try:
            text = candidate.read_text(errors="replace").lower()
        except OSError:
            continue
        if "dag" in text and "airflow" in text:
            files.append(candidate)
    return files
