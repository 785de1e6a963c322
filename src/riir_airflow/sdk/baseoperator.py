"""BaseOperator: one node of a DAG, and the class every operator derives from.

`default_args` are applied the way Airflow applies them: a subclass's `__init__` is wrapped so
that any of its keyword parameters not passed explicitly is taken from the merged default_args
(DAG's, then enclosing TaskGroups', then the `default_args=` argument). Keys matching no
parameter are ignored; unknown explicit keyword arguments are a TypeError.
"""

from __future__ import annotations

import datetime
import functools
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from riir_airflow.sdk.dag import DAG, DagContext, validate_key
from riir_airflow.sdk.dependencies import chain, chain_linear, cross_downstream
from riir_airflow.sdk.node import TaskNode
from riir_airflow.sdk.taskgroup import TaskGroup, TaskGroupContext
from riir_airflow.sdk.trigger_rule import TriggerRule

if TYPE_CHECKING:
    from riir_airflow.sdk.context import Context
    from riir_airflow.sdk.mappedoperator import OperatorPartial

__all__ = ["BaseOperator", "chain", "chain_linear", "cross_downstream", "operator_defaults"]


@functools.cache
def operator_defaults() -> dict[str, Any]:
    """Operator defaults that come from configuration, read once per process."""
    from riir_airflow.compat.config import conf

    timeout = conf.get("core", "default_task_execution_timeout", fallback="")
    return {
        "owner": conf.get("operators", "default_owner", fallback="airflow"),
        "retries": conf.getint("core", "default_task_retries", fallback=0),
        "retry_delay": datetime.timedelta(
            seconds=conf.getfloat("core", "default_task_retry_delay", fallback=300)
        ),
        "max_retry_delay_cap": datetime.timedelta(
            seconds=conf.getfloat("core", "max_task_retry_delay", fallback=86400)
        ),
        "execution_timeout": datetime.timedelta(seconds=int(timeout)) if timeout else None,
        "weight_rule": conf.get("core", "default_task_weight_rule", fallback="downstream"),
        "queue": conf.get("operators", "default_queue", fallback="default"),
    }


def _merged_default_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    dag = kwargs.get("dag") or DagContext.current()
    group = kwargs.get("task_group") or TaskGroupContext.current()
    merged: dict[str, Any] = {}
    if dag is not None:
        merged.update(dag.default_args)
    if group is not None:
        merged.update(group.default_args)
    merged.update(kwargs.get("default_args") or {})
    return merged


