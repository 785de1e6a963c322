"""`BackfillGate`: which queued backfill runs the DAG app may start now.

The broker creates every run of a backfill up front (queued, run_type backfill) and keeps the
backfill's settings; the app starts them as Airflow's scheduler does (`_start_queued_dagruns`):
- a backfill's runs start in backfill order (its run ids are listed in sort-ordinal order: oldest
  first, newest first for a backwards backfill);
- at most the backfill's `max_active_runs` of them run at once; the DAG's own `max_active_runs`
  neither bounds nor counts them;
- a paused backfill starts none (runs already running go on); a paused DAG starts none either
  (the scheduler's rule for every queued run);
- the first run of a backfill passes depends_on_past (`first_in_backfill`).

Queued runs that belong to no active backfill are the scheduler's ordinary business.

The gate asks the broker (`POST /internal/v1/backfills/active`) for the DAG's active backfills
only while the DAG has queued backfill runs, at most once per scheduler tick. A store that is
not the broker's (tests with a local store) has no backfills: every run is ordinary.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.wire.backfills import ActiveBackfill, ActiveBackfills, ActiveBackfillsRequest

__all__ = ["BackfillGate", "BackfillStarts", "backfill_starts", "broker_fetch"]

Fetch = Callable[[str], list[ActiveBackfill]]


@dataclass
class BackfillStarts:
    """The gate's verdict for one DAG."""

    members: set[str] = field(default_factory=set)
    """Run ids of the DAG's active backfills: not the scheduler's ordinary queued runs."""
    start: list[tuple[str, bool]] = field(default_factory=list)
    """(run_id, first_in_backfill) to start now, in order."""


def backfill_starts(
    backfills: Sequence[ActiveBackfill], queued: Collection[str], busy: Collection[str]
) -> BackfillStarts:
    """The backfill runs among `queued` to start now, given the runs `busy` (running or being
    driven); see the module docstring for the rules."""
    verdict = BackfillStarts()
    for backfill in backfills:
        verdict.members.update(backfill.run_ids)
        if backfill.is_paused:
            continue
        room = backfill.max_active_runs - sum(1 for run_id in backfill.run_ids if run_id in busy)
        for ordinal, run_id in enumerate(backfill.run_ids, start=1):
            if room <= 0:
                break
            if run_id in queued and run_id not in busy:
                verdict.start.append((run_id, ordinal == 1))
                room -= 1
    return verdict


def broker_fetch(store: Any) -> Fetch | None:
    """The broker call behind the gate, for a `BrokerStore`; None for any other store."""
    http = getattr(store, "_http", None)  # BrokerStore's connection (the app's one broker client)
    if http is None:
        return None

    def fetch(dag_id: str) -> list[ActiveBackfill]:
        answer = http.exchange(
            "POST", "/internal/v1/backfills/active", ActiveBackfillsRequest(dag_id), ActiveBackfills
        )
        return answer.backfills if answer is not None else []

    return fetch


class BackfillGate:
    """Asks the broker for the active backfills and applies `backfill_starts` (thread: the
    scheduler's)."""

    def __init__(self, fetch: Fetch | None) -> None:
        self.fetch = fetch

    def starts(self, dag_id: str, queued: Collection[str], busy: Collection[str]) -> BackfillStarts:
        """The verdict for `dag_id`'s queued backfill runs (`queued`: their ids; none asks nothing)."""
        if self.fetch is None or not queued:
            return BackfillStarts()
        return backfill_starts(self.fetch(dag_id), queued, busy)
