"""Messages of the pool-slot calls an app makes before and after running a try.

`POST /internal/v1/pools/acquire` (PoolSlots -> PoolSlotsAnswer: granted or not) and
`POST /internal/v1/pools/release` (PoolSlots -> PoolSlotsAnswer: whether it held any).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PoolSlots", "PoolSlotsAnswer"]


@dataclass(slots=True)
class PoolSlots:
    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    pool: str = "default_pool"
    slots: int = 1


@dataclass(slots=True)
class PoolSlotsAnswer:
    ok: bool
