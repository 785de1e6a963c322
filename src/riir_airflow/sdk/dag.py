"""The DAG: a named graph of tasks plus the settings that say when and how it runs.

All three authoring styles build the same object: `with DAG(...)`, `dag = DAG(...)` with
`dag=dag` on operators, and the `@dag` decorator. Defaults follow Airflow 3 for every import
path (docs/decisions/0002-airflow3-semantics.md): `schedule=None`, `catchup=False` (both
configurable as in Airflow), cron strings -> CronTriggerTimetable.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import os
import re
import sys
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self

from riir_airflow.sdk.exceptions import AirflowDagCycleException, DuplicateTaskIdFound
from riir_airflow.sdk.taskgroup import TaskGroup

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.timetables.base import Timetable

__all__ = ["DAG", "DagContext", "dag"]

_ID_RE = re.compile(r"^[\w.-]+$")
_NOTSET: Any = object()
_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def validate_key(key: str, what: str = "dag_id", max_length: int = 250) -> None:
    if not isinstance(key, str):
        raise TypeError(f"The {what} {key!r} must be a string")
    if len(key) > max_length:
        raise ValueError(f"The {what} {key!r} has to be less than {max_length} characters")
    if not _ID_RE.match(key):
        raise ValueError(
            f"The {what} {key!r} has to be made of alphanumeric characters, dashes, dots and underscores exclusively"
        )


def _caller_file() -> str:
    """The first file on the stack outside riir_airflow: where the user defined the DAG."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_SDK_DIR) and not filename.startswith("<frozen"):
            return filename
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _as_callbacks(value: Any) -> list[Callable[..., Any]]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


