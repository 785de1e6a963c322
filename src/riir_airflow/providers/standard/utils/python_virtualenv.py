"""Running a Python callable in another interpreter: the script, the interpreter, the virtualenv.

Used by PythonVirtualenvOperator and ExternalPythonOperator
(`riir_airflow.providers.standard.operators.python_virtualenv`).

How a call works: the callable's source (dedented, `@task...` decorators removed) is written into
a script together with a small driver; the arguments are serialized into a file; another
interpreter runs the script, which loads the arguments, calls the function and serializes its
return value into a result file that the task reads back. `virtualenv_string_args` (a list of
str) is a global of the script.

This module imports only the standard library at module level: the child interpreter imports
it to unpickle `DagRunSnapshot`, and the interpreter probe imports it to learn whether
riir_airflow works there.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "SERIALIZERS",
    "DagRunSnapshot",
    "InterpreterInfo",
    "cached_virtualenv",
    "callable_source",
    "create_virtualenv",
    "load_serializer",
    "probe_interpreter",
    "resolve_python_bin",
    "riir_import_dir",
    "run_python",
    "write_script",
]

log = logging.getLogger("riir_airflow.task")

SERIALIZERS = ("pickle", "cloudpickle", "dill")

# Decorators dropped from the callable's source: `@task`, `@task.virtualenv(...)`,
# `@riir_airflow.sdk.task.external_python`, `@setup`, `@teardown`. Any other decorator is kept
# (and must then be importable or defined in the child, as in Airflow).
_TASK_DECORATOR_PARTS = frozenset({"task", "setup", "teardown"})


# -- serializers ------------------------------------------------------------------------------


def load_serializer(name: str) -> ModuleType:
    """The module for `serializer=name`; a clear error when it is not installed here."""
    if name not in SERIALIZERS:
        raise ValueError(f"Unsupported serializer {name!r}. Expected one of {', '.join(map(repr, SERIALIZERS))}")
    try:
        return __import__(name)
    except ImportError as err:
        raise ImportError(
            f"serializer={name!r} needs the {name!r} package in the environment running the task "
            f"(it serializes the arguments and reads the result back): pip install {name}"
        ) from err


# -- the callable's source --------------------------------------------------------------------


def _dotted_parts(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Call):
        node = node.func
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def _function_node(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def callable_source(fn: Callable[..., Any]) -> tuple[str, str]:
    """(name, source) of a `def` function, dedented, its task decorators removed.

    The source must define the function at module level once written into a script, so it may
    not use names of the DAG file (imports go inside the function, as in Airflow).
    """
    try:
        raw = inspect.getsource(fn)
    except (OSError, TypeError) as err:
        raise ValueError(f"Cannot read the source of {fn!r}: {err}") from err
    text = textwrap.dedent(raw)
    prefix = ""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        # A multi-line string less indented than the def defeats dedent: nest it in `if True:`.
        prefix, text = "if True:\n", raw if raw[:1].isspace() else "    " + raw
        tree = ast.parse(prefix + text)
    node = _function_node(tree)
    if node is None:
        raise ValueError(f"{fn!r} is not defined with `def`")
    if isinstance(node, ast.AsyncFunctionDef):
        raise TypeError(f"{node.name}: async functions cannot run in a virtualenv / external python")
    offset = 1 if prefix else 0  # line numbers count the `if True:` line
    drop: set[int] = set()
    for deco in node.decorator_list:
        parts = _dotted_parts(deco)
        if parts and any(part in _TASK_DECORATOR_PARTS for part in parts):
            drop.update(range(deco.lineno - 1 - offset, (deco.end_lineno or deco.lineno) - offset))
    lines = text.splitlines(keepends=True)
    kept = "".join(line for index, line in enumerate(lines) if index not in drop)
    return node.name, prefix + kept if prefix else kept


_SCRIPT_HEAD = '''\
# Written by riir-airflow: runs {name}() for task {task!r} in this interpreter.
# argv: ARGS_FILE RESULT_FILE STRING_ARGS_FILE ERROR_FILE
from __future__ import annotations

import sys


def __riir_fail(message):
    with open(sys.argv[4], "w") as handle:
        handle.write(message)
    print(message, file=sys.stderr)
    raise SystemExit(1)


try:
    import {serializer} as __riir_serializer
except ImportError as __riir_error:
    __riir_fail(
        "serializer={serializer!r} is not importable by " + sys.executable + ": "
        + repr(__riir_error) + " (add {serializer!r} to the requirements of that environment)"
    )

with open(sys.argv[3]) as __riir_handle:
    virtualenv_string_args = [line.strip() for line in __riir_handle]

# -- the callable ------------------------------------------------------------------------------
'''

_SCRIPT_TAIL = '''
# -- driver ------------------------------------------------------------------------------------


def __riir_main():
    import os

    if os.path.getsize(sys.argv[1]):
        with open(sys.argv[1], "rb") as handle:
            arguments = __riir_serializer.load(handle)
    else:
        arguments = {{"args": [], "kwargs": {{}}}}
    try:
        result = {name}(*arguments["args"], **arguments["kwargs"])
    except Exception as error:
        with open(sys.argv[4], "w") as handle:
            handle.write(type(error).__name__ + ": " + str(error))
        raise
    with open(sys.argv[2], "wb") as handle:
        if result is not None:
            __riir_serializer.dump(result, handle)


__riir_main()
'''


def write_script(path: Path, name: str, source: str, serializer: str, task_id: str = "") -> None:
    head = _SCRIPT_HEAD.format(name=name, task=task_id, serializer=serializer)
    path.write_text(head + "\n" + source.rstrip() + "\n\n" + _SCRIPT_TAIL.format(name=name))


# -- running the child ------------------------------------------------------------------------


def run_python(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None) -> int:
    """Run `cmd`, logging each line of its stdout+stderr to the task log; return its exit code.

    The child runs in its own process group, killed when the task is interrupted (timeout)."""
    log.info("Executing cmd: %s", " ".join(shlex.quote(str(c)) for c in cmd))
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            log.info("%s", raw.decode("utf-8", errors="backslashreplace").rstrip())
        return proc.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()


def riir_import_dir(parent: Path) -> Path:
    """A directory holding only a `riir_airflow` link to this package: put it on the child's
    PYTHONPATH to make riir_airflow importable there without exposing anything else."""
    import riir_airflow

    package = Path(riir_airflow.__file__).resolve().parent
    target = parent / "riir_path"
    target.mkdir(exist_ok=True)
    link = target / "riir_airflow"
    if not link.exists():
        link.symlink_to(package, target_is_directory=True)
    return target


def prepend_path(env: dict[str, str], name: str, entry: str) -> None:
    env[name] = os.pathsep.join(p for p in (entry, env.get(name, "")) if p)


# -- interpreters -----------------------------------------------------------------------------

_PROBE = r"""
import json, sys
info = {"version": list(sys.version_info[:3]), "pendulum": None, "riir_airflow": False}
try:
    import pendulum
    info["pendulum"] = str(getattr(pendulum, "__version__", "0"))