def _apply_defaults(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap an operator `__init__` so missing keyword arguments come from default_args."""
    sig = inspect.signature(init)
    names = {
        name
        for name, p in sig.parameters.items()
        if name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }
    passes_default_args = "default_args" in names or any(
        p.kind is p.VAR_KEYWORD for p in sig.parameters.values()
    )

    @functools.wraps(init)
    def wrapper(self: BaseOperator, *args: Any, **kwargs: Any) -> None:
        if args:
            raise TypeError(f"Use keyword arguments when initializing operators ({type(self).__name__})")
        default_args = _merged_default_args(kwargs)
        for name in names:
            if name not in kwargs and name in default_args and name != "default_args":
                kwargs[name] = default_args[name]
        if passes_default_args:
            kwargs["default_args"] = default_args
        init(self, **kwargs)
        if type(self).__init__ is wrapper:  # the outermost __init__ has finished
            self._set_xcomargs_dependencies()

    wrapper.__riir_apply_defaults__ = True  # type: ignore[attr-defined]
    return wrapper


def is_unmapping() -> bool:
    from riir_airflow.sdk.mappedoperator import is_unmapping as unmapping_now

    return unmapping_now()


def _as_timedelta(value: Any) -> datetime.timedelta | None:
    if value is None or isinstance(value, datetime.timedelta):
        return value
    return datetime.timedelta(seconds=float(value))


class BaseOperator(TaskNode):
    """A task template: subclass and implement `execute(context)`."""

    template_fields: ClassVar[Sequence[str]] = ()
    template_ext: ClassVar[Sequence[str]] = ()
    template_fields_renderers: ClassVar[dict[str, str]] = {}
    ui_color: str = "#fff"
    ui_fgcolor: str = "#000"
    operator_extra_links: ClassVar[Sequence[Any]] = ()
    shallow_copy_attrs: ClassVar[Sequence[str]] = ()
    # EmptyOperator sets this: the runner may mark such tasks success without executing them.
    inherits_from_empty_operator: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "__riir_apply_defaults__", False):
            cls.__init__ = _apply_defaults(init)  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        task_id: str,
        owner: str | None = None,
        email: str | Iterable[str] | None = None,
        email_on_retry: bool = True,
        email_on_failure: bool = True,
        retries: int | None = None,
        retry_delay: datetime.timedelta | float | None = None,
        retry_exponential_backoff: float | bool = 0,
        max_retry_delay: datetime.timedelta | float | None = None,
        start_date: datetime.datetime | None = None,
        end_date: datetime.datetime | None = None,
        depends_on_past: bool = False,
        ignore_first_depends_on_past: bool = False,
        wait_for_past_depends_before_skipping: bool = False,
        wait_for_downstream: bool = False,
        dag: DAG | None = None,
        params: dict[str, Any] | None = None,
        default_args: dict[str, Any] | None = None,
        priority_weight: int = 1,
        weight_rule: str | None = None,
        queue: str | None = None,
        pool: str | None = None,
        pool_slots: int = 1,
        sla: datetime.timedelta | None = None,
        execution_timeout: datetime.timedelta | float | None = None,
        on_execute_callback: Any = None,
        on_failure_callback: Any = None,
        on_success_callback: Any = None,
        on_retry_callback: Any = None,
        on_skipped_callback: Any = None,
        pre_execute: Callable[..., Any] | None = None,
        post_execute: Callable[..., Any] | None = None,
        trigger_rule: str = TriggerRule.ALL_SUCCESS,
        resources: dict[str, Any] | None = None,
        run_as_user: str | None = None,
        map_index_template: str | None = None,
        max_active_tis_per_dag: int | None = None,
        max_active_tis_per_dagrun: int | None = None,
        executor: str | None = None,
        executor_config: dict[str, Any] | None = None,
        do_xcom_push: bool = True,
        multiple_outputs: bool = False,
        inlets: Any = None,
        outlets: Any = None,
        task_group: TaskGroup | None = None,
        doc: str | None = None,
        doc_md: str | None = None,
        doc_json: str | None = None,
        doc_yaml: str | None = None,
        doc_rst: str | None = None,
        task_display_name: str | None = None,
        logger_name: str | None = None,
        allow_nested_operators: bool = True,
        render_template_as_native_obj: bool | None = None,
        retry_policy: Any = None,
        # Airflow 2.x spellings accepted so 2.x files load: an alias, and a no-op.
        task_concurrency: int | None = None,
        provide_context: bool | None = None,
    ) -> None:
        from riir_airflow.sdk.params import ParamsDict

        defaults = operator_defaults()
        validate_key(task_id, "task_id")
        self._user_task_id = task_id
        self.owner = owner or defaults["owner"]
        self.email = email
        self.email_on_retry = email_on_retry
        self.email_on_failure = email_on_failure
        self.retries = defaults["retries"] if retries is None else int(retries)
        self.retry_delay = _as_timedelta(retry_delay) if retry_delay is not None else defaults["retry_delay"]
        self.retry_exponential_backoff = retry_exponential_backoff
        self.max_retry_delay = _as_timedelta(max_retry_delay)
        self.start_date = start_date
        self.end_date = end_date
        self.depends_on_past = depends_on_past or wait_for_downstream
        self.ignore_first_depends_on_past = ignore_first_depends_on_past
        self.wait_for_past_depends_before_skipping = wait_for_past_depends_before_skipping
        self.wait_for_downstream = wait_for_downstream
        self.params = ParamsDict(params or {})
        if not isinstance(priority_weight, int) or isinstance(priority_weight, bool):
            raise TypeError(f"`priority_weight` for task '{task_id}' only accepts integers, received '{type(priority_weight)}'.")
        if pool_slots < 1:
            raise ValueError(f"pool slots for {task_id} in dag cannot be less than 1")
        from riir_airflow.sdk.weight_rule import WeightRule

        weight_rule = weight_rule or defaults["weight_rule"]
        if not WeightRule.is_valid(str(weight_rule)):
            raise ValueError(f"Unknown priority strategy {weight_rule!r} for task {task_id!r}")
        self.priority_weight = priority_weight
        self.weight_rule = str(weight_rule)
        self.queue = queue or defaults["queue"]
        self.pool = pool or "default_pool"
        self.pool_slots = pool_slots
        self.sla = sla
        self.execution_timeout = (
            _as_timedelta(execution_timeout)
            if execution_timeout is not None
            else defaults["execution_timeout"]
        )
        self.on_execute_callback = on_execute_callback
        self.on_failure_callback = on_failure_callback
        self.on_success_callback = on_success_callback
        self.on_retry_callback = on_retry_callback
        self.on_skipped_callback = on_skipped_callback
        self._pre_execute_hook = pre_execute
        self._post_execute_hook = post_execute
        self.trigger_rule = TriggerRule.canonical(trigger_rule)
        self.resources = resources
        self.run_as_user = run_as_user
        self.map_index_template = map_index_template
        self.max_active_tis_per_dag = (
            max_active_tis_per_dag if max_active_tis_per_dag is not None else task_concurrency
        )
        self.max_active_tis_per_dagrun = max_active_tis_per_dagrun
        self.executor = executor
        self.executor_config = executor_config or {}
        self.do_xcom_push = do_xcom_push
        self.multiple_outputs = multiple_outputs
        self.inlets = list(inlets) if isinstance(inlets, (list, tuple)) else ([inlets] if inlets else [])
        self.outlets = list(outlets) if isinstance(outlets, (list, tuple)) else ([outlets] if outlets else [])
        self.doc, self.doc_md, self.doc_json, self.doc_yaml, self.doc_rst = (
            doc,
            doc_md,
            doc_json,
            doc_yaml,
            doc_rst,
        )
        self.task_display_name = task_display_name
        self.logger_name = logger_name
        self.allow_nested_operators = allow_nested_operators
        self.render_template_as_native_obj = render_template_as_native_obj
        self.retry_policy = retry_policy
        self.is_setup = False
        self.is_teardown = False
        self.on_failure_fail_dagrun = False

        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self._dag: DAG | None = None
        if is_unmapping():  # an instance of a mapped task: the MappedOperator is the DAG's node
            self.task_group = None
            self.task_id = task_id
            return
        group = task_group or TaskGroupContext.current()
        dag = dag or DagContext.current() or (group.dag if group else None)
        if group is not None and dag is not None and group.dag is not dag:
            group = None
        self.task_group: TaskGroup | None = group
        self.task_id = group.child_id(task_id) if group is not None else task_id
        if dag is not None:
            self.dag = dag

    @classmethod
    def partial(cls, **kwargs: Any) -> OperatorPartial:
        """Fix some arguments; `.expand(...)` / `.expand_kwargs(...)` then maps over the rest."""
        from riir_airflow.sdk.mappedoperator import OperatorPartial

        return OperatorPartial(cls, kwargs)

    @property
    def task_type(self) -> str:
        return type(self).__name__

    @property
    def operator_name(self) -> str:
        return getattr(self, "custom_operator_name", None) or type(self).__name__

    # -- relationships ------------------------------------------------------------------------
    def _set_xcomargs_dependencies(self) -> None:
        """XComArgs inside templated fields make their producing tasks upstream (as in Airflow)."""
        from riir_airflow.sdk.xcom_arg import iter_xcom_args

        if is_unmapping():
            return
        for field in self.template_fields:
            for arg in iter_xcom_args(getattr(self, field, None)):
                for operator, _ in arg.iter_references():
                    self.set_upstream(operator)

    # -- setup / teardown ---------------------------------------------------------------------
    def as_setup(self) -> BaseOperator:
        if self.is_teardown:
            raise ValueError(f"Cannot mark task '{self.task_id}' as setup; task is already a teardown.")
        self.is_setup = True
        return self

    def as_teardown(self, *, setups: Any = None, on_failure_fail_dagrun: bool | None = None) -> BaseOperator:
        if self.is_setup:
            raise ValueError(f"Cannot mark task '{self.task_id}' as teardown; task is already a setup.")
        self.is_teardown = True
        self.trigger_rule = TriggerRule.ALL_DONE_SETUP_SUCCESS
        if on_failure_fail_dagrun is not None:
            self.on_failure_fail_dagrun = on_failure_fail_dagrun
        if setups is not None:
            setup_nodes = setups if isinstance(setups, (list, tuple)) else [setups]
            for s in setup_nodes:
                for task in s.leaves if hasattr(s, "leaves") else [s]:
                    task = task if isinstance(task, BaseOperator) else task.operator
                    task.is_setup = True
                    task.set_downstream(self)
        return self

    # -- running ------------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    def pre_execute(self, context: Context) -> None:
        if self._pre_execute_hook is not None:
            self._pre_execute_hook(context)

    def post_execute(self, context: Context, result: Any = None) -> None:
        if self._post_execute_hook is not None:
            self._post_execute_hook(context, result)

    def on_kill(self) -> None:
        """Called when the task is killed; override to clean up external work."""

    def defer(
        self,
        *,
        trigger: Any,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: datetime.timedelta | float | None = None,
    ) -> None:
        from riir_airflow.sdk.exceptions import TaskDeferred

        raise TaskDeferred(trigger=trigger, method_name=method_name, kwargs=kwargs, timeout=timeout)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        return getattr(self, next_method)(context, **(next_kwargs or {}))

    # -- templating ---------------------------------------------------------------------------
    def get_template_env(self, dag: DAG | None = None) -> Any:
        from riir_airflow.sdk.templating import template_env_for

        dag = dag or self._dag
        native = self.render_template_as_native_obj
        if native is None:
            native = bool(dag and dag.render_template_as_native_obj)
        return template_env_for(dag, native=native)

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        """Render every attribute named in `template_fields` in place (on the running copy)."""
        from riir_airflow.sdk.templating import render_value

        env = jinja_env or self.get_template_env()
        for field in self.template_fields:
            value = getattr(self, field)
            setattr(self, field, render_value(value, context, env, template_ext=self.template_ext))

    def render_template(
        self, content: Any, context: Context, jinja_env: Any = None, seen_oids: set[int] | None = None
    ) -> Any:
        from riir_airflow.sdk.templating import render_value

        return render_value(
            content, context, jinja_env or self.get_template_env(), template_ext=self.template_ext
        )

    # -- 2.x-style XCom helpers ---------------------------------------------------------------
    def xcom_push(self, context: Context, key: str, value: Any) -> None:
        context["ti"].xcom_push(key=key, value=value)

    def xcom_pull(
        self,
        context: Context,
        task_ids: Any = None,
        dag_id: str | None = None,
        key: str = "return_value",
        include_prior_dates: bool = False,
    ) -> Any:
        return context["ti"].xcom_pull(
            task_ids=task_ids, dag_id=dag_id, key=key, include_prior_dates=include_prior_dates
        )

    def __repr__(self) -> str:
        return f"<Task({type(self).__name__}): {self.task_id}>"


BaseOperator.__init__ = _apply_defaults(BaseOperator.__init__)  # type: ignore[method-assign]
