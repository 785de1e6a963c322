"""How a task's effective priority is computed from the weights around it."""

from __future__ import annotations

from enum import Enum

__all__ = ["WeightRule"]


class WeightRule(str, Enum):
    DOWNSTREAM = "downstream"  # own weight + every downstream task's (the default)
    UPSTREAM = "upstream"  # own weight + every upstream task's
    ABSOLUTE = "absolute"  # own weight only

    def __str__(self) -> str:
        return self.value

    @classmethod
    def is_valid(cls, weight_rule: str) -> bool:
        return weight_rule in {r.value for r in cls}

    @classmethod
    def all_weight_rules(cls) -> set[str]:
        return {r.value for r in cls}
