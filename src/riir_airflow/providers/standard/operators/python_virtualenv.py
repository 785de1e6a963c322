"""PythonVirtualenvOperator, ExternalPythonOperator and their branching variants.

The callable runs in another interpreter: a virtualenv made for the task
(PythonVirtualenvOperator) or an existing one (ExternalPythonOperator, `python=` path). Its
source is written to a script (see `utils/python_virtualenv.py`), so it must be a `def`
function that imports what it needs inside its body. Arguments and the return value cross
with `serializer` (pickle; cloudpickle or dill when installed).

Context passed to the child (only to parameters the callable names, or all with `**kwargs`),
decided by asking the child interpreter what it can import:

- always: `ds, ds_nodash, ts, ts_nodash, ts_nodash_with_tz, run_id, task_instance_key_str,
  inlets, outlets, test_mode, expanded_ti_count, task_reschedule_count` and the 2.x strings
  `next_ds(_nodash), prev_ds(_nodash), yesterday_ds(_nodash), tomorrow_ds(_nodash)`;
- when the child has pendulum (same major version as ours): `logical_date,
  data_interval_start, data_interval_end, prev_data_interval_start_success,
  prev_data_interval_end_success, prev_start_date_success, prev_end_date_success` and the 2.x
  `execution_date, next_execution_date, prev_execution_date, prev_execution_date_success`;
- when riir_airflow (and pendulum) import there too: `params` (a plain dict), `dag_run` (a
  `DagRunSnapshot` of the run's attributes), `triggering_asset_events`,
  `triggering_dataset_events`.

Never passed (live objects): `ti`, `task_instance`, `dag`, `task`, `macros`, `conf`, `var`,
`conn`, `inlet_events`, `outlet_events`. Airflow's grouping is the same except that it also
passes `dag`, `task`, `macros` and `conf` when Airflow is installed in the child; a callable
naming a key that is not passed gets a warning in the task log.

`expect_airflow=True` puts this riir_airflow package on the child's PYTHONPATH (for the
virtualenv only without `system_site_packages`: with it the virtualenv sees the packages of
the task's own environment anyway).
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import sys
import tempfile
import types
import warnings
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from riir_airflow.providers.standard.operators.python import PythonOperator, determine_kwargs
from riir_airflow.providers.standard.utils import python_virtualenv as venv_utils
from riir_airflow.sdk.context import Context, context_merge
from riir_airflow.sdk.exceptions import AirflowException, AirflowSkipException
from riir_airflow.sdk.skipmixin import BranchMixIn

__all__ = [
    "BranchExternalPythonOperator",
    "BranchPythonVirtualenvOperator",
    "ExternalPythonOperator",
    "PythonVirtualenvOperator",
]

log = logging.getLogger("riir_airflow.task")

BASE_CONTEXT_KEYS = frozenset(
    {
        "ds",
        "ds_nodash",
        "expanded_ti_count",
        "inlets",
        "outlets",
        "run_id",
        "task_instance_key_str",
        "task_reschedule_count",
        "test_mode",
        "ts",
        "ts_nodash",
        "ts_nodash_with_tz",
        "partition_key",
        # Airflow 2.x keys
        "next_ds",
        "next_ds_nodash",
        "prev_ds",
        "prev_ds_nodash",
        "tomorrow_ds",
        "tomorrow_ds_nodash",
        "yesterday_ds",
        "yesterday_ds_nodash",
    }
)
PENDULUM_CONTEXT_KEYS = frozenset(
    {
        "data_interval_end",
        "data_interval_start",
        "logical_date",
        "prev_data_interval_end_success",
        "prev_data_interval_start_success",
        "prev_end_date_success",
        "prev_start_date_success",
        "partition_date",
        # Airflow 2.x keys
        "execution_date",
        "next_execution_date",
        "prev_execution_date",
        "prev_execution_date_success",
    }
)
RIIR_CONTEXT_KEYS = frozenset({"dag_run", "params", "triggering_asset_events", "triggering_dataset_events"})


def _skip_codes(value: int | Container[int] | None) -> Container[int]:
    if value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    return value


def _as_list(value: None | str | Iterable[str]) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return list(value)


class _BasePythonVirtualenvOperator(PythonOperator):
    """What both operators share: the script, the arguments, the child process, the result."""

    template_fields_renderers: ClassVar[dict[str, str]] = {
        **PythonOperator.template_fields_renderers,
        "requirements": "py",
    }

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        serializer: str | None = None,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        expect_airflow: bool = True,
        skip_on_exit_code: int | Container[int] | None = None,
        env_vars: dict[str, str] | None = None,
        inherit_env: bool = True,
        use_dill: bool = False,
        **kwargs: Any,
    ) -> None:
        name = type(self).__name__
        if not isinstance(python_callable, types.FunctionType) or python_callable.__name__ == "<lambda>":
            raise ValueError(f"{name} only supports functions for python_callable arg")
        if inspect.isgeneratorfunction(python_callable):
            raise ValueError(f"{name} does not support using 'yield' in python_callable")
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            **kwargs,
        )
        if use_dill:
            warnings.warn(
                "use_dill is deprecated, use serializer='dill' instead", DeprecationWarning, stacklevel=2
            )
            if serializer not in (None, "dill"):
                raise AirflowException(f"use_dill=True conflicts with serializer={serializer!r}")
            serializer = "dill"
        serializer = serializer or "pickle"
        if serializer not in venv_utils.SERIALIZERS:
            raise AirflowException(
                f"Unsupported serializer {serializer!r}. "
                f"Expected one of {', '.join(map(repr, venv_utils.SERIALIZERS))}"
            )
        self.serializer = serializer
        self.string_args = list(string_args or [])
        self.expect_airflow = expect_airflow
        self.skip_on_exit_code = _skip_codes(skip_on_exit_code)
        self.env_vars = env_vars
        self.inherit_env = inherit_env

    # -- what subclasses provide ------------------------------------------------------------

    @contextmanager
    def _interpreter(self) -> Iterator[Path]:
        """The python to run the script with (made and removed around the call if need be)."""
        raise NotImplementedError
        yield Path()  # pragma: no cover

    def _riir_on_path(self) -> bool:
        return self.expect_airflow

    # -- running ----------------------------------------------------------------------------

    def get_python_source(self) -> str:
        """The callable's source as the child runs it (dedented, task decorators removed)."""
        return venv_utils.callable_source(self.python_callable)[1]

    def _child_env(self, workdir: Path) -> dict[str, str]:
        env = dict(os.environ) if self.inherit_env else {}
        if self.env_vars:
            env.update({str(k): str(v) for k, v in self.env_vars.items()})
        if self._riir_on_path():
            venv_utils.prepend_path(env, "PYTHONPATH", os.fspath(venv_utils.riir_import_dir(workdir)))
        return env

    def _serializer_module(self) -> Any:
        try:
            return venv_utils.load_serializer(self.serializer)
        except ImportError as err:
            raise AirflowException(str(err)) from err

    @staticmethod
    def _context_keys(info: venv_utils.InterpreterInfo) -> frozenset[str]:
        keys = BASE_CONTEXT_KEYS
        if info.pendulum_compatible:
            keys |= PENDULUM_CONTEXT_KEYS
            if info.riir_airflow:
                keys |= RIIR_CONTEXT_KEYS
        return keys

    @staticmethod
    def _child_value(key: str, value: Any) -> Any:
        if key == "dag_run" and value is not None:
            return venv_utils.DagRunSnapshot.of(value)
        if key == "params" and isinstance(value, Mapping):
            return dict(value)
        return value

    def _warn_unavailable(self, context: Mapping[str, Any], passed: Mapping[str, Any]) -> None:
        named = inspect.signature(self.python_callable).parameters
        missing = sorted(
            name
            for name, param in named.items()
            if name in context
            and name not in passed
            and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
        )
        if missing:
            log.warning(
                "Context keys %s are not passed to %s (they cannot be rebuilt in the child interpreter)",
                missing,
                type(self).__name__,
            )

    def _check_major_version(self, info: venv_utils.InterpreterInfo) -> None:
        if info.version[0] != sys.version_info.major and (self.op_args or self.op_kwargs):
            raise AirflowException(
                f"Passing op_args or op_kwargs is not supported across different Python major versions "
                f"for {type(self).__name__}. Please use string_args. Sys version: {sys.version_info}. "
                f"Target version: {'.'.join(map(str, info.version))}"
            )

    def execute(self, context: Context) -> Any:
        serializer = self._serializer_module()
        with tempfile.TemporaryDirectory(prefix="venv-call") as tmp:
            workdir = Path(tmp)
            env = self._child_env(workdir)
            with self._interpreter() as python:
                try:
                    info = venv_utils.probe_interpreter(python, env)
                except RuntimeError as err:
                    raise AirflowException(str(err)) from err
                log.info("Running the callable with %s: %r", python, info)
                self._check_major_version(info)
                keys = self._context_keys(info)
                child_context: dict[str, Any] = {
                    k: self._child_value(k, v) for k, v in context.items() if k in keys
                }
                # Context values only reaching **kwargs may be dropped if they do not serialize.
                named = set(inspect.signature(self.python_callable).parameters)
                self._droppable = set(child_context) - set(self.op_kwargs) - named
                context_merge(child_context, self.op_kwargs, templates_dict=self.templates_dict)  # type: ignore[arg-type]
                self.op_kwargs = determine_kwargs(self.python_callable, self.op_args, child_context)
                self._warn_unavailable(context, self.op_kwargs)
                result = self._call(python, workdir, env, serializer)
        if self.show_return_value_in_logs:
            log.info("Done. Returned value was: %s", result)
        else:
            log.info("Done. Returned value not shown")
        return result

    def execute_callable(self) -> Any:
        """Run the callable with the current op_args / op_kwargs (no context added)."""
        serializer = self._serializer_module()
        with tempfile.TemporaryDirectory(prefix="venv-call") as tmp:
            workdir = Path(tmp)
            env = self._child_env(workdir)
            with self._interpreter() as python:
                return self._call(python, workdir, env, serializer)

    def _write_args(self, path: Path, serializer: Any) -> None:
        if not (self.op_args or self.op_kwargs):
            path.write_bytes(b"")
            return
        log.info("Use %r as serializer.", self.serializer)
        try:
            data = serializer.dumps({"args": list(self.op_args), "kwargs": dict(self.op_kwargs)})
        except Exception as err:
            bad = []
            for key, value in self.op_kwargs.items():
                try:
                    serializer.dumps(value)
                except Exception:  # noqa: BLE001 - we only collect the names here
                    bad.append(key)
            for index, value in enumerate(self.op_args):
                try:
                    serializer.dumps(value)
                except Exception:  # noqa: BLE001
                    bad.append(f"op_args[{index}]")
            droppable = getattr(self, "_droppable", set())
            if bad and all(key in droppable for key in bad):
                log.warning("Context keys %s cannot be serialized with %r: not passed", bad, self.serializer)
                self.op_kwargs = {k: v for k, v in self.op_kwargs.items() if k not in bad}
                self._droppable = set()
                self._write_args(path, serializer)
                return
            raise AirflowException(
                f"Cannot serialize the arguments with {self.serializer!r}: {bad or ''} {err}".strip()
            ) from err
        path.write_bytes(data)

    def _call(self, python: Path, workdir: Path, env: dict[str, str], serializer: Any) -> Any:
        name, source = venv_utils.callable_source(self.python_callable)
        script = workdir / "script.py"
        args_file = workdir / "script.in"
        result_file = workdir / "script.out"
        string_args_file = workdir / "string_args.txt"
        error_file = workdir / "termination.log"
        venv_utils.write_script(script, name, source, self.serializer, self.task_id)
        self._write_args(args_file, serializer)
        string_args_file.write_text("\n".join(map(str, self.string_args)))
        cmd = [python, script, args_file, result_file, string_args_file, error_file]
        code = venv_utils.run_python([os.fspath(c) for c in cmd], env=env)
        if code in self.skip_on_exit_code:
            raise AirflowSkipException(f"Process exited with code {code}. Skipping.")
        if code != 0:
            message = f"Process returned non-zero exit status {code}."
            if error_file.exists() and error_file.stat().st_size:
                message += "\n" + error_file.read_text()
            raise AirflowException(message)
        if not result_file.exists() or result_file.stat().st_size == 0:
            return None
        try:
            return serializer.loads(result_file.read_bytes())
        except Exception as err:
            raise AirflowException(
                f"Cannot deserialize the result of {name}() with {self.serializer!r}: {err!r}. "
                "Return values must be importable here (and results do not cross Python major versions)."
            ) from err


