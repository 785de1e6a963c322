"""TaskFlow: `@task`, `@task.<kind>`, `@setup`, `@teardown`, `@task_group`.

`@task` turns a function into a task factory: each call inside a DAG creates a task (its id is
the function name, suffixed `__1`, `__2` on reuse) and returns an XComArg for its result.
XComArgs passed as arguments become upstream dependencies and are resolved at run time.
The `@task.<kind>` variants are looked up in a registry so that importing the SDK loads none
of the operator modules until a DAG uses them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

from riir_airflow.sdk.baseoperator import BaseOperator
from riir_airflow.sdk.dag import DagContext
from riir_airflow.sdk.mappedoperator import OperatorPartial, is_unmapping
from riir_airflow.sdk.taskgroup import TaskGroup, TaskGroupContext
from riir_airflow.sdk.xcom_arg import XComArg, iter_xcom_args

__all__ = [
    "DecoratedOperator",
    "TaskDecorator",
    "get_unique_task_id",
    "setup",
    "task",
    "task_decorator_factory",
    "task_group",
    "teardown",
]

# The context keys a TaskFlow function may take as parameters without them being passed.
KNOWN_CONTEXT_KEYS = frozenset(
    [
        "conf",
        "conn",
        "dag",
        "dag_run",
        "data_interval_end",
        "data_interval_start",
        "ds",
        "ds_nodash",
        "execution_date",
        "expanded_ti_count",
        "exception",
        "inlets",
        "inlet_events",
        "logical_date",
        "macros",
        "map_index_template",
        "next_ds",
        "next_ds_nodash",
        "next_execution_date",
        "outlets",
        "outlet_events",
        "params",
        "prev_data_interval_start_success",
        "prev_data_interval_end_success",
        "prev_ds",
        "prev_ds_nodash",
        "prev_execution_date",
        "prev_execution_date_success",
        "prev_start_date_success",
        "prev_end_date_success",
        "reason",
        "run_id",
        "task",
        "task_instance",
        "task_instance_key_str",
        "test_mode",
        "templates_dict",
        "ti",
        "tomorrow_ds",
        "tomorrow_ds_nodash",
        "triggering_asset_events",
        "triggering_dataset_events",
        "ts",
        "ts_nodash",
        "ts_nodash_with_tz",
        "try_number",
        "var",
        "yesterday_ds",
        "yesterday_ds_nodash",
        "task_reschedule_count",
    ]
)


def get_unique_task_id(task_id: str, dag: Any = None, task_group: TaskGroup | None = None) -> str:
    """`task_id`, or `task_id__N` with the next free N when the DAG already has that id."""
    dag = dag or DagContext.current()
    if dag is None:
        return task_id
    group = task_group or TaskGroupContext.current()
    full = group.child_id(task_id) if group is not None else task_id
    if full not in dag.task_dict:
        return task_id
    core = re.split(r"__\d+$", task_id)[0]
    pattern = re.compile(rf"^{re.escape(group.child_id(core) if group else core)}__(\d+)$")
    suffixes = [int(m.group(1)) for tid in dag.task_dict if (m := pattern.match(tid))]
    return f"{core}__{max(suffixes, default=0) + 1}"


def infer_multiple_outputs(function: Callable[..., Any]) -> bool:
    """True when the function's return annotation is a Mapping type (`-> dict[str, int]`)."""
    try:
        import typing

        return_type = typing.get_type_hints(function).get("return")
    except (NameError, TypeError, AttributeError):  # unresolvable annotations: not a Mapping
        return False
    origin = getattr(return_type, "__origin__", return_type)
    return inspect.isclass(origin) and issubclass(origin, Mapping)


class DecoratedOperator(BaseOperator):
    """Base of operators built from a TaskFlow function (mixed into the concrete operator)."""

    custom_operator_name: str = "@task"

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        task_id: str,
        op_args: Any = None,
        op_kwargs: dict[str, Any] | None = None,
        multiple_outputs: bool = False,
        kwargs_to_upstream: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        op_args = tuple(op_args or ())
        op_kwargs = dict(op_kwargs or {})
        self._check_signature(python_callable, op_args, op_kwargs)
        task_id = get_unique_task_id(task_id, kwargs.get("dag"), kwargs.get("task_group"))
        super().__init__(
            task_id=task_id, multiple_outputs=multiple_outputs, **(kwargs_to_upstream or {}), **kwargs
        )
        self.python_callable = python_callable
        self.op_args = op_args
        self.op_kwargs = op_kwargs
        if is_unmapping():
            return
        for arg in iter_xcom_args([op_args, op_kwargs]):
            for operator, _ in arg.iter_references():
                self.set_upstream(operator)

    @staticmethod
    def _check_signature(fn: Callable[..., Any], op_args: tuple[Any, ...], op_kwargs: dict[str, Any]) -> None:
        signature = inspect.signature(fn)
        bound = signature.bind_partial(*op_args, **op_kwargs)
        missing = [
            name
            for name, p in signature.parameters.items()
            if name not in bound.arguments
            and p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and name not in KNOWN_CONTEXT_KEYS
        ]
        if missing:
            raise TypeError(f"{fn.__name__}() missing required argument(s): {', '.join(missing)}")


