"""Trigger rules: may a task run, given the terminal states of its upstream task instances?

This is a transcription of Airflow 3.3's `TriggerRuleDep` in scheduler mode
("flag upstream failed"), where a rule does not only say "not yet" but may also decide the
task's fate (skipped / upstream_failed) without running it. Every rule of spec table 4.2 is
here, including the asymmetries that real DAGs depend on:

- `all_success` flags **upstream_failed** when any upstream failed/upstream_failed, else
  **skipped** when any upstream skipped (this is why a branch's `join` is skipped);
- `one_success`/`one_failed`/`one_done` fire as soon as one upstream qualifies, and are only
  flagged once every upstream is done;
- `none_failed_min_one_success` is skipped only when *all* upstreams are skipped;
- `all_done_min_one_success` (3.1+) treats a skipped upstream as "never done": it is flagged
  skipped at once;
- `all_done_setup_success` (teardowns) waits for everything and runs if no setup is upstream
  or at least one upstream setup succeeded.

Counting (spec 4.1): `UpstreamCounts` holds how many upstream *task instances* (a mapped
upstream contributes each relevant instance) are in each terminal state, the total number of
upstream instances, and the same numbers restricted to upstream setup tasks. Unfinished
upstreams are simply not counted in any state, so `done < total` means "still waiting".

The functions are pure and total: any rule value, including the 2.x aliases `dummy` (always)
and `none_failed_or_skipped` (none_failed_min_one_success), is accepted; an unknown rule is a
ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from riir_airflow.sdk.state import TaskInstanceState
from riir_airflow.sdk.trigger_rule import TriggerRule as TR

__all__ = [
    "RUN",
    "SET",
    "WAIT",
    "UpstreamCounts",
    "Verdict",
    "VerdictKind",
    "evaluate",
    "evaluate_setup_constraint",
]

_S = TaskInstanceState


@dataclass(frozen=True, slots=True)
class UpstreamCounts:
    """Terminal-state counts over a task instance's upstream task instances.

    `total` is the number of upstream instances (finished or not); `setup_total`,
    `setup_success` and `setup_skipped` count only instances of setup tasks and are included in
    the general counts (two skipped upstreams of which one is a setup: skipped=2,
    setup_skipped=1). `done` is the sum of the five terminal states.
    """

    total: int
    success: int = 0
    skipped: int = 0
    failed: int = 0
    upstream_failed: int = 0
    removed: int = 0
    setup_total: int = 0
    setup_success: int = 0
    setup_skipped: int = 0

    def __post_init__(self) -> None:
        if min(self.total, self.success, self.skipped, self.failed, self.upstream_failed, self.removed) < 0:
            raise ValueError(f"negative count in {self}")
        if self.done > self.total:
            raise ValueError(f"more finished upstreams than upstreams in {self}")
        if self.setup_success + self.setup_skipped > self.setup_total:
            raise ValueError(f"more finished setups than setups in {self}")

    @property
    def done(self) -> int:
        return self.success + self.skipped + self.failed + self.upstream_failed + self.removed

    @classmethod
    def count(cls, upstreams: Iterable[tuple[TaskInstanceState | str | None, bool]]) -> UpstreamCounts:
        """Counts from `(state, is_setup)` pairs, one per upstream task instance."""
        tally = {s: 0 for s in (_S.SUCCESS, _S.SKIPPED, _S.FAILED, _S.UPSTREAM_FAILED, _S.REMOVED)}
        total = setup_total = setup_success = setup_skipped = 0
        for raw_state, is_setup in upstreams:
            state = _S.NONE if raw_state is None else _S(raw_state)
            total += 1
            if state in tally:
                tally[state] += 1
            if is_setup:
                setup_total += 1
                setup_success += state is _S.SUCCESS
                setup_skipped += state is _S.SKIPPED
        return cls(
            total=total,
            success=tally[_S.SUCCESS],
            skipped=tally[_S.SKIPPED],
            failed=tally[_S.FAILED],
            upstream_failed=tally[_S.UPSTREAM_FAILED],
            removed=tally[_S.REMOVED],
            setup_total=setup_total,
            setup_success=setup_success,
            setup_skipped=setup_skipped,
        )


class VerdictKind(str, Enum):
    RUN = "run"
    """The dependency is met: the task may run now."""
    WAIT = "wait"
    """Not yet: some upstream has to finish (or, for a few rules, can never satisfy it)."""
    SET = "set"
    """The engine sets the task to `Verdict.state` without running it."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a trigger rule says about one task instance. `reason` is for humans only."""

    kind: VerdictKind
    state: TaskInstanceState | None = None
    reason: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if (self.kind is VerdictKind.SET) != (self.state is not None):
            raise ValueError("a SET verdict needs a state, and only a SET verdict has one")

    def __repr__(self) -> str:
        if self.kind is VerdictKind.SET:
            return f"SET({self.state.value})"  # type: ignore[union-attr]
        return self.kind.name


