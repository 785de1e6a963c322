"""`backfill_starts`: which queued backfill runs the DAG app starts now (pure)."""

from __future__ import annotations

from riir_airflow.runtime.app.backfills import BackfillGate, backfill_starts
from riir_airflow.wire.backfills import ActiveBackfill

RUNS = ["r1", "r2", "r3", "r4"]


def backfill(max_active_runs: int = 2, *, paused: bool = False, run_ids: list[str] = RUNS) -> ActiveBackfill:
    return ActiveBackfill(
        id=1, dag_id="d", is_paused=paused, max_active_runs=max_active_runs, run_ids=run_ids
    )


def test_starts_queued_runs_in_backfill_order_up_to_max_active_runs_and_passes_the_first_one_s_past():
    verdict = backfill_starts([backfill(2)], queued=set(RUNS), busy=set())
    assert verdict.start == [("r1", True), ("r2", False)]
    assert verdict.members == set(RUNS)


def test_running_runs_of_the_backfill_use_up_its_room():
    assert backfill_starts([backfill(2)], queued={"r3", "r4"}, busy={"r1"}).start == [("r3", False)]
    assert backfill_starts([backfill(2)], queued={"r3", "r4"}, busy={"r1", "r2"}).start == []
    assert backfill_starts([backfill(2)], queued={"r3", "r4"}, busy={"other"}).start == [
        ("r3", False),
        ("r4", False),
    ]


def test_a_paused_backfill_starts_nothing_but_still_claims_its_runs():
    verdict = backfill_starts([backfill(paused=True)], queued=set(RUNS), busy=set())
    assert verdict.start == [] and verdict.members == set(RUNS)


def test_a_gate_without_a_broker_asks_nothing_and_claims_nothing():
    assert BackfillGate(None).starts("d", {"r1"}, set()).members == set()
    asked: list[str] = []
    gate = BackfillGate(lambda dag_id: asked.append(dag_id) or [backfill(1)])
    assert gate.starts("d", set(), set()).start == [] and asked == []  # no queued backfill run: no call
    assert gate.starts("d", {"r2"}, set()).start == [("r2", False)] and asked == ["d"]
