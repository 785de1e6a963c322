"""Trigger rules against upstream mixes: spec table 4.2, cell by cell.

`test_every_rule_matches_spec_table_for_every_upstream_mix` checks every rule against every
multiset of 1-4 upstream states (including unfinished ones) using `spec_oracle`, an
independent transcription of the table's prose. The named tests below pin the behaviours
DAGs depend on, one per test, so a regression names the broken behaviour.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import pytest

from riir_airflow.engine import (
    RUN,
    SET,
    WAIT,
    UpstreamCounts,
    Verdict,
    VerdictKind,
    evaluate,
    evaluate_setup_constraint,
)
from riir_airflow.sdk.state import TaskInstanceState as S
from riir_airflow.sdk.trigger_rule import TriggerRule as TR

SKIPPED = SET(S.SKIPPED)
UPSTREAM_FAILED = SET(S.UPSTREAM_FAILED)

MIX_STATES = (S.SUCCESS, S.SKIPPED, S.FAILED, S.UPSTREAM_FAILED, S.REMOVED, S.RUNNING)
RULES = [r for r in TR if r not in (TR.DUMMY, TR.NONE_FAILED_OR_SKIPPED, TR.ALL_DONE_SETUP_SUCCESS)]


def counts(*states: S, setups: tuple[S, ...] = ()) -> UpstreamCounts:
    """Counts for direct upstreams in `states` plus upstream setup tasks in `setups`."""
    return UpstreamCounts.count([(s, False) for s in states] + [(s, True) for s in setups])


def spec_oracle(rule: TR, c: UpstreamCounts) -> Verdict:
    """Spec table 4.2 read literally: 'sets the task to' column first, then 'runs when'."""
    n, ok, sk, f, uf, rm = c.total, c.success, c.skipped, c.failed, c.upstream_failed, c.removed
    done = ok + sk + f + uf + rm
    all_done = done >= n
    if rule is TR.ALWAYS:
        return RUN
    flag = None
    if rule is TR.ALL_SUCCESS:
        flag = S.UPSTREAM_FAILED if (f or uf) else S.SKIPPED if sk else None
        runs = ok + rm == n
    elif rule is TR.ALL_FAILED:
        flag = S.SKIPPED if (ok or sk) else None
        runs = f + uf + rm == n
    elif rule is TR.ALL_DONE:
        runs = all_done
    elif rule is TR.ALL_DONE_MIN_ONE_SUCCESS:
        flag = S.SKIPPED if sk else S.UPSTREAM_FAILED if (all_done and not ok) else None
        runs = not sk and all_done and ok >= 1
    elif rule is TR.ONE_SUCCESS:
        if all_done:
            flag = S.SKIPPED if sk == done else S.UPSTREAM_FAILED if not ok else None
        runs = ok >= 1
    elif rule is TR.ONE_FAILED:
        flag = S.SKIPPED if (all_done and not (f or uf)) else None
        runs = f + uf >= 1
    elif rule is TR.ONE_DONE:
        flag = S.SKIPPED if (all_done and not (ok or f)) else None
        runs = ok + f >= 1
    elif rule is TR.NONE_FAILED:
        flag = S.UPSTREAM_FAILED if (f or uf) else None
        runs = ok + sk + rm == n
    elif rule is TR.NONE_FAILED_MIN_ONE_SUCCESS:
        if f or uf:
            flag = S.UPSTREAM_FAILED
        elif sk == n:
            flag = S.SKIPPED
        elif all_done and not ok:
            flag = S.UPSTREAM_FAILED
        runs = ok + sk + rm == n and ok >= 1
    elif rule is TR.NONE_SKIPPED:
        flag = S.SKIPPED if sk else None
        runs = all_done and sk == 0
    elif rule is TR.ALL_SKIPPED:
        flag = S.SKIPPED if (ok or f or uf) else None
        runs = sk == n
    else:
        raise AssertionError(rule)
    if flag is not None:
        return SET(flag)
    return RUN if runs else WAIT


MIXES = [mix for size in range(1, 5) for mix in combinations_with_replacement(MIX_STATES, size)]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.value)
def test_every_rule_matches_spec_table_for_every_upstream_mix(rule: TR) -> None:
    mismatches = []
    for mix in MIXES:
        c = counts(*mix)
        got, want = evaluate(rule, c), spec_oracle(rule, c)
        if got != want:
            mismatches.append((tuple(s.value for s in mix), got, want))
    assert not mismatches, mismatches[:10]


# ---- all_success ---------------------------------------------------------------------------


def test_all_success_runs_when_every_upstream_succeeded_or_was_removed() -> None:
    assert evaluate("all_success", counts(S.SUCCESS, S.SUCCESS)) == RUN
    assert evaluate("all_success", counts(S.SUCCESS, S.REMOVED)) == RUN


def test_all_success_waits_while_an_upstream_runs() -> None:
    assert evaluate("all_success", counts(S.SUCCESS, S.RUNNING)) == WAIT


def test_all_success_is_upstream_failed_as_soon_as_one_upstream_failed_even_if_others_run() -> None:
    assert evaluate("all_success", counts(S.FAILED, S.RUNNING)) == UPSTREAM_FAILED
    assert evaluate("all_success", counts(S.UPSTREAM_FAILED, S.RUNNING)) == UPSTREAM_FAILED


def test_all_success_is_skipped_when_an_upstream_skipped_and_none_failed() -> None:
    assert evaluate("all_success", counts(S.SKIPPED, S.SUCCESS)) == SKIPPED


def test_all_success_prefers_upstream_failed_over_skipped() -> None:
    assert evaluate("all_success", counts(S.SKIPPED, S.FAILED)) == UPSTREAM_FAILED


def test_all_success_mapped_instance_beyond_surviving_upstream_is_removed() -> None:
    c = counts(S.SUCCESS, S.REMOVED)
    assert evaluate("all_success", c, map_index=1) == SET(S.REMOVED)
    assert evaluate("all_success", c, map_index=0) == RUN
    assert evaluate("all_success", c) == RUN


# ---- all_failed / all_done -------------------------------------------------------------------


def test_all_failed_runs_when_every_upstream_failed_or_upstream_failed() -> None:
    assert evaluate("all_failed", counts(S.FAILED, S.UPSTREAM_FAILED)) == RUN


def test_all_failed_is_skipped_as_soon_as_one_upstream_succeeded_or_skipped() -> None:
    assert evaluate("all_failed", counts(S.SUCCESS, S.RUNNING)) == SKIPPED
    assert evaluate("all_failed", counts(S.SKIPPED, S.RUNNING)) == SKIPPED


def test_all_done_runs_whatever_the_upstream_states_once_all_are_done_and_never_flags() -> None:
    assert evaluate("all_done", counts(S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED, S.REMOVED)) == RUN
    assert evaluate("all_done", counts(S.FAILED, S.RUNNING)) == WAIT


# ---- all_done_min_one_success (3.1+) -------------------------------------------------------


def test_all_done_min_one_success_runs_with_a_failure_and_a_success() -> None:
    assert evaluate("all_done_min_one_success", counts(S.FAILED, S.SUCCESS)) == RUN


def test_all_done_min_one_success_is_skipped_as_soon_as_any_upstream_skipped() -> None:
    assert evaluate("all_done_min_one_success", counts(S.SKIPPED, S.RUNNING)) == SKIPPED


def test_all_done_min_one_success_is_upstream_failed_when_all_done_without_success() -> None:
    assert evaluate("all_done_min_one_success", counts(S.FAILED, S.UPSTREAM_FAILED)) == UPSTREAM_FAILED
    assert evaluate("all_done_min_one_success", counts(S.FAILED, S.RUNNING)) == WAIT


# ---- one_* rules fire early ------------------------------------------------------------------


def test_one_success_fires_on_first_success_while_others_still_run() -> None:
    assert evaluate("one_success", counts(S.SUCCESS, S.RUNNING, S.RUNNING)) == RUN


def test_one_success_is_skipped_when_all_upstreams_skipped() -> None:
    assert evaluate("one_success", counts(S.SKIPPED, S.SKIPPED)) == SKIPPED


def test_one_success_is_upstream_failed_when_all_done_without_success_but_not_all_skipped() -> None:
    assert evaluate("one_success", counts(S.SKIPPED, S.FAILED)) == UPSTREAM_FAILED
    assert evaluate("one_success", counts(S.SKIPPED, S.REMOVED)) == UPSTREAM_FAILED


def test_one_success_waits_when_nothing_succeeded_yet() -> None:
    assert evaluate("one_success", counts(S.FAILED, S.RUNNING)) == WAIT


def test_one_failed_fires_on_first_failure_or_upstream_failed_while_others_run() -> None:
    assert evaluate("one_failed", counts(S.FAILED, S.RUNNING)) == RUN
    assert evaluate("one_failed", counts(S.UPSTREAM_FAILED, S.RUNNING)) == RUN


def test_one_failed_is_skipped_when_all_done_without_failure() -> None:
    assert evaluate("one_failed", counts(S.SUCCESS, S.SKIPPED)) == SKIPPED
    assert evaluate("one_failed", counts(S.SUCCESS, S.RUNNING)) == WAIT


def test_one_done_fires_on_first_success_or_failure() -> None:
    assert evaluate("one_done", counts(S.SUCCESS, S.RUNNING)) == RUN
    assert evaluate("one_done", counts(S.FAILED, S.RUNNING)) == RUN


def test_one_done_does_not_count_skipped_or_upstream_failed_and_skips_when_all_done() -> None:
    assert evaluate("one_done", counts(S.SKIPPED, S.RUNNING)) == WAIT
    assert evaluate("one_done", counts(S.SKIPPED, S.UPSTREAM_FAILED)) == SKIPPED


# ---- none_* rules ----------------------------------------------------------------------------


def test_none_failed_runs_with_skipped_upstreams() -> None:
    assert evaluate("none_failed", counts(S.SKIPPED, S.SUCCESS)) == RUN
    assert evaluate("none_failed", counts(S.SKIPPED, S.SKIPPED)) == RUN


def test_none_failed_is_upstream_failed_on_any_failure() -> None:
    assert evaluate("none_failed", counts(S.FAILED, S.RUNNING)) == UPSTREAM_FAILED


def test_none_failed_min_one_success_runs_with_one_success_and_skips() -> None:
    assert evaluate("none_failed_min_one_success", counts(S.SKIPPED, S.SUCCESS)) == RUN


def test_none_failed_min_one_success_is_skipped_only_when_all_upstreams_skipped() -> None:
    assert evaluate("none_failed_min_one_success", counts(S.SKIPPED, S.SKIPPED)) == SKIPPED
    assert evaluate("none_failed_min_one_success", counts(S.SKIPPED, S.RUNNING)) == WAIT


def test_none_failed_min_one_success_is_upstream_failed_when_all_done_without_success() -> None:
    assert evaluate("none_failed_min_one_success", counts(S.SKIPPED, S.REMOVED)) == UPSTREAM_FAILED
    assert evaluate("none_failed_min_one_success", counts(S.FAILED, S.SUCCESS)) == UPSTREAM_FAILED


def test_none_skipped_runs_when_all_done_without_skip_even_with_failures() -> None:
    assert evaluate("none_skipped", counts(S.FAILED, S.SUCCESS)) == RUN


def test_none_skipped_is_skipped_as_soon_as_one_upstream_skipped() -> None:
    assert evaluate("none_skipped", counts(S.SKIPPED, S.RUNNING)) == SKIPPED


def test_all_skipped_runs_only_when_every_upstream_skipped() -> None:
    assert evaluate("all_skipped", counts(S.SKIPPED, S.SKIPPED)) == RUN
    assert evaluate("all_skipped", counts(S.SKIPPED, S.RUNNING)) == WAIT


def test_all_skipped_is_skipped_as_soon_as_one_upstream_ran() -> None:
    for other in (S.SUCCESS, S.FAILED, S.UPSTREAM_FAILED):
        assert evaluate("all_skipped", counts(other, S.RUNNING)) == SKIPPED


def test_all_skipped_with_a_removed_upstream_never_passes_nor_flags() -> None:
    # Airflow 3.3 parity: removed is neither skipped nor a reason to flag -> waits forever.
    assert evaluate("all_skipped", counts(S.SKIPPED, S.REMOVED)) == WAIT


# ---- always, no upstream, aliases ----------------------------------------------------------


def test_always_runs_immediately_whatever_the_upstream() -> None:
    assert evaluate("always", counts(S.RUNNING, S.FAILED)) == RUN


def test_task_without_upstream_always_passes_whatever_its_rule() -> None:
    for rule in TR:
        assert evaluate(rule, UpstreamCounts(total=0)) == RUN


def test_2x_alias_dummy_means_always() -> None:
    assert evaluate("dummy", counts(S.RUNNING)) == RUN


def test_2x_alias_none_failed_or_skipped_means_none_failed_min_one_success() -> None:
    for mix in MIXES:
        c = counts(*mix)
        assert evaluate("none_failed_or_skipped", c) == evaluate("none_failed_min_one_success", c)


def test_unknown_rule_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="trigger_rule must be one of"):
        evaluate("all_good", counts(S.SUCCESS))


# ---- all_done_setup_success (teardowns) ----------------------------------------------------


def test_all_done_setup_success_runs_after_failed_work_when_a_setup_succeeded() -> None:
    assert evaluate("all_done_setup_success", counts(S.FAILED, setups=(S.SUCCESS,))) == RUN


def test_all_done_setup_success_waits_for_all_upstreams() -> None:
    assert evaluate("all_done_setup_success", counts(S.RUNNING, setups=(S.SUCCESS,))) == WAIT


def test_all_done_setup_success_runs_with_one_of_two_setups_succeeded() -> None:
    c = counts(S.UPSTREAM_FAILED, setups=(S.SUCCESS, S.FAILED))
    assert evaluate("all_done_setup_success", c) == RUN


def test_all_done_setup_success_is_skipped_when_all_setups_skipped() -> None:
    c = counts(S.SKIPPED, setups=(S.SKIPPED, S.SKIPPED))
    assert evaluate("all_done_setup_success", c) == SKIPPED


def test_all_done_setup_success_is_upstream_failed_when_done_and_no_setup_succeeded() -> None:
    c = counts(S.UPSTREAM_FAILED, setups=(S.FAILED, S.SKIPPED))
    assert evaluate("all_done_setup_success", c) == UPSTREAM_FAILED


def test_all_done_setup_success_without_setup_upstream_behaves_like_all_done() -> None:
    assert evaluate("all_done_setup_success", counts(S.FAILED, S.SKIPPED)) == RUN


# ---- indirect setup constraint -------------------------------------------------------------


def test_setup_constraint_flags_upstream_failed_at_once_when_an_indirect_setup_failed() -> None:
    c = UpstreamCounts.count([(S.FAILED, True), (S.RUNNING, True)])
    assert evaluate_setup_constraint(c) == UPSTREAM_FAILED


def test_setup_constraint_flags_skipped_when_an_indirect_setup_skipped() -> None:
    c = UpstreamCounts.count([(S.SKIPPED, True), (S.SUCCESS, True)])
    assert evaluate_setup_constraint(c) == SKIPPED


def test_setup_constraint_waits_until_every_indirect_setup_succeeded() -> None:
    assert evaluate_setup_constraint(UpstreamCounts.count([(S.SUCCESS, True), (S.RUNNING, True)])) == WAIT
    assert evaluate_setup_constraint(UpstreamCounts.count([(S.SUCCESS, True), (S.SUCCESS, True)])) == RUN


def test_setup_constraint_counts_a_removed_setup_as_not_succeeded_for_unmapped_tasks() -> None:
    c = UpstreamCounts.count([(S.REMOVED, True), (S.SUCCESS, True)])
    assert evaluate_setup_constraint(c) == WAIT
    assert evaluate_setup_constraint(c, map_index=0) == RUN


# ---- data types ----------------------------------------------------------------------------


def test_counts_include_setups_in_the_general_counts() -> None:
    c = UpstreamCounts.count([(S.SKIPPED, True), (S.SKIPPED, False), (None, False), ("success", True)])
    assert (c.total, c.skipped, c.success, c.done) == (4, 2, 1, 3)
    assert (c.setup_total, c.setup_skipped, c.setup_success) == (2, 1, 1)


def test_counts_reject_impossible_numbers() -> None:
    with pytest.raises(ValueError):
        UpstreamCounts(total=1, success=1, failed=1)
    with pytest.raises(ValueError):
        UpstreamCounts(total=2, success=1, setup_total=0, setup_success=1)


def test_verdicts_compare_by_kind_and_state_not_reason() -> None:
    verdict = evaluate("all_success", counts(S.FAILED))
    assert verdict == UPSTREAM_FAILED and verdict.kind is VerdictKind.SET and verdict.reason
    assert repr(verdict) == "SET(upstream_failed)" and repr(RUN) == "RUN"
    with pytest.raises(ValueError):
        Verdict(VerdictKind.RUN, S.SKIPPED)


def test_all_done_setup_success_matches_spec_table_for_every_mix_of_work_and_setups() -> None:
    mismatches = []
    for work in [mix for size in range(3) for mix in combinations_with_replacement(MIX_STATES, size)]:
        for setups in [mix for size in range(3) for mix in combinations_with_replacement(MIX_STATES, size)]:
            c = counts(*work, setups=setups)
            if c.total == 0:
                continue
            all_done = c.done >= c.total
            if all_done and setups and c.setup_skipped == len(setups):
                want = SKIPPED
            elif all_done and setups and not c.setup_success:
                want = UPSTREAM_FAILED
            else:
                want = RUN if all_done else WAIT
            got = evaluate("all_done_setup_success", c)
            if got != want:
                mismatches.append((work, setups, got, want))
    assert not mismatches, mismatches[:10]