RUN = Verdict(VerdictKind.RUN)
WAIT = Verdict(VerdictKind.WAIT)


def SET(state: TaskInstanceState, reason: str = "") -> Verdict:
    """A verdict that sets the task instance to `state` (skipped, upstream_failed or removed)."""
    return Verdict(VerdictKind.SET, TaskInstanceState(state), reason)


def _run(reason: str) -> Verdict:
    return Verdict(VerdictKind.RUN, None, reason)


def _wait(reason: str) -> Verdict:
    return Verdict(VerdictKind.WAIT, None, reason)


def _flag(rule: TR, c: UpstreamCounts, map_index: int) -> TaskInstanceState | None:
    """The state the scheduler sets the task to, if any (Airflow's flag_upstream_failed branch)."""
    up_done = c.done >= c.total
    if rule is TR.ALL_SUCCESS:
        if c.upstream_failed or c.failed:
            return _S.UPSTREAM_FAILED
        if c.skipped:
            return _S.SKIPPED
        # A mapped instance whose index is beyond what its (partly removed) upstream produced.
        if c.removed and c.success and map_index > -1 and map_index >= c.success:
            return _S.REMOVED
    elif rule is TR.ALL_FAILED:
        if c.success or c.skipped:
            return _S.SKIPPED
    elif rule is TR.ONE_SUCCESS:
        if up_done and c.done == c.skipped:
            return _S.SKIPPED
        if up_done and c.success <= 0:
            return _S.UPSTREAM_FAILED
    elif rule is TR.ONE_FAILED:
        if up_done and not (c.failed or c.upstream_failed):
            return _S.SKIPPED
    elif rule is TR.ONE_DONE:
        if up_done and not (c.failed or c.success):
            return _S.SKIPPED
    elif rule is TR.NONE_FAILED:
        if c.upstream_failed or c.failed:
            return _S.UPSTREAM_FAILED
    elif rule is TR.NONE_FAILED_MIN_ONE_SUCCESS:
        if c.upstream_failed or c.failed:
            return _S.UPSTREAM_FAILED
        if c.skipped == c.total:
            return _S.SKIPPED
        if up_done and c.success == 0:
            return _S.UPSTREAM_FAILED
    elif rule is TR.NONE_SKIPPED:
        if c.skipped:
            return _S.SKIPPED
    elif rule is TR.ALL_SKIPPED:
        if c.success or c.failed or c.upstream_failed:
            return _S.SKIPPED
    elif rule is TR.ALL_DONE_MIN_ONE_SUCCESS:
        # Skipped upstreams are "never done" for this rule. Airflow counts removed as done here
        # but not in the passing check below; kept as is (the two agree on every reachable mix).
        non_skipped_done = c.success + c.failed + c.upstream_failed + c.removed
        if c.skipped > 0:
            return _S.SKIPPED
        if non_skipped_done >= c.total - c.skipped and c.success == 0:
            return _S.UPSTREAM_FAILED
    elif rule is TR.ALL_DONE_SETUP_SUCCESS:
        if up_done and c.setup_total and c.setup_skipped >= c.setup_total:
            return _S.SKIPPED
        if up_done and c.setup_total and c.setup_success == 0:
            return _S.UPSTREAM_FAILED
    return None