class TaskDecorator:
    """What `@task` returns: call it to add a task; `.override(...)` to change operator args."""

    def __init__(
        self,
        function: Callable[..., Any],
        operator_class: type[BaseOperator],
        multiple_outputs: bool | None = None,
        kwargs: dict[str, Any] | None = None,
        on_create: Callable[[BaseOperator], None] | None = None,
    ) -> None:
        self.function = function
        self.operator_class = operator_class
        self.multiple_outputs = (
            infer_multiple_outputs(function) if multiple_outputs is None else multiple_outputs
        )
        self.kwargs = dict(kwargs or {})
        self.on_create = on_create
        functools.update_wrapper(self, function)

    def __call__(self, *args: Any, **kwargs: Any) -> XComArg:
        op_kwargs = {**self.kwargs}
        op_kwargs.setdefault("task_id", self.function.__name__)
        operator = self.operator_class(
            python_callable=self.function,
            op_args=args,
            op_kwargs=kwargs,
            multiple_outputs=self.multiple_outputs,
            **op_kwargs,
        )
        if self.on_create is not None:
            self.on_create(operator)
        return XComArg(operator)

    def override(self, **kwargs: Any) -> TaskDecorator:
        multiple_outputs = kwargs.pop("multiple_outputs", self.multiple_outputs)
        return TaskDecorator(
            self.function, self.operator_class, multiple_outputs, {**self.kwargs, **kwargs}, self.on_create
        )

    def partial(self, **kwargs: Any) -> OperatorPartial:
        """Fix some of the function's arguments; `.expand(...)` maps over the others."""
        op_kwargs = {**self.kwargs}
        task_id = get_unique_task_id(op_kwargs.pop("task_id", self.function.__name__), op_kwargs.get("dag"), op_kwargs.get("task_group"))
        return OperatorPartial(
            self.operator_class,
            {
                "task_id": task_id,
                "python_callable": self.function,
                "op_args": (),
                "op_kwargs": kwargs,
                "multiple_outputs": self.multiple_outputs,
                **op_kwargs,
            },
            mapped_into="op_kwargs",
        )

    def expand(self, **mapped_kwargs: Any) -> XComArg:
        return self.partial().expand(**mapped_kwargs)

    def expand_kwargs(self, kwargs: Any) -> XComArg:
        return self.partial().expand_kwargs(kwargs)


