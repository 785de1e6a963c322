"""Rendering a task's templated fields and recording what they rendered to.

Rendered values are kept as text, the way the store and the UI show them: a string as is,
anything else as sorted JSON (None -> "null", tuples -> lists), matching what Airflow records
for the same fields.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riir_airflow.sdk.baseoperator import BaseOperator
    from riir_airflow.sdk.context import Context

__all__ = ["rendered_text", "render_task", "rendered_fields_of"]


def rendered_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def rendered_fields_of(task: "BaseOperator") -> dict[str, str]:
    return {field: rendered_text(getattr(task, field, None)) for field in task.template_fields}


def render_task(task: "BaseOperator", context: "Context") -> dict[str, str]:
    """Render the task's templated fields in place; return them as text."""
    task.render_template_fields(context)
    return rendered_fields_of(task)
