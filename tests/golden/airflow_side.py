"""Run one golden DAG under the REAL Apache Airflow and print its result as JSON.

This script runs INSIDE the Airflow virtualenv made by ``scripts/airflow-venv.sh``; it is
called by ``tests/golden/regenerate.py`` and is never imported by the riir-airflow tests.

    /work/airflow-venv/bin/python tests/golden/airflow_side.py tests/golden/dags/NAME.py [--out FILE]

What it does (single run, ``GOLDEN_ARGS = {"logical_date", "conf", "env"}``):

1. reads ``GOLDEN_ARGS`` from the DAG file with ``ast.literal_eval`` (never by import);
2. makes a throwaway ``AIRFLOW_HOME`` (sqlite metadata DB, ``airflow db migrate``) and a
   dags folder holding the DAG file with ``riir_airflow`` rewritten to ``airflow`` plus every
   non-Python file/folder next to it (template files);
3. sets the ``env`` of GOLDEN_ARGS, loads the DAG, runs
   ``dag.test(logical_date=..., run_conf=...)``;
4. reads back the run, every task instance, the ``return_value`` XCom of each TI and the
   RenderedTaskInstanceFields rows from the metadata DB, and prints one JSON object (the
   ``riir-airflow dags test --output json`` contract of DESIGN.md) as the last stdout line,
   and writes it to ``--out`` when given.

A sequence golden (``GOLDEN_ARGS = {"runs": [{"logical_date", "conf", "env"}, ...], "env"}``)
gets ONE ``AIRFLOW_HOME`` and DB for all its runs: each run is one ``dag.test()`` in its own
fresh interpreter (as ``airflow dags test`` would be: the file is parsed again, with the run's
own ``env`` over the DAG-level one), in the given order, so each run sees the history the
earlier ones left. The result is ``{"runs": [report, ...]}``, one report per run in the
single-run shape. ``dag.test()`` never returns when a run can make no progress without a
scheduler (a ``depends_on_past`` task whose previous run failed waits forever, logging "No
tasks to run" every second; ``dagrun_timeout`` is not checked by dag.test): when that happens
for STALL_PASSES passes in a row while no task instance has any state (nothing running, nothing
waiting for a retry), the run is stopped there and its report is what the metadata DB holds at
that moment (run state ``running``), plus ``"stalled": [blocked task ids]``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MARKER = "GOLDEN_RESULT_JSON: "
STALL_PASSES = 3


class RunStalled(Exception):
    """dag.test() looped STALL_PASSES times with nothing runnable and nothing in flight."""

    def __init__(self, waiting: list[str]):
        super().__init__(f"no runnable task instances; waiting: {waiting}")
        self.waiting = waiting


class _StallGuard:
    """Wraps the logger of airflow.sdk.definitions.dag: its dag.test() loop logs
    ``"No tasks to run. unrunnable tasks: %s"`` (then sleeps 1 s) on each pass where nothing is
    scheduled. When every unfinished TI of that set has no state at all (not running, not
    up_for_retry/up_for_reschedule/deferred), nothing can change without a scheduler: after
    STALL_PASSES such passes in a row, raise RunStalled out of dag.test()."""

    def __init__(self, inner):
        self._inner = inner
        self._count = 0

    def warning(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith("No tasks to run") and args:
            waiting = list(args[0])
            if waiting and all(getattr(ti, "state", "?") is None for ti in waiting):
                self._count += 1
                if self._count >= STALL_PASSES:
                    self._inner.warning(msg, *args, **kwargs)
                    raise RunStalled(sorted(f"{ti.task_id}" for ti in waiting))
            else:
                self._count = 0
        return self._inner.warning(msg, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def read_golden_args(path: Path) -> dict:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "GOLDEN_ARGS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    return {}


def rewrite_source(text: str) -> str:
    text = re.sub(r"\bfrom riir_airflow\b", "from airflow", text)
    text = re.sub(r"\bimport riir_airflow\b", "import airflow", text)
    text = re.sub(r"\briir_airflow\.", "airflow.", text)
    return text


def prepare_home(dag_path: Path, work: Path, env_extra: dict) -> tuple[Path, dict]:
    home = work / "home"
    dags = work / "dags"
    home.mkdir()
    dags.mkdir()
    # the DAG file, rewritten, plus data files (templates) that live next to it
    (dags / dag_path.name).write_text(rewrite_source(dag_path.read_text()))
    for item in dag_path.parent.iterdir():
        if item.name.startswith((".", "__")):
            continue
        if item.is_dir():
            shutil.copytree(item, dags / item.name, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        elif item.suffix != ".py" and item.suffix != ".pyc":
            shutil.copy(item, dags / item.name)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    env.update({k: str(v) for k, v in env_extra.items()})
    return dags / dag_path.name, env


def migrate(env: dict) -> None:
    airflow_bin = Path(sys.executable).parent / "airflow"
    res = subprocess.run(
        [str(airflow_bin), "db", "migrate"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"airflow db migrate failed ({res.returncode})")


def rendered_str(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def xcom_value(stored):
    """The value a task sees when it pulls this XCom, as JSON.

    The column holds the JSON that the task SDK's serde produced.  Decode it with the SDK's
    ``serde.deserialize`` (what ``ti.xcom_pull`` does).  NOT ``XComModel.deserialize_value``:
    that one json-decodes string values a second time (the str ``"0"`` would come out as the
    int ``0``), which is not what tasks see.
    """
    from airflow.sdk.serde import deserialize

    try:
        value = deserialize(stored)
    except Exception:  # noqa: BLE001 - a value serde cannot read is kept as stored
        value = stored
    return json.loads(json.dumps(value, default=str))


def run_and_collect(dag_file: Path, dag_id: str, golden: dict, *, stall_guard: bool = False) -> dict:
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.dagrun import DagRun
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    bag = DagBag(dag_folder=str(dag_file))
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    if list(bag.dag_ids) != [dag_id]:
        raise SystemExit(f"expected exactly one DAG {dag_id!r} in the file, got {sorted(bag.dag_ids)}")
    dag = bag.get_dag(dag_id)

    kwargs = {}
    if "logical_date" in golden:
        ld = golden["logical_date"]
        kwargs["logical_date"] = None if ld is None else pendulum.parse(ld)
    if "conf" in golden:
        kwargs["run_conf"] = golden["conf"]
    stalled = None
    if not stall_guard:
        dr = dag.test(**kwargs)
        run_id = dr.run_id
    else:
        import airflow.sdk.definitions.dag as dag_module

        dag_module.log = _StallGuard(dag_module.log)
        try:
            dr = dag.test(**kwargs)
            run_id = dr.run_id
        except RunStalled as exc:
            stalled = exc.waiting
            with create_session() as session:  # the run dag.test() was working on: the newest
                run_id = session.query(DagRun.run_id).filter(DagRun.dag_id == dag_id).order_by(DagRun.id.desc()).first()[0]

    with create_session() as session:
        run = session.query(DagRun).filter(DagRun.dag_id == dag_id, DagRun.run_id == run_id).one()
        tis = (
            session.query(TaskInstance)
            .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
            .order_by(TaskInstance.task_id, TaskInstance.map_index)
            .all()
        )
        xcoms = (
            session.query(XComModel)
            .filter(XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == "return_value")
            .all()
        )
        xcom_by_ti = {(x.task_id, x.map_index): xcom_value(x.value) for x in xcoms}
        rtifs = session.query(RTIF).filter(RTIF.dag_id == dag_id, RTIF.run_id == run_id).all()
        mapped_ids = {ti.task_id for ti in tis if ti.map_index >= 0}

        def key(task_id: str, map_index: int) -> str:
            return f"{task_id}[{map_index}]" if map_index >= 0 else task_id

        tasks = {}
        for ti in tis:
            state = ti.state.value if hasattr(ti.state, "value") else ti.state
            tasks[key(ti.task_id, ti.map_index)] = {
                "state": state if state is not None else "none",
                "xcom_return": xcom_by_ti.get((ti.task_id, ti.map_index)),
                "try_number": ti.try_number,
            }
        rendered = {}
        for r in sorted(rtifs, key=lambda r: (r.task_id, r.map_index)):
            fields = r.rendered_fields or {}
            if not fields:
                continue
            k = key(r.task_id, r.map_index) if r.task_id in mapped_ids else r.task_id
            rendered[k] = {name: rendered_str(val) for name, val in sorted(fields.items())}

        logical = run.logical_date
        run_state = run.state.value if hasattr(run.state, "value") else run.state
        report = {
            "dag_id": dag_id,
            "run_id": run_id,
            "logical_date": None
            if logical is None
            else pendulum.instance(logical).in_timezone("UTC").isoformat(),
            "run_state": run_state,
            "tasks": dict(sorted(tasks.items())),
            "rendered": rendered,
        }
        if stalled is not None:
            report["stalled"] = stalled
        return report


def run_child(script_args: list[str], env: dict, work: Path, log_name: str) -> tuple[dict | None, str]:
    """Run this script's second stage in a fresh interpreter; (result or None, log text)."""
    res = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *script_args],
        env={**os.environ, **env},
        cwd=str(work),
        capture_output=True,
        text=True,
    )
    log_text = res.stdout + "\n----- stderr -----\n" + res.stderr
    (work / log_name).write_text(log_text)
    result_line = None
    for line in res.stdout.splitlines():
        if line.startswith(MARKER):
            result_line = line[len(MARKER):]
    if res.returncode != 0 or result_line is None:
        sys.stderr.write(res.stdout[-20000:] + "\n----- stderr -----\n" + res.stderr[-20000:])
        sys.stderr.write(f"\nairflow_side: run failed (rc={res.returncode}); log in {work / log_name}\n")
        return None, log_text
    return json.loads(result_line), log_text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dag_file", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the temporary AIRFLOW_HOME")
    ap.add_argument("--_child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--_run", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()

    dag_path = args.dag_file.resolve()
    dag_id = dag_path.stem
    golden = read_golden_args(dag_path)

    if args._child and args._run is not None:
        # second stage of a sequence: run number _run of GOLDEN_ARGS["runs"]
        result = run_and_collect(args._child, dag_id, golden["runs"][args._run], stall_guard=True)
        text = json.dumps(result, sort_keys=False)
        sys.stdout.flush()
        print(MARKER + text, flush=True)
        return 0
    if args._child:
        # second stage: environment is ready, run the DAG in this process
        result = run_and_collect(args._child, dag_id, golden)
        text = json.dumps(result, sort_keys=False)
        sys.stdout.flush()
        print(MARKER + text, flush=True)
        return 0

    work = Path(tempfile.mkdtemp(prefix=f"golden-{dag_id}-"))
    if "runs" in golden:
        return run_sequence(args, dag_path, dag_id, golden, work)
    try:
        dag_copy, env = prepare_home(dag_path, work, golden.get("env", {}))
        migrate(env)
        # run in a fresh interpreter so that the environment (AIRFLOW_HOME, AIRFLOW_VAR_*,
        # AIRFLOW_CONN_*) is in place before anything of Airflow is imported
        res = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(dag_path), "--_child", str(dag_copy)],
            env={**os.environ, **env},
            cwd=str(work),
            capture_output=True,
            text=True,
        )
        log_path = work / "run.log"
        log_path.write_text(res.stdout + "\n----- stderr -----\n" + res.stderr)
        result_line = None
        for line in res.stdout.splitlines():
            if line.startswith(MARKER):
                result_line = line[len(MARKER):]
        if res.returncode != 0 or result_line is None:
            sys.stderr.write(res.stdout[-20000:] + "\n----- stderr -----\n" + res.stderr[-20000:])
            sys.stderr.write(f"\nairflow_side: run failed (rc={res.returncode}); log in {log_path}\n")
            args.keep = True
            return 1
        result = json.loads(result_line)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
        print(json.dumps(result))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            sys.stderr.write(f"airflow_side: kept {work}\n")


def run_sequence(args, dag_path: Path, dag_id: str, golden: dict, work: Path) -> int:
    """All runs of GOLDEN_ARGS["runs"], in order, against one AIRFLOW_HOME."""
    runs = golden["runs"]
    if not isinstance(runs, list) or not runs:
        raise SystemExit('GOLDEN_ARGS["runs"] must be a non-empty list')
    try:
        dag_copy, env = prepare_home(dag_path, work, golden.get("env", {}))
        migrate(env)
        reports = []
        for i, spec in enumerate(runs):
            run_env = {**env, **{k: str(v) for k, v in (spec.get("env") or {}).items()}}
            argv = [str(dag_path), "--_child", str(dag_copy), "--_run", str(i)]
            report, _ = run_child(argv, run_env, work, f"run{i}.log")
            if report is None:
                args.keep = True
                return 1
            reports.append(report)
            sys.stderr.write(f"airflow_side: run {i} ({spec.get('logical_date')}): {report['run_state']}"
                             + (f", stalled on {report['stalled']}" if "stalled" in report else "") + "\n")
        result = {"runs": reports}
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
        print(json.dumps(result))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            sys.stderr.write(f"airflow_side: kept {work}\n")


if __name__ == "__main__":
    sys.exit(main())
