"""Jinja rendering of templated fields, as Airflow renders them.

Only attributes named in an operator's `template_fields` are rendered, right before execute.
Strings are templates, except a string ending in one of the operator's `template_ext`, which
names a template *file* looked up in the DAG's folder and then `template_searchpath`.
Containers are rendered item by item; objects with their own `template_fields` are rendered
in place; objects with `resolve(context)` (XComArgs, DagParams) are resolved; `literal(x)`
passes through untouched. The environment is sandboxed unless the DAG (or task) asks for
native rendering, where `"{{ [1, 2] }}"` becomes a list.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

    from riir_airflow.sdk.dag import DAG

__all__ = ["FILTERS", "LiteralValue", "literal", "render_value", "template_env_for"]


def _ds(value: datetime.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value is not None else None


def _ds_nodash(value: datetime.datetime | None) -> str | None:
    return value.strftime("%Y%m%d") if value is not None else None


def _ts(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ts_nodash(value: datetime.datetime | None) -> str | None:
    return value.strftime("%Y%m%dT%H%M%S") if value is not None else None


def _ts_nodash_with_tz(value: datetime.datetime | None) -> str | None:
    return value.isoformat().replace("-", "").replace(":", "") if value is not None else None


FILTERS = {
    "ds": _ds,
    "ds_nodash": _ds_nodash,
    "ts": _ts,
    "ts_nodash": _ts_nodash,
    "ts_nodash_with_tz": _ts_nodash_with_tz,
}


class LiteralValue:
    """A value wrapped with `literal(...)`: rendering returns it unchanged."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"literal({self.value!r})"


def literal(value: Any) -> LiteralValue:
    """Mark a value so templating leaves it alone (e.g. a string that contains `{{`)."""
    return LiteralValue(value)


def _environment_classes() -> tuple[type, type]:
    import jinja2.nativetypes
    import jinja2.sandbox

    class SandboxedEnvironment(jinja2.sandbox.SandboxedEnvironment):
        def is_safe_callable(self, obj: Any) -> bool:
            # Airflow lets templates call any callable they can reach (macros, ti methods).
            return True

    class NativeEnvironment(jinja2.nativetypes.NativeEnvironment):
        pass

    return SandboxedEnvironment, NativeEnvironment


def template_env_for(dag: DAG | None, *, native: bool = False) -> jinja2.Environment:
    """The Jinja environment for a DAG's templates (cached on the DAG, one per mode)."""
    cache = getattr(dag, "_riir_template_envs", None) if dag is not None else None
    if cache is not None and native in cache:
        return cache[native]

    import jinja2

    sandboxed_cls, native_cls = _environment_classes()
    searchpath: list[str] = []
    if dag is not None:
        searchpath.append(dag.folder or ".")
        searchpath.extend(dag.template_searchpath or [])
    kwargs: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader(searchpath or ["."]),
        "undefined": (dag.template_undefined if dag is not None else None) or jinja2.StrictUndefined,
        "extensions": ["jinja2.ext.do"],
        "cache_size": 0,
    }
    if dag is not None and dag.jinja_environment_kwargs:
        kwargs.update(dag.jinja_environment_kwargs)
    env = (native_cls if native else sandboxed_cls)(**kwargs)
    env.filters.update(FILTERS)
    if dag is not None:
        if dag.user_defined_macros:
            env.globals.update(dag.user_defined_macros)
        if dag.user_defined_filters:
            env.filters.update(dag.user_defined_filters)
        if cache is None:
            cache = {}
            dag._riir_template_envs = cache  # type: ignore[attr-defined]
        cache[native] = env
    return env


def render_value(
    value: Any,
    context: Any,
    env: jinja2.Environment,
    *,
    template_ext: Sequence[str] = (),
    _seen: set[int] | None = None,
) -> Any:
    """Render one templated value (recursively) against a task context."""
    if isinstance(value, str):
        if template_ext and value.endswith(tuple(template_ext)):
            template = env.get_template(value)
        else:
            template = env.from_string(value)
        return template.render(context)
    if isinstance(value, LiteralValue):
        return value.value
    resolve = getattr(value, "resolve", None)
    if resolve is not None and callable(resolve) and not isinstance(value, type):
        return resolve(context)
    if isinstance(value, tuple):
        items = [render_value(v, context, env, template_ext=template_ext, _seen=_seen) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [render_value(v, context, env, template_ext=template_ext, _seen=_seen) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, context, env, template_ext=template_ext, _seen=_seen) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return type(value)(render_value(v, context, env, template_ext=template_ext, _seen=_seen) for v in value)
    nested_fields = getattr(type(value), "template_fields", None)
    if nested_fields and not isinstance(value, type):
        _seen = _seen if _seen is not None else set()
        if id(value) not in _seen:
            _seen.add(id(value))
            nested_ext = getattr(type(value), "template_ext", ())
            for field in nested_fields:
                rendered = render_value(getattr(value, field), context, env, template_ext=nested_ext, _seen=_seen)
                setattr(value, field, rendered)
    return value
