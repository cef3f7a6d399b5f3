"""The invocation's time budget: one call's worst case, the deadline margin, the function timeout."""

from __future__ import annotations

import pytest

from task_creator.time_budget import (
    AWS_CALL_BUDGET,
    CALLS_AFTER_DEADLINE_CHECK,
    LAMBDA_MAX_TIMEOUT_SECONDS,
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


def test_the_margin_holds_every_call_a_record_makes_after_its_last_deadline_check() -> None:
    assert deadline_margin_seconds() > CALLS_AFTER_DEADLINE_CHECK * AWS_CALL_BUDGET.worst_case_seconds


def test_the_function_timeout_fits_a_full_batch_at_the_configured_rate_before_the_margin() -> None:
    timeout = function_timeout_seconds(
        batch_size=10, tasks_per_event=2, max_parallel_calls=5, calls_per_second=2
    )

    assert timeout - deadline_margin_seconds() >= 10 * 2 / 2


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