class DAG:
    """A directed acyclic graph of tasks with its schedule and run settings."""

    def __init__(
        self,
        dag_id: str,
        description: str | None = None,
        schedule: Any = _NOTSET,
        *,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        default_args: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        catchup: bool | None = None,
        max_active_runs: int | None = None,
        max_active_tasks: int | None = None,
        max_consecutive_failed_dag_runs: int | None = None,
        dagrun_timeout: datetime.timedelta | None = None,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        doc_md: str | None = None,
        tags: Collection[str] | None = None,
        template_searchpath: str | Iterable[str] | None = None,
        template_undefined: type | None = None,
        user_defined_macros: dict[str, Any] | None = None,
        user_defined_filters: dict[str, Callable[..., Any]] | None = None,
        render_template_as_native_obj: bool = False,
        jinja_environment_kwargs: dict[str, Any] | None = None,
        is_paused_upon_creation: bool | None = None,
        fail_fast: bool = False,
        owner_links: dict[str, str] | None = None,
        access_control: dict[str, Any] | None = None,
        dag_display_name: str | None = None,
        auto_register: bool = True,
        sla_miss_callback: Any = None,
        deadline: Any = None,
        allowed_run_types: Any = None,
        disable_bundle_versioning: bool = False,
        rerun_with_latest_version: bool | None = None,
        # Airflow 2.x spellings, accepted so 2.x DAG files load unchanged.
        schedule_interval: Any = _NOTSET,
        timetable: Any = None,
        concurrency: int | None = None,
        fail_stop: bool | None = None,
        default_view: str | None = None,
        orientation: str | None = None,
        full_filepath: str | None = None,
    ) -> None:
        from riir_airflow.compat.config import conf
        from riir_airflow.sdk.params import ParamsDict
        from riir_airflow.sdk.timezone import coerce_datetime, default_timezone

        validate_key(dag_id)
        self.dag_id = dag_id
        self.description = description
        self.default_args: dict[str, Any] = dict(default_args or {})
        self.fileloc = full_filepath or _caller_file()

        start_date = start_date if start_date is not None else self.default_args.get("start_date")
        end_date = end_date if end_date is not None else self.default_args.get("end_date")
        self.start_date = coerce_datetime(start_date) if start_date is not None else None
        self.end_date = coerce_datetime(end_date) if end_date is not None else None
        self.timezone = self.start_date.timezone if self.start_date is not None else default_timezone()

        if schedule is _NOTSET:
            schedule = schedule_interval if schedule_interval is not _NOTSET else timetable
        self.schedule = schedule
        self.timetable: Timetable = self._make_timetable(schedule, conf)

        self.catchup = conf.getboolean("scheduler", "catchup_by_default") if catchup is None else catchup
        self.max_active_runs = (
            conf.getint("core", "max_active_runs_per_dag") if max_active_runs is None else max_active_runs
        )
        if concurrency is not None and max_active_tasks is None:
            max_active_tasks = concurrency
        self.max_active_tasks = (
            conf.getint("core", "max_active_tasks_per_dag") if max_active_tasks is None else max_active_tasks
        )
        self.max_consecutive_failed_dag_runs = max_consecutive_failed_dag_runs or 0
        self.dagrun_timeout = dagrun_timeout
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.sla_miss_callback = sla_miss_callback
        self.doc_md = self._read_doc_md(doc_md)
        self.tags: set[str] = set(tags or ())
        if isinstance(template_searchpath, str):
            template_searchpath = [template_searchpath]
        self.template_searchpath: list[str] | None = (
            list(template_searchpath) if template_searchpath is not None else None
        )
        self.template_undefined = template_undefined
        self.user_defined_macros = user_defined_macros
        self.user_defined_filters = user_defined_filters
        self.render_template_as_native_obj = render_template_as_native_obj
        self.jinja_environment_kwargs = jinja_environment_kwargs
        self.is_paused_upon_creation = is_paused_upon_creation
        self.fail_fast = bool(fail_fast or fail_stop)
        self.owner_links = dict(owner_links or {})
        self.access_control = access_control
        self.dag_display_name = dag_display_name or dag_id
        self.auto_register = auto_register
        self.deadline = deadline
        self.allowed_run_types = allowed_run_types
        self.disable_bundle_versioning = disable_bundle_versioning
        self.rerun_with_latest_version = rerun_with_latest_version
        self.default_view = default_view
        self.orientation = orientation

        self.params = ParamsDict(self.default_args.pop("params", None) or {})
        if params:
            self.params.update(params)
        self.params.validate_defaults()

        self.task_dict: dict[str, BaseOperator] = {}
        self.task_group_dict: dict[str, TaskGroup] = {}
        self.task_group = TaskGroup(None, dag=self)
        self.edge_info: dict[str, dict[str, dict[str, Any]]] = {}
        self.partial = False
        self._task_group_stack: list[TaskGroup] = []

    # -- construction helpers ---------------------------------------------------------------
    def _make_timetable(self, schedule: Any, conf: Any) -> Timetable:
        from riir_airflow.sdk.timetables.schedule import timetable_from_schedule

        return timetable_from_schedule(
            schedule,
            timezone=self.timezone,
            create_cron_data_intervals=conf.getboolean("scheduler", "create_cron_data_intervals"),
            # None: follow create_cron_data_intervals, as Airflow 3.3 does for timedeltas.
            create_delta_data_intervals=None,
        )

    def _read_doc_md(self, doc_md: str | None) -> str | None:
        if doc_md and doc_md.endswith(".md"):
            try:
                with open(doc_md, encoding="utf-8") as f:
                    return f.read()
            except OSError:
                return doc_md
        return doc_md

    # -- the graph ----------------------------------------------------------------------------
    @property
    def folder(self) -> str:
        return os.path.dirname(self.fileloc)

    @property
    def tasks(self) -> list[BaseOperator]:
        return list(self.task_dict.values())

    @property
    def task_ids(self) -> list[str]:
        return list(self.task_dict)

    @property
    def roots(self) -> list[BaseOperator]:
        return [t for t in self.task_dict.values() if not t.upstream_task_ids]

    @property
    def leaves(self) -> list[BaseOperator]:
        return [t for t in self.task_dict.values() if not t.downstream_task_ids]

    @property
    def owner(self) -> str:
        return ", ".join(sorted({t.owner for t in self.task_dict.values()}))

    def has_task(self, task_id: str) -> bool:
        return task_id in self.task_dict

    def get_task(self, task_id: str) -> BaseOperator:
        try:
            return self.task_dict[task_id]
        except KeyError:
            from riir_airflow.sdk.exceptions import AirflowException

            raise AirflowException(f"Task {task_id} not found") from None

    def add_task(self, task: BaseOperator) -> None:
        """Register a task (called by the operator itself when it gets its DAG)."""
        if task.task_id in self.task_dict and self.task_dict[task.task_id] is not task:
            raise DuplicateTaskIdFound(f"Task id '{task.task_id}' has already been added to the DAG")
        self.task_dict[task.task_id] = task

    def add_tasks(self, tasks: Iterable[BaseOperator]) -> None:
        for task in tasks:
            task.dag = self

    def set_edge_info(self, upstream_task_id: str, downstream_task_id: str, info: dict[str, Any]) -> None:
        self.edge_info.setdefault(upstream_task_id, {})[downstream_task_id] = info

    def get_edge_info(self, upstream_task_id: str, downstream_task_id: str) -> dict[str, Any]:
        return self.edge_info.get(upstream_task_id, {}).get(downstream_task_id, {})

    def topological_order(self) -> list[BaseOperator]:
        """Tasks ordered so every task comes after its upstreams (definition order breaks ties)."""
        self.check_cycle()
        order: list[BaseOperator] = []
        remaining = {tid: set(t.upstream_task_ids) for tid, t in self.task_dict.items()}
        while remaining:
            ready = [tid for tid, ups in remaining.items() if not ups]
            for tid in ready:
                order.append(self.task_dict[tid])
                del remaining[tid]
            for ups in remaining.values():
                ups.difference_update(ready)
        return order

    def check_cycle(self) -> None:
        """Raise AirflowDagCycleException naming a task on a cycle, if there is one."""
        visiting, done = set(), set()
        for start in self.task_dict:
            if start in done:
                continue
            stack: list[tuple[str, Iterable[str]]] = [
                (start, iter(sorted(self.task_dict[start].downstream_task_ids)))
            ]
            visiting.add(start)
            while stack:
                node, children = stack[-1]
                for child in children:
                    if child in visiting:
                        raise AirflowDagCycleException(
                            f"Cycle detected in DAG: {self.dag_id}. Faulty task: {child}"
                        )
                    if child not in done:
                        visiting.add(child)
                        stack.append((child, iter(sorted(self.task_dict[child].downstream_task_ids))))
                        break
                else:
                    stack.pop()
                    visiting.discard(node)
                    done.add(node)

    def validate(self) -> None:
        """What Airflow checks when it loads a DAG (see sdk/dag_validation.py)."""
        from riir_airflow.sdk.dag_validation import validate_dag

        validate_dag(self)

    # -- templating ---------------------------------------------------------------------------
    def get_template_env(self, *, force_sandboxed: bool = False) -> Any:
        from riir_airflow.sdk.templating import template_env_for

        return template_env_for(self, native=self.render_template_as_native_obj and not force_sandboxed)

    def param(self, name: str, default: Any = _NOTSET) -> Any:
        from riir_airflow.sdk.params import DagParam

        if default is _NOTSET:
            return DagParam(current_dag=self, name=name)
        return DagParam(current_dag=self, name=name, default=default)

    # -- running --------------------------------------------------------------------------------
    def test(
        self,
        run_after: datetime.datetime | None = None,
        logical_date: Any = _NOTSET,
        run_conf: dict[str, Any] | None = None,
        conn_file_path: str | None = None,
        variable_file_path: str | None = None,
        use_executor: bool = False,
        mark_success_pattern: Any = None,
        execution_date: datetime.datetime | None = None,
    ) -> Any:
        """Run one manual DAG run in this process against the local store (as `dags test`)."""
        from riir_airflow.runtime.local import test_dag

        if logical_date is _NOTSET and execution_date is not None:
            logical_date = execution_date
        return test_dag(
            self,
            logical_date=None if logical_date is _NOTSET else logical_date,
            logical_date_given=logical_date is not _NOTSET,
            run_after=run_after,
            conf=run_conf,
            conn_file_path=conn_file_path,
            variable_file_path=variable_file_path,
            mark_success_pattern=mark_success_pattern,
        )

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self) -> Self:
        DagContext.push(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DagContext.pop()
        if self.auto_register and exc[0] is None:
            DagContext.autoregistered.append(self)

    def __repr__(self) -> str:
        return f"<DAG: {self.dag_id}>"

    def __hash__(self) -> int:
        return hash(self.dag_id)

    def __eq__(self, other: object) -> bool:
        return self is other


class DagContext:
    """The stack of DAGs open in `with` blocks, and DAGs registered without a module variable."""

    _stack: ClassVar[list[DAG]] = []
    autoregistered: ClassVar[list[DAG]] = []

    @classmethod
    def push(cls, dag: DAG) -> None:
        cls._stack.append(dag)

    @classmethod
    def pop(cls) -> DAG | None:
        return cls._stack.pop() if cls._stack else None

    @classmethod
    def current(cls) -> DAG | None:
        return cls._stack[-1] if cls._stack else None


def dag(dag_id: str | Callable[..., Any] = "", **dag_kwargs: Any) -> Any:
    """`@dag` / `@dag(...)`: the decorated function's body defines the tasks.

    The function's parameters become DAG params (their defaults are the params' defaults),
    and calling the function returns the DAG. The function name is the default dag_id.
    """

    def wrapper(f: Callable[..., Any]) -> Callable[..., DAG]:
        @functools.wraps(f)
        def factory(*args: Any, **kwargs: Any) -> DAG:
            from riir_airflow.sdk.params import Param

            sig = inspect.signature(f).bind_partial(*args, **kwargs)
            sig.apply_defaults()
            params = dict(dag_kwargs.get("params") or {})
            for name, value in sig.arguments.items():
                if name in params or sig.signature.parameters[name].kind in (
                    inspect.Parameter.VAR_POSITIONAL,
                    inspect.Parameter.VAR_KEYWORD,
                ):
                    continue
                params[name] = value if isinstance(value, Param) else Param(value)
            kw = {**dag_kwargs, "params": params}
            kw.setdefault("full_filepath", inspect.getsourcefile(f) or "")
            if "doc_md" not in kw and f.__doc__:
                kw["doc_md"] = f.__doc__.strip()  # as Airflow: the docstring is the DAG's docs
            with DAG(dag_id or f.__name__, **kw) as the_dag:
                # The function sees DagParams so `{{ params.x }}`-style values resolve per run.
                call_kwargs = {
                    name: the_dag.param(name)
                    for name, p in sig.signature.parameters.items()
                    if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
                }
                f(**call_kwargs)
            return the_dag

        return factory

    if callable(dag_id):
        f, dag_id = dag_id, ""
        return wrapper(f)
    return wrapper
