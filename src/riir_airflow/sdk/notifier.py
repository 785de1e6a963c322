"""BaseNotifier: a reusable callback (e.g. `on_failure_callback=SlackNotifier(...)`).

Subclass, list templated attributes in `template_fields` and implement `notify(context)`. When
called as a callback the notifier renders its templated fields against the task's (or DAG
run's) context first, so messages can use `{{ ti.task_id }}`, `{{ ds }}`, ... A notifier that
fails is logged and does not change the task's state.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

__all__ = ["BaseNotifier"]

log = logging.getLogger("riir_airflow.task")


class BaseNotifier:
    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()

    def notify(self, context: dict[str, Any]) -> None:
        raise NotImplementedError

    def render_template_fields(self, context: dict[str, Any], jinja_env: Any = None) -> None:
        from riir_airflow.sdk.templating import render_value, template_env_for

        env = jinja_env or template_env_for(context.get("dag"))
        for field in self.template_fields:
            setattr(self, field, render_value(getattr(self, field), context, env, template_ext=self.template_ext))

    def __call__(self, *args: Any) -> None:
        context = args[0] if len(args) == 1 else {"dag": args[0] if args else None}
        rendered = copy.copy(self)  # one notifier object may serve many tasks
        try:
            rendered.render_template_fields(context)
            rendered.notify(context)
        except Exception:
            log.exception("Failed to send notification with %s", type(self).__name__)
