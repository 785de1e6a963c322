"""Finding the DAG a command names: a file path (riir's contract) or, as in Airflow, a dag_id
looked up in `[core] dags_folder` (or a `-f/--subdir` file or folder)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from riir_airflow.cli.main import CommandError

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["load_or_fail", "resolve_dag"]


def _errors_text(path: Path, errors: list[Any]) -> str:
    details = "\n".join(f"  {e}" for e in errors)
    tb = "\n".join(e.traceback for e in errors if e.traceback)
    return f"Failed to load DAG file {path}:\n{details}" + (f"\n\n{tb}" if tb else "")


def _warn_other_errors(path: Path, dag_id: str, errors: list[Any]) -> None:
    """The DAG asked for loaded; another DAG of its file did not (as Airflow's DagBag, the good
    DAGs of a file stay usable): say so on stderr and go on."""
    lines = "\n".join(f"  {e}" for e in errors)
    print(f"warning: {path} loaded DAG {dag_id!r}, but not everything in it:\n{lines}", file=sys.stderr)


def load_or_fail(path: Path, dag_id: str | None = None) -> dict[str, DAG]:
    """The DAGs of one file; CommandError listing the file's errors when it is broken. When
    `dag_id` names a DAG that loaded, errors of the file's other DAGs are only warned about."""
    from riir_airflow.runtime.loader import load_dag_file

    loaded = load_dag_file(path)
    if loaded.errors:
        if dag_id is None or dag_id not in loaded.dags:
            raise CommandError(_errors_text(path, loaded.errors))
        _warn_other_errors(path, dag_id, loaded.errors)
    if not loaded.dags:
        raise CommandError(f"No DAG found in {path}")
    return loaded.dags


def resolve_dag(target: str, dag_id: str | None = None, subdir: str | None = None) -> DAG:
    """`target` is a DAG file (then `dag_id` picks among its DAGs) or a dag_id."""
    path = Path(target)
    if path.suffix == ".py" or path.is_file():
        if not path.is_file():
            raise CommandError(f"DAG file not found: {target}")
        dags = load_or_fail(path, dag_id)
        if dag_id is None:
            if len(dags) > 1:
                raise CommandError(
                    f"{target} defines several DAGs ({', '.join(sorted(dags))}); pass --dag-id"
                )
            return next(iter(dags.values()))
        if dag_id not in dags:
            raise CommandError(f"DAG {dag_id!r} not found in {target} (found: {', '.join(sorted(dags))})")
        return dags[dag_id]

    from riir_airflow.compat.config import conf
    from riir_airflow.runtime.loader import find_dag_files, load_dag_file

    wanted = target
    where = Path(subdir or conf.get("core", "dags_folder"))
    files = [where] if where.is_file() else find_dag_files(where)
    for file in files:
        loaded = load_dag_file(file)
        if wanted in loaded.dags:
            if loaded.errors:
                _warn_other_errors(file, wanted, loaded.errors)
            return loaded.dags[wanted]
    raise CommandError(f"DAG {wanted!r} not found in {where} (pass the DAG file path instead)")
