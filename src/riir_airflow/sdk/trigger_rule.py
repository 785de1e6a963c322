"""Trigger rules: when a task may run given its direct upstreams' terminal states.

The semantics live in `riir_airflow.engine.trigger_rules`; this module only names them.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["TriggerRule"]


class TriggerRule(str, Enum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALL_SKIPPED = "all_skipped"
    ALWAYS = "always"
    # Airflow 2.x aliases, still accepted from 2.x-spelled DAG files.
    DUMMY = "dummy"
    NONE_FAILED_OR_SKIPPED = "none_failed_or_skipped"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def is_valid(cls, value: str) -> bool:
        return value in cls.all_triggers()

    @classmethod
    def all_triggers(cls) -> set[str]:
        return {member.value for member in cls}

    @classmethod
    def canonical(cls, value: str | TriggerRule) -> TriggerRule:
        """The rule a value means, with the 2.x aliases resolved; ValueError if unknown."""
        try:
            rule = cls(value)
        except ValueError:
            raise ValueError(
                f"The trigger_rule must be one of {sorted(cls.all_triggers())}, got {value!r}"
            ) from None
        return {cls.DUMMY: cls.ALWAYS, cls.NONE_FAILED_OR_SKIPPED: cls.NONE_FAILED_MIN_ONE_SUCCESS}.get(rule, rule)
