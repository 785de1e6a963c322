"""Finding the DAG a command names: a file path (riir's contract) or, as in Airflow, a dag_id
looked up in `[core] dags_folder` (or a `-f/--subdir` file or folder)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from riir_airflow.cli.main import CommandError

if TYPE_CHECKING:
    from riir_airflow.sdk.dag import DAG

__all__ = ["load_or_fail", "resolve_dag"]


def load_or_fail(path: Path) -> dict[str, DAG]:
    """The DAGs of one file; CommandError listing the file's errors when it is broken."""
    from riir_airflow.runtime.loader import load_dag_file

    loaded = load_dag_file(path)
    if loaded.errors:
        details = "\n".join(f"  {e}" for e in loaded.errors)
        tb = "\n".join(e.traceback for e in loaded.errors if e.traceback)
        raise CommandError(f"Failed to load DAG file {path}:\n{details}" + (f"\n\n{tb}" if tb else ""))
    if not loaded.dags:
        raise CommandError(f"No DAG found in {path}")
    return loaded.dags


def resolve_dag(target: str, dag_id: str | None = None, subdir: str | None = None) -> DAG:
    """`target` is a DAG file (then `dag_id` picks among its DAGs) or a dag_id."""
    path = Path(target)
    if path.suffix == ".py" or path.is_file():
        if not path.is_file():
            raise CommandError(f"DAG file not found: {target}")
        dags = load_or_fail(path)
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
                raise CommandError(f"Failed to load DAG file {file}: {loaded.errors[0]}")
            return loaded.dags[wanted]
    raise CommandError(f"DAG {wanted!r} not found in {where} (pass the DAG file path instead)")