def _passes(rule: TR, c: UpstreamCounts) -> tuple[bool, str]:
    """Whether the rule is met, and if not, why (Airflow's failing statuses)."""
    up_done = c.done >= c.total
    if rule is TR.ONE_SUCCESS:
        return c.success > 0, "needs one upstream success"
    if rule is TR.ONE_FAILED:
        return bool(c.failed or c.upstream_failed), "needs one upstream failed/upstream_failed"
    if rule is TR.ONE_DONE:
        return c.success + c.failed > 0, "needs one upstream success or failed"
    if rule is TR.ALL_SUCCESS:
        return c.total - c.success - c.removed <= 0, "needs every upstream success"
    if rule is TR.ALL_FAILED:
        return c.total - c.failed - c.upstream_failed - c.removed <= 0, "needs every upstream failed"
    if rule is TR.ALL_DONE:
        return up_done, "needs every upstream done"
    if rule is TR.NONE_FAILED:
        return c.total - c.success - c.skipped - c.removed <= 0, "needs every upstream success/skipped"
    if rule is TR.NONE_FAILED_MIN_ONE_SUCCESS:
        if c.total - c.success - c.skipped - c.removed > 0:
            return False, "needs every upstream success/skipped"
        return c.success > 0, "needs one upstream success"
    if rule is TR.NONE_SKIPPED:
        return up_done and c.skipped == 0, "needs every upstream done and none skipped"
    if rule is TR.ALL_SKIPPED:
        return c.total - c.skipped <= 0, "needs every upstream skipped"
    if rule is TR.ALL_DONE_SETUP_SUCCESS:
        if not up_done:
            return False, "needs every upstream done"
        return not (c.setup_total and not c.setup_success), "needs one upstream setup success"
    if rule is TR.ALL_DONE_MIN_ONE_SUCCESS:
        if c.skipped > 0:
            return False, "needs no upstream skipped"
        if c.success + c.failed + c.upstream_failed < c.total - c.skipped - c.removed:
            return False, "needs every non-skipped upstream done"
        return c.success > 0, "needs one upstream success"
    raise AssertionError(f"unhandled trigger rule {rule}")  # pragma: no cover - enum is closed


def evaluate(rule: TR | str, counts: UpstreamCounts, *, map_index: int = -1) -> Verdict:
    """The verdict of `rule` for a task instance whose direct upstreams are `counts`.

    A task with no upstream (`counts.total == 0`) and the `always` rule pass at once. Otherwise
    the flagging check comes first (it may decide the task's state even while other upstreams
    still run, e.g. `all_success` with one failed upstream), then the passing check.
    `map_index` only matters for a mapped `all_success` instance whose upstream lost
    instances (it is then flagged `removed`).
    """
    canonical = TR.canonical(rule)
    if counts.total == 0:
        return _run("no upstream tasks")
    if canonical is TR.ALWAYS:
        return _run("trigger rule 'always'")
    flagged = _flag(canonical, counts, map_index)
    if flagged is not None:
        return SET(flagged, f"trigger rule {canonical.value!r} with upstream {counts}")
    ok, why = _passes(canonical, counts)
    if ok:
        return _run(f"trigger rule {canonical.value!r} met")
    return _wait(f"trigger rule {canonical.value!r} {why}; upstream {counts}")


def evaluate_setup_constraint(counts: UpstreamCounts, *, map_index: int = -1) -> Verdict:
    """The extra dependency of a non-teardown task on its *indirect* relevant setups.

    `counts` covers the instances of the setups upstream of the task (not directly) whose scope
    contains it (see `Topology.relevant_indirect_setups`). The task does not wait for the other
    setups once one has failed or been skipped: any failed/upstream_failed setup flags it
    upstream_failed, else any skipped setup flags it skipped. Otherwise it waits until every
    such setup succeeded (removed setups count as success only for expanded mapped instances).
    """
    if counts.total == 0:
        return _run("no indirect setups")
    if counts.upstream_failed or counts.failed:
        return SET(_S.UPSTREAM_FAILED, f"an indirect setup failed: {counts}")
    if counts.skipped:
        return SET(_S.SKIPPED, f"an indirect setup was skipped: {counts}")
    if counts.removed and counts.success and -1 < map_index and map_index >= counts.success:
        return SET(_S.REMOVED, f"indirect setup instances removed: {counts}")
    non_successes = counts.total - counts.success
    if map_index > -1:
        non_successes -= counts.removed
    if non_successes > 0:
        return _wait(f"all indirect setups must succeed first: {counts}")
    return _run("indirect setups succeeded")
