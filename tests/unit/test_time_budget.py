"""The invocation's time budget: one call's worst case, the deadline margin, the function timeout."""

from __future__ import annotations

import pytest

from task_creator.rate_limit import MAX_SLOT_WAIT_SECONDS
from task_creator.time_budget import (
    AWS_CALL_BUDGET,
    BATCH_END_CALLS,
    KEYED_RULE_CALLS,
    LAMBDA_MAX_TIMEOUT_SECONDS,
    RULE_CALLS,
    SETTLE_CALLS,
    CallBudget,
    deadline_margin_seconds,
    function_timeout_seconds,
)

pytestmark = pytest.mark.unit


def test_one_call_at_worst_is_every_attempt_timing_out_plus_the_backoffs_between() -> None:
    budget = CallBudget(connect_timeout_seconds=1, read_timeout_seconds=3, max_attempts=3)

    # 3 x (1 + 3) s, then botocore's backoffs before retries 1 and 2 (1 s and 2 s) plus Retry-After's 5 s
    assert budget.worst_case_seconds == 12 + (1 + 5) + (2 + 5)


def test_a_single_attempt_has_no_backoff() -> None:
    assert CallBudget(1, 3, max_attempts=1).worst_case_seconds == 4


def test_the_margin_holds_every_call_a_record_makes_after_its_last_deadline_check_and_the_batch_end() -> None:
    worst = AWS_CALL_BUDGET.worst_case_seconds
    keyed = (KEYED_RULE_CALLS + SETTLE_CALLS + BATCH_END_CALLS) * worst
    plain = (RULE_CALLS + SETTLE_CALLS + BATCH_END_CALLS) * worst

    assert deadline_margin_seconds(lifecycle=True) > keyed
    assert keyed > deadline_margin_seconds(lifecycle=False) > plain


def test_a_standard_batch_never_waits_long_for_slots_so_its_timeout_does_not_grow_as_the_rate_shrinks() -> (
    None
):
    def timeout(rate: float) -> int:
        return function_timeout_seconds(
            batch_size=10, tasks_per_event=2, max_parallel_calls=5, calls_per_second=rate
        )

    assert timeout(0.01) == timeout(100)
    assert timeout(1) - deadline_margin_seconds() >= 4 * (0.5 + MAX_SLOT_WAIT_SECONDS)


def test_a_fifo_batch_waits_for_each_slot_in_turn() -> None:
    def timeout(rate: float) -> int:
        return function_timeout_seconds(
            batch_size=10, tasks_per_event=2, max_parallel_calls=1, calls_per_second=rate, sequential=True
        )

    assert timeout(1) - timeout(10) >= 20 / 1 - 20 / 10 - 1


def test_without_a_rate_limit_the_batch_runs_at_its_parallelism() -> None:
    wide = function_timeout_seconds(
        batch_size=10, tasks_per_event=1, max_parallel_calls=10, calls_per_second=None
    )
    narrow = function_timeout_seconds(
        batch_size=10, tasks_per_event=1, max_parallel_calls=1, calls_per_second=None
    )

    assert deadline_margin_seconds() < wide < narrow


def test_the_function_timeout_never_exceeds_lambdas_maximum() -> None:
    timeout = function_timeout_seconds(
        batch_size=10_000, tasks_per_event=200, max_parallel_calls=1, calls_per_second=0.01
    )

    assert timeout == LAMBDA_MAX_TIMEOUT_SECONDS