except Exception:
    pass
if info["pendulum"] is not None:
    try:
        import riir_airflow.providers.standard.utils.python_virtualenv
        info["riir_airflow"] = True
    except Exception:
        pass
print("RIIR_PROBE " + json.dumps(info))
"""


class InterpreterInfo:
    """What the child interpreter offers: its version, pendulum, riir_airflow."""

    def __init__(self, version: tuple[int, ...], pendulum: str | None, riir_airflow: bool) -> None:
        self.version = version
        self.pendulum = pendulum
        self.riir_airflow = riir_airflow

    @property
    def pendulum_compatible(self) -> bool:
        """pendulum is there with the major version of ours, so its DateTimes unpickle."""
        if self.pendulum is None:
            return False
        try:
            from importlib.metadata import version

            ours = version("pendulum")
        except Exception:  # noqa: BLE001 - pendulum metadata missing: compare nothing
            return True
        return ours.split(".")[0] == self.pendulum.split(".")[0]

    def __repr__(self) -> str:
        v = ".".join(map(str, self.version))
        return f"InterpreterInfo(python {v}, pendulum={self.pendulum}, riir_airflow={self.riir_airflow})"


def probe_interpreter(python: str | os.PathLike[str], env: dict[str, str] | None = None) -> InterpreterInfo:
    """Ask `python` (with the child's environment) for its version and what it can import."""
    try:
        proc = subprocess.run(
            [os.fspath(python), "-c", _PROBE], capture_output=True, text=True, env=env, timeout=120, check=False
        )
    except OSError as err:
        raise RuntimeError(f"Cannot run the Python interpreter {os.fspath(python)!r}: {err}") from err
    for line in proc.stdout.splitlines():
        if line.startswith("RIIR_PROBE "):
            data = json.loads(line[len("RIIR_PROBE ") :])
            return InterpreterInfo(tuple(data["version"]), data["pendulum"], bool(data["riir_airflow"]))
    raise RuntimeError(
        f"The Python interpreter {os.fspath(python)!r} does not run (exit code {proc.returncode}): "
        f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
    )


def resolve_python_bin(python_version: str | None) -> str:
    """The interpreter a virtualenv is made from: the one running the task when
    `python_version` is None or names its version (`"3"`, `"3.12"`, `"3.12.1"`), else
    `python<version>` found on PATH."""
    if not python_version:
        return sys.executable
    current = [str(p) for p in sys.version_info[:3]]
    wanted = str(python_version).split(".")
    if wanted == current[: len(wanted)]:
        return sys.executable
    found = shutil.which(f"python{python_version}")
    if found is None:
        raise FileNotFoundError(
            f"python_version={python_version!r}: no python{python_version} on PATH to create the virtualenv with"
        )
    return found


# -- virtualenvs ------------------------------------------------------------------------------


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def _use_uv() -> bool:
    try:
        from riir_airflow.compat.config import conf

        method = str(conf.get("standard", "venv_install_method", fallback="auto")).lower()
    except Exception:  # noqa: BLE001 - config unreadable: decide by PATH
        method = "auto"
    if method == "uv":
        return True
    if method == "pip":
        return False
    return shutil.which("uv") is not None


def _index_args(index_urls: list[str] | None) -> list[str]:
    if index_urls is None:
        return []
    if not index_urls:
        return ["--no-index"]
    args = ["--index-url", index_urls[0]]
    for url in index_urls[1:]:
        args += ["--extra-index-url", url]
    return args


def _host_pip_supports_python_option() -> bool:
    """pip >= 22.3 here can install into another environment (`pip --python`)."""
    try:
        from importlib.metadata import version

        major, minor = (int(x) for x in version("pip").split(".")[:2])
    except Exception:  # noqa: BLE001 - no pip, or an odd version string
        return False
    return (major, minor) >= (22, 3)


def _pyvenv_version(venv_dir: Path) -> str | None:
    try:
        text = (venv_dir / "pyvenv.cfg").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return value.strip()
    return None


def link_worker_site_packages(venv_dir: Path) -> bool:
    """`system_site_packages` when the task itself runs in a virtualenv: the new one also sees
    the packages of the task's environment (riir_airflow, pendulum, ...) after its own, through
    a .pth file. Only for the same Python major.minor; returns whether it was linked."""
    if sys.prefix == sys.base_prefix:
        return False  # not in a virtualenv: --system-site-packages already shows our packages
    version = _pyvenv_version(venv_dir) or ""
    if version.split(".")[:2] != [str(v) for v in sys.version_info[:2]]:
        return False
    import site

    dirs = [d for d in site.getsitepackages() if os.path.isdir(d)]
    if not dirs:
        return False
    lines = [f"import site; site.addsitedir({d!r})\n" for d in dirs]
    for site_dir in (venv_dir / "lib").glob("python*/site-packages"):
        (site_dir / "_riir_worker_site_packages.pth").write_text("".join(lines))
    return True


def create_virtualenv(
    venv_dir: Path,
    python_bin: str,
    *,
    system_site_packages: bool,
    requirements_file: Path | None,
    pip_install_options: Sequence[str] = (),
    index_urls: list[str] | None = None,
) -> Path:
    """Make a virtualenv in `venv_dir` (with uv if on PATH, else `python -m venv`) and install
    `requirements_file` into it (uv pip, or pip). Returns its python."""
    uv = _use_uv()
    if uv:
        cmd = ["uv", "venv", "--allow-existing", "--python", python_bin]
        if system_site_packages:
            cmd.append("--system-site-packages")
        cmd.append(os.fspath(venv_dir))
    else:
        # No pip inside: the requirements are installed by our pip (`pip --python`), which
        # saves the seconds ensurepip takes.
        with_pip = bool(requirements_file) and not _host_pip_supports_python_option()
        cmd = [python_bin, "-m", "venv", *([] if with_pip else ["--without-pip"])]
        if system_site_packages:
            cmd.append("--system-site-packages")
        cmd.append(os.fspath(venv_dir))
    if run_python(cmd) != 0:
        raise RuntimeError(f"Creating the virtualenv failed: {shlex.join(cmd)}")
    python = venv_python(venv_dir)
    if system_site_packages and link_worker_site_packages(venv_dir):
        log.info("The virtualenv also sees the site-packages of %s", sys.prefix)
    if requirements_file is None:
        return python
    options = [*_index_args(index_urls), *pip_install_options]
    if uv:
        install = ["uv", "pip", "install", "--python", os.fspath(python), *options, "-r", os.fspath(requirements_file)]
    elif _host_pip_supports_python_option():
        install = [sys.executable, "-m", "pip", "--python", os.fspath(python), "install", *options]
        install += ["-r", os.fspath(requirements_file)]
    else:
        install = [os.fspath(python), "-m", "pip", "install", *options, "-r", os.fspath(requirements_file)]
    if run_python(install) != 0:
        raise RuntimeError(f"Installing the requirements failed: {shlex.join(install)}")
    return python


def cache_hash(data: dict[str, Any]) -> tuple[str, str]:
    """(short hash, the JSON it was computed from) of a virtualenv's defining inputs."""
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12], text


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_virtualenv(cache_root: Path, data: dict[str, Any], build: Callable[[Path], Any]) -> Path:
    """The virtualenv `cache_root/venv-<hash of data>`, built by `build(dir)` unless a complete
    one is there. A file lock keeps concurrent tasks from building the same one twice; a marker
    written last tells a complete virtualenv from one a crash left half-made."""
    digest, text = cache_hash(data)
    venv_dir = cache_root / f"venv-{digest}"
    marker = venv_dir / "riir_venv_complete.json"
    cache_root.mkdir(parents=True, exist_ok=True)
    with _locked(cache_root / f"venv-{digest}.lock"):
        if venv_dir.exists():
            if marker.exists() and marker.read_text() == text:
                log.info("Reusing the cached virtualenv %s", venv_dir)
                return venv_dir
            log.warning("Removing the incomplete or outdated virtualenv %s", venv_dir)
            shutil.rmtree(venv_dir)
        log.info("Creating the virtualenv %s (cached)", venv_dir)
        venv_dir.mkdir(parents=True)
        try:
            build(venv_dir)
        except BaseException:
            shutil.rmtree(venv_dir, ignore_errors=True)
            raise
        marker.write_text(text)
    return venv_dir


# -- context values the child can rebuild -----------------------------------------------------


class DagRunSnapshot:
    """The `dag_run` a virtualenv / external python task receives: the run's attributes as
    plain values (no store behind it, so no `get_task_instances`)."""

    _FIELDS = (
        "dag_id",
        "run_id",
        "run_type",
        "state",
        "logical_date",
        "data_interval_start",
        "data_interval_end",
        "run_after",
        "start_date",
        "end_date",
        "conf",
        "clear_number",
        "triggered_by",
        "note",
    )

    def __init__(self, **values: Any) -> None:
        for name in self._FIELDS:
            setattr(self, name, values.get(name))

    @classmethod
    def of(cls, dag_run: Any) -> DagRunSnapshot:
        return cls(**{name: getattr(dag_run, name, None) for name in cls._FIELDS})

    @property
    def execution_date(self) -> Any:  # 2.x name
        return self.logical_date

    @property
    def external_trigger(self) -> bool:  # 2.x name
        return self.run_type == "manual"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DagRunSnapshot) and all(
            getattr(self, n) == getattr(other, n) for n in self._FIELDS
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<DagRun {self.dag_id} @ {self.logical_date}: {self.run_id}, state:{self.state}>"
