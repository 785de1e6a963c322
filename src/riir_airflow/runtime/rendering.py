"""Rendering a task's templated fields and recording what they rendered to.

Rendered values are kept as text, as Airflow records them (RenderedTaskInstanceFields): a
string as is, anything else as sorted JSON after normalising (sets -> sorted lists, tuples ->
lists, dict keys -> strings, other objects -> `str()`), values under sensitive keys
(`password`, `api_key`, ...) and registered secrets shown as `***`, and anything longer than
`[core] max_templated_field_length` truncated with Airflow's notice.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
from typing import TYPE_CHECKING, Any

from riir_airflow.sdk.masking import is_sensitive_key, redact

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.context import Context

__all__ = ["copy_for_rendering", "render_task", "rendered_fields_of", "rendered_text"]

log = logging.getLogger("riir_airflow.runtime")

TRUNCATED_NOTICE = "Truncated. You can change this behaviour in [core]max_templated_field_length. "


@functools.cache
def _max_length() -> int:
    from riir_airflow.compat.config import conf

    return conf.getint("core", "max_templated_field_length", fallback=4096)


def _hide_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _hide_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide_all(v) for v in value]
    return "***"


def _normalize(value: Any) -> Any:
    """JSON-shaped data with sorted keys, as the rendered-field record keeps it."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        out = {}
        for key in sorted(value, key=str):
            item = _normalize(value[key])
            out[str(key)] = _hide_all(item) if is_sensitive_key(str(key)) else item
        return out
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_normalize(v) for v in value), key=repr)
    return str(value)


def rendered_text(value: Any, field: str = "") -> str:
    normalized = _normalize(value)
    if field and is_sensitive_key(field):
        normalized = _hide_all(normalized)
    text = normalized if isinstance(normalized, str) else str(normalized)
    limit = _max_length()
    if len(text) > limit:
        return redact(TRUNCATED_NOTICE + text[: limit - len(TRUNCATED_NOTICE) - 3] + "...")
    if isinstance(normalized, str):
        return redact(normalized)
    return redact(json.dumps(normalized, sort_keys=True))


def rendered_fields_of(task: BaseOperator) -> dict[str, str]:
    return {field: rendered_text(getattr(task, field, None), field) for field in task.template_fields}


def _graph_memo(task: BaseOperator) -> dict[int, Any]:
    """A deepcopy memo that maps the DAG, its tasks and groups to themselves, so copying a
    templated value that holds an XComArg or DagParam does not copy the whole graph."""
    memo: dict[int, Any] = {id(task): task}
    dag = getattr(task, "_dag", None)
    if dag is not None:
        memo[id(dag)] = dag
        memo[id(dag.task_group)] = dag.task_group
        for other in dag.task_dict.values():
            memo[id(other)] = other
        for group in dag.task_group_dict.values():
            memo[id(group)] = group
    return memo


def copy_for_rendering(task: BaseOperator) -> BaseOperator:
    """The copy of `task` one try renders and executes: its templated values are deep copies,
    because rendering updates nested objects that have `template_fields` in place. Without
    this, a try (or a later run in the same process) would see the values an earlier try
    rendered instead of the templates, and the DAG definition itself would change. A value
    that cannot be deep-copied is shared, as before."""
    work = copy.copy(task)
    memo = _graph_memo(task)
    for field in task.template_fields:
        value = getattr(task, field, None)
        if value is None or isinstance(value, (str, bytes, int, float, bool)):
            continue
        try:
            setattr(work, field, copy.deepcopy(value, memo))
        except Exception:  # noqa: BLE001 - an uncopyable value is rendered in place, as before
            log.debug("Templated field %s of %s cannot be copied; rendering it in place", field, task)
    return work


def render_task(task: BaseOperator, context: Context) -> dict[str, str]:
    """Render the task's templated fields in place; return them as text."""
    task.render_template_fields(context)
    return rendered_fields_of(task)