def task_decorator_factory(
    python_callable: Callable[..., Any] | None = None,
    *,
    decorated_operator_class: type[BaseOperator],
    multiple_outputs: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Build `@x` / `@x(...)` for a decorated operator class (what `@task.<kind>` uses)."""

    def wrap(fn: Callable[..., Any]) -> TaskDecorator:
        return TaskDecorator(fn, decorated_operator_class, multiple_outputs, kwargs)

    return wrap(python_callable) if python_callable is not None else wrap


# name -> (module, factory) for `@task.<name>`; imported on first use.
_TASK_KINDS: dict[str, tuple[str, str]] = {
    "python": ("riir_airflow.providers.standard.decorators.python", "python_task"),
    "bash": ("riir_airflow.providers.standard.decorators.bash", "bash_task"),
    "branch": ("riir_airflow.providers.standard.decorators.branch_python", "branch_task"),
    "short_circuit": ("riir_airflow.providers.standard.decorators.short_circuit", "short_circuit_task"),
    "sensor": ("riir_airflow.providers.standard.decorators.sensor", "sensor_task"),
    "virtualenv": ("riir_airflow.providers.standard.decorators.python_virtualenv", "virtualenv_task"),
    "external_python": ("riir_airflow.providers.standard.decorators.external_python", "external_python_task"),
    "branch_virtualenv": ("riir_airflow.providers.standard.decorators.branch_virtualenv", "branch_virtualenv_task"),
    "branch_external_python": (
        "riir_airflow.providers.standard.decorators.branch_external_python",
        "branch_external_python_task",
    ),
}


class TaskDecoratorCollection:
    """`task`: `@task`, `@task()`, `@task(...)` and `@task.bash`, `@task.branch`, ..."""

    def __call__(self, python_callable: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        return self.python(python_callable, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            module, attr = _TASK_KINDS[name]
        except KeyError:
            raise AttributeError(f"task decorator {name!r} not found") from None
        factory = getattr(importlib.import_module(module), attr)
        setattr(self, name, factory)
        return factory


task = TaskDecoratorCollection()


def setup(func: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """`@setup`: a TaskFlow task marked as a setup task."""

    def wrap(fn: Callable[..., Any]) -> TaskDecorator:
        decorator = task.python(fn, **kwargs) if not isinstance(fn, TaskDecorator) else fn
        decorator.on_create = lambda op: op.as_setup() and None
        return decorator

    return wrap(func) if func is not None else wrap


def teardown(
    func: Callable[..., Any] | None = None, *, on_failure_fail_dagrun: bool = False, **kwargs: Any
) -> Any:
    """`@teardown`: a TaskFlow task marked as a teardown task."""

    def wrap(fn: Callable[..., Any]) -> TaskDecorator:
        decorator = task.python(fn, **kwargs) if not isinstance(fn, TaskDecorator) else fn
        decorator.on_create = lambda op: (
            op.as_teardown(on_failure_fail_dagrun=on_failure_fail_dagrun) and None
        )
        return decorator

    return wrap(func) if func is not None else wrap


class TaskGroupDecorator:
    """What `@task_group` returns: each call creates a TaskGroup and runs the function in it."""

    def __init__(
        self, function: Callable[..., Any], partial_kwargs: dict[str, Any] | None = None, **tg_kwargs: Any
    ) -> None:
        self.function = function
        self.tg_kwargs = tg_kwargs
        self.partial_kwargs = dict(partial_kwargs or {})
        functools.update_wrapper(self, function)

    def _group_kwargs(self) -> dict[str, Any]:
        tg_kwargs = dict(self.tg_kwargs)
        tg_kwargs.setdefault("group_id", self.function.__name__)
        tg_kwargs.setdefault("add_suffix_on_collision", True)
        if self.function.__doc__ and "tooltip" not in tg_kwargs:
            tg_kwargs["tooltip"] = self.function.__doc__
        return tg_kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with TaskGroup(**self._group_kwargs()) as group:
            result = self.function(*args, **{**self.partial_kwargs, **kwargs})
        # A function that returns a task (or XComArg) lets callers link to that task;
        # otherwise the whole group is the node.
        return result if result is not None else group

    def override(self, **kwargs: Any) -> TaskGroupDecorator:
        return TaskGroupDecorator(self.function, self.partial_kwargs, **{**self.tg_kwargs, **kwargs})

    # -- mapped task groups -------------------------------------------------------------------
    def partial(self, **kwargs: Any) -> TaskGroupDecorator:
        """Fix some of the function's arguments; `.expand(...)` maps the group over the rest."""
        return TaskGroupDecorator(self.function, {**self.partial_kwargs, **kwargs}, **self.tg_kwargs)

    def expand(self, **mapped_kwargs: Any) -> Any:
        from riir_airflow.sdk.expandinput import DictOfListsExpandInput

        return self._expand(DictOfListsExpandInput(dict(mapped_kwargs)), list(mapped_kwargs))

    def expand_kwargs(self, kwargs: Any) -> Any:
        from riir_airflow.sdk.expandinput import ListOfDictsExpandInput

        names = [n for n in inspect.signature(self.function).parameters if n not in self.partial_kwargs]
        return self._expand(ListOfDictsExpandInput(kwargs), names)

    def _expand(self, expand_input: Any, names: list[str]) -> Any:
        """Every task of the group runs once per map index; the function's mapped arguments
        are placeholders that resolve, per instance, to that index's values."""
        from riir_airflow.sdk.mappedtaskgroup import MappedArgument, MappedTaskGroup

        with MappedTaskGroup(expand_input=expand_input, **self._group_kwargs()) as group:
            arguments = {name: MappedArgument(group, name) for name in names}
            result = self.function(**{**self.partial_kwargs, **arguments})
        group.wire_input_dependencies()
        return result if result is not None else group


def task_group(python_callable: Callable[..., Any] | None = None, **tg_kwargs: Any) -> Any:
    """`@task_group` / `@task_group(group_id=..., ...)`."""
    if python_callable is not None and callable(python_callable):
        return TaskGroupDecorator(python_callable, **tg_kwargs)
    if python_callable is not None:
        tg_kwargs["group_id"] = python_callable
    return lambda fn: TaskGroupDecorator(fn, **tg_kwargs)
