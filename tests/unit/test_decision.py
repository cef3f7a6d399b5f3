"""What happens to one record, for every mix of rule outcomes in a fan-out, on any attempt."""

from __future__ import annotations

import itertools

import pytest

from task_creator.decision import RETRIES_EXHAUSTED, Action, Attempt, decide
from task_creator.errors import (
    ConnectThrottled,
    ConnectUnavailable,
    InvocationDeadline,
    LimitViolation,
    MappingError,
    PermanentFailure,
    TaskCreatorError,
    TransientFailure,
)
from task_creator.mapping.planning import RuleFailure

pytestmark = pytest.mark.unit

FIRST = Attempt(receive_count=1, max_receive_count=5)
LAST = Attempt(receive_count=5, max_receive_count=5)
PAST_LAST = Attempt(receive_count=7, max_receive_count=5)
NO_BUDGET = Attempt(receive_count=9, max_receive_count=None)  # a direct invocation

CREATED = "created"
PERMANENT = "permanent"
TRANSIENT = "transient"
NOT_STARTED = "not-started"
THROTTLED = "throttled"  # Connect did nothing: not an attempt either
NOT_ATTEMPTED = (NOT_STARTED, THROTTLED)


def failure(rule: str, kind: str) -> RuleFailure:
    errors: dict[str, TaskCreatorError] = {
        PERMANENT: MappingError("Name rendered empty for this event"),
        TRANSIENT: ConnectUnavailable("InternalServiceException", "try again"),
        NOT_STARTED: InvocationDeadline("no time left in this invocation to start the task"),
        THROTTLED: ConnectThrottled("ThrottlingException: Rate exceeded"),
    }
    return RuleFailure(rule=rule, error=errors[kind])


def outcomes_of(mix: tuple[str, ...]) -> tuple[list[RuleFailure], list[RuleFailure]]:
    failures = [failure(f"rule-{i}", kind) for i, kind in enumerate(mix) if kind != CREATED]
    permanent = [f for f in failures if isinstance(f.error, PermanentFailure)]
    transient = [f for f in failures if isinstance(f.error, TransientFailure)]
    return permanent, transient


def expected(mix: tuple[str, ...], attempt: Attempt) -> tuple[Action, str | None]:
    """The rule, written out: what an operator should see for this mix on this attempt."""
    tried_transient = TRANSIENT in mix
    if tried_transient and attempt.is_last:
        return Action.DEAD_LETTER, RETRIES_EXHAUSTED
    if tried_transient or set(NOT_ATTEMPTED) & set(mix):
        first_transient = next(kind for kind in mix if kind in (TRANSIENT, *NOT_ATTEMPTED))
        return Action.RETRY, failure("", first_transient).error.error_type
    if PERMANENT in mix:
        return Action.DEAD_LETTER, "MappingError"
    return Action.DONE, None


MIXES = [
    mix
    for size in (1, 2, 3)
    for mix in itertools.product((CREATED, PERMANENT, TRANSIENT, NOT_STARTED, THROTTLED), repeat=size)
]


@pytest.mark.parametrize(
    "attempt", [FIRST, LAST, PAST_LAST, NO_BUDGET], ids=["first", "last", "past", "none"]
)
@pytest.mark.parametrize("mix", MIXES, ids=["+".join(mix) for mix in MIXES])
def test_every_mix_of_rule_outcomes(mix: tuple[str, ...], attempt: Attempt) -> None:
    permanent, transient = outcomes_of(mix)

    decision = decide(permanent=permanent, transient=transient, attempt=attempt)

    assert (decision.action, decision.error_type) == expected(mix, attempt)
    assert decision.deferred == (decision.action is Action.RETRY and TRANSIENT not in mix)


def test_retries_exhausted_names_every_failure_in_its_reason() -> None:
    decision = decide(
        permanent=[failure("order-delayed", PERMANENT)],
        transient=[failure("vip-escalation", TRANSIENT)],
        attempt=LAST,
    )

    assert decision.error_message == (
        "[vip-escalation] InternalServiceException: try again; "
        "[order-delayed] MappingError: Name rendered empty for this event"
    )


def test_a_record_level_failure_has_no_rule_prefix_and_no_repeated_type() -> None:
    unreadable = RuleFailure(rule="", error=LimitViolation("Name", "contains an unpaired surrogate"))

    decision = decide(permanent=[unreadable], transient=[], attempt=FIRST)

    assert decision.error_message == "Name: contains an unpaired surrogate"  # ErrorType says LimitViolation


def test_a_permanent_failure_waits_for_the_transient_one_beside_it() -> None:
    decision = decide(
        permanent=[failure("order-delayed", PERMANENT)],
        transient=[failure("vip-escalation", TRANSIENT)],
        attempt=FIRST,
    )

    assert decision.action is Action.RETRY
    assert [f.rule for f in decision.reasons] == ["vip-escalation"]