class PythonVirtualenvOperator(_BasePythonVirtualenvOperator):
    """Run a function in a virtualenv made for the task (and removed after, unless cached).

    `requirements`: a list of requirement strings, or (templated, `.txt`) a requirements file.
    The virtualenv is made with `uv` when it is on PATH (`[standard] venv_install_method`
    auto|uv|pip), else with `python -m venv` and pip, from the interpreter running the task
    when `python_version` is None or its version, else from `python<python_version>` on PATH.
    With `venv_cache_path` it is kept in `venv_cache_path/venv-<hash>` (hash of requirements,
    python version, system_site_packages, pip options, index urls, and the Variable
    `python_virtualenv_operator_cache_key`) and reused by later runs.
    """

    template_fields: Sequence[str] = (
        "requirements",
        "index_urls",
        "index_urls_from_connection_ids",
        "venv_cache_path",
        *PythonOperator.template_fields,
    )
    template_ext: Sequence[str] = (".txt",)

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        requirements: None | Iterable[str] | str = None,
        python_version: str | None = None,
        serializer: str | None = None,
        system_site_packages: bool = True,
        pip_install_options: list[str] | None = None,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        expect_airflow: bool = True,
        skip_on_exit_code: int | Container[int] | None = None,
        index_urls: None | Collection[str] | str = None,
        index_urls_from_connection_ids: None | Collection[str] | str = None,
        venv_cache_path: None | os.PathLike[str] | str = None,
        env_vars: dict[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        if python_version is not None and not isinstance(python_version, str):
            raise AirflowException("Passing non-string types (e.g. int or float) as python_version not supported")
        if python_version and python_version[0] != str(sys.version_info.major) and (op_args or op_kwargs):
            raise AirflowException(
                "Passing op_args or op_kwargs is not supported across different Python major versions "
                "for PythonVirtualenvOperator. Please use string_args. "
                f"Sys version: {sys.version_info}. Virtual environment version: {python_version}"
            )
        self.requirements: list[str] = _as_list(requirements) or []
        self.python_version = python_version
        self.system_site_packages = system_site_packages
        self.pip_install_options = list(pip_install_options or [])
        self.index_urls = _as_list(index_urls)
        self.index_urls_from_connection_ids = _as_list(index_urls_from_connection_ids)
        self.venv_cache_path = venv_cache_path
        super().__init__(
            python_callable=python_callable,
            serializer=serializer,
            op_args=op_args,
            op_kwargs=op_kwargs,
            string_args=string_args,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            expect_airflow=expect_airflow,
            skip_on_exit_code=skip_on_exit_code,
            env_vars=env_vars,
            inherit_env=inherit_env,
            **kwargs,
        )

    def _riir_on_path(self) -> bool:
        return self.expect_airflow and not self.system_site_packages

    def _requirements_list(self) -> list[str]:
        """The requirements to install, sorted (stable hash); the serializer added when the
        virtualenv cannot see ours."""
        requirements = [str(r) for r in self.requirements if str(r).strip()]
        if not self.system_site_packages and self.serializer in ("cloudpickle", "dill"):
            pattern = re.compile(rf"^\s*{self.serializer}(\W|$)", re.IGNORECASE)
            if not any(pattern.match(line) for r in requirements for line in r.splitlines()):
                requirements.append(self.serializer)
        return sorted(requirements)

    def _index_urls(self) -> list[str] | None:
        urls = list(self.index_urls) if self.index_urls is not None else None
        for conn_id in self.index_urls_from_connection_ids or []:
            urls = (urls or []) + [_package_index_url(conn_id)]
        return urls

    def _cache_data(self, python_bin: str, requirements: list[str], index_urls: list[str] | None) -> dict[str, Any]:
        try:
            from riir_airflow.sdk.variable import Variable

            cache_key = str(Variable.get("python_virtualenv_operator_cache_key", ""))
        except Exception:  # noqa: BLE001 - no store outside a run: no override key
            cache_key = ""
        return {
            "requirements": requirements,
            "pip_install_options": self.pip_install_options,
            "index_urls": index_urls,
            "python_version": self.python_version,
            "interpreter": _interpreter_version(python_bin),
            "system_site_packages": self.system_site_packages,
            "worker_prefix": sys.prefix if self.system_site_packages else None,
            "cache_key": cache_key,
        }

    @contextmanager
    def _interpreter(self) -> Iterator[Path]:
        requirements = self._requirements_list()
        index_urls = self._index_urls()
        try:
            python_bin = venv_utils.resolve_python_bin(self.python_version)
        except FileNotFoundError as err:
            raise AirflowException(str(err)) from err

        def build(venv_dir: Path) -> Path:
            requirements_file = None
            if requirements:
                requirements_file = venv_dir / "requirements.txt"
                requirements_file.write_text("\n".join(requirements) + "\n")
            try:
                return venv_utils.create_virtualenv(
                    venv_dir,
                    python_bin,
                    system_site_packages=self.system_site_packages,
                    requirements_file=requirements_file,
                    pip_install_options=self.pip_install_options,
                    index_urls=index_urls,
                )
            except (RuntimeError, OSError) as err:
                raise AirflowException(f"Unable to create new virtual environment in {venv_dir}: {err}") from err

        if self.venv_cache_path:
            data = self._cache_data(python_bin, requirements, index_urls)
            venv_dir = venv_utils.cached_virtualenv(Path(os.fspath(self.venv_cache_path)), data, build)
            yield venv_utils.venv_python(venv_dir)
            return
        with tempfile.TemporaryDirectory(prefix="venv") as tmp:
            yield build(Path(tmp))


class BranchPythonVirtualenvOperator(PythonVirtualenvOperator, BranchMixIn):
    """PythonVirtualenvOperator whose callable returns the task id(s) to follow."""

    def execute(self, context: Context) -> Any:
        return self.do_branch(context, super().execute(context))


class ExternalPythonOperator(_BasePythonVirtualenvOperator):
    """Run a function with an existing interpreter (`python`: absolute path, e.g. of a
    virtualenv's `bin/python`), used as is."""

    template_fields: Sequence[str] = ("python", *PythonOperator.template_fields)

    def __init__(
        self,
        *,
        python: str,
        python_callable: Callable[..., Any],
        serializer: str | None = None,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: Sequence[str] | None = None,
        expect_airflow: bool = True,
        expect_pendulum: bool = False,
        skip_on_exit_code: int | Container[int] | None = None,
        env_vars: dict[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        if not python:
            raise ValueError("Python Path must be defined in ExternalPythonOperator")
        self.python = python
        self.expect_pendulum = expect_pendulum
        super().__init__(
            python_callable=python_callable,
            serializer=serializer,
            op_args=op_args,
            op_kwargs=op_kwargs,
            string_args=string_args,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            expect_airflow=expect_airflow,
            skip_on_exit_code=skip_on_exit_code,
            env_vars=env_vars,
            inherit_env=inherit_env,
            **kwargs,
        )

    @contextmanager
    def _interpreter(self) -> Iterator[Path]:
        path = Path(self.python)
        if not path.exists():
            raise ValueError(f"Python Path '{path}' must exists")
        if not path.is_file():
            raise ValueError(f"Python Path '{path}' must be a file")
        if not path.is_absolute():
            raise ValueError(f"Python Path '{path}' must be an absolute path.")
        yield path

    def _context_keys(self, info: venv_utils.InterpreterInfo) -> frozenset[str]:  # type: ignore[override]
        if self.expect_pendulum and not info.pendulum_compatible:
            log.warning(
                "pendulum is not importable by %s (or has another major version): the date context "
                "keys are not passed",
                self.python,
            )
        return _BasePythonVirtualenvOperator._context_keys(info)


class BranchExternalPythonOperator(ExternalPythonOperator, BranchMixIn):
    """ExternalPythonOperator whose callable returns the task id(s) to follow."""

    def execute(self, context: Context) -> Any:
        return self.do_branch(context, super().execute(context))


def _interpreter_version(python_bin: str) -> str:
    if python_bin == sys.executable:
        return sys.version
    import subprocess

    try:
        out = subprocess.run(
            [python_bin, "-c", "import sys; print(sys.version)"],
            capture_output=True, text=True, timeout=60, check=True,
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise AirflowException(f"Cannot run {python_bin}: {err}") from err
    return out.stdout.strip()


def _package_index_url(conn_id: str) -> str:
    """The index URL of a `package_index` connection: its host, with login:password@ in it."""
    from urllib.parse import quote, urlsplit, urlunsplit

    from riir_airflow.sdk.hooks import BaseHook

    conn = BaseHook.get_connection(conn_id)
    if not conn.host:
        raise AirflowException(f"Connection {conn_id!r}: the index URL (host) is missing")
    if not conn.login:
        return conn.host
    parts = urlsplit(conn.host)
    auth = quote(conn.login, safe="") + (f":{quote(conn.password, safe='')}" if conn.password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{parts.netloc}"))
