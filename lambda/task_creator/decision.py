"""What happens to one record, given the outcome of every rule it matched. Pure: values in, a value out.

- nothing failed: the record is done (deleted from its queue);
- a transient failure, before the record's last attempt: retry it (with backoff); tasks already created
  are not created again on the retry (same ClientToken, the ledger). Permanent failures of the same
  event are recorded now and dead-lettered once nothing transient is left;
- a transient failure on the record's last attempt (its ``MAX_RECEIVE_COUNT``-th receive): dead-letter
  it as ``RetriesExhausted``, with every failure as the reason, rather than leave it to the queue's
  redrive policy (which would move it without any reason attached);
- only permanent failures: dead-letter it at once, typed by the first one.

A transient failure that was never an attempt does not spend the budget: the invocation ran out of
time before the task was tried, the container's share of the Connect quota had no slot for it soon
enough, or Connect throttled the call (it did nothing, and throttling must never become a dead letter).
A record whose transient failures are all of that kind is **deferred** (``Decision.deferred``): retried
even on its last attempt, and, from a standard queue, sent back to it with a delay so that the deferral
does not count as a receive either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from task_creator.errors import ConnectThrottled, InvocationDeadline, RateDeferred, TaskCreatorError
from task_creator.mapping.planning import RuleFailure

RETRIES_EXHAUSTED = "RetriesExhausted"


class Action(Enum):
    DONE = "done"
    RETRY = "retry"
    DEAD_LETTER = "dead-letter"


@dataclass(frozen=True)
class Attempt:
    """Where the record stands in its attempt budget. ``max_receive_count`` None: no budget known (a
    direct invocation, retried by Lambda itself), so no attempt is the last."""

    receive_count: int = 1
    max_receive_count: int | None = None

    @property
    def is_last(self) -> bool:
        return self.max_receive_count is not None and self.receive_count >= self.max_receive_count


@dataclass(frozen=True)
class Decision:
    action: Action
    error_type: str | None = None
    reasons: tuple[RuleFailure, ...] = ()

    @property
    def deferred(self) -> bool:
        """A retry none of whose failures was an attempt: it does not spend the attempt budget."""
        return self.action is Action.RETRY and all(_not_attempted(failure.error) for failure in self.reasons)

    @property
    def failed_rules(self) -> str:
        """The rules that failed, sorted and comma-separated ("" when none did: unreadable, unmatched)."""
        return ",".join(sorted({failure.rule for failure in self.reasons if failure.rule}))

    @property
    def error_message(self) -> str:
        """Every reason; each names its error type unless that is the dead letter's ErrorType."""
        return "; ".join(describe(failure, known_type=self.error_type) for failure in self.reasons)


def decide(
    *, permanent: Sequence[RuleFailure], transient: Sequence[RuleFailure], attempt: Attempt
) -> Decision:
    """The record's fate; ``permanent`` and ``transient`` are every rule failure of this attempt."""
    if transient:
        tried = [failure for failure in transient if not _not_attempted(failure.error)]
        if not attempt.is_last or not tried:
            return Decision(Action.RETRY, transient[0].error.error_type, tuple(transient))
        return Decision(Action.DEAD_LETTER, _exhausted_type(tried), (*tried, *permanent))
    if permanent:
        return Decision(Action.DEAD_LETTER, permanent[0].error.error_type, tuple(permanent))
    return Decision(Action.DONE)


def describe(failure: RuleFailure, *, known_type: str | None = None) -> str:
    """``[rule] ErrorType: message``: no rule for record-level failures, and the type named once, not at
    all when it is ``known_type`` (the dead letter's ErrorType says it already)."""
    text = _typed_message(failure.error, known_type)
    return f"[{failure.rule}] {text}" if failure.rule else text


def _typed_message(error: TaskCreatorError, known_type: str | None) -> str:
    prefix = f"{error.error_type}: "
    message = error.message.removeprefix(prefix)  # Connect's errors start with their code
    return message if error.error_type == known_type else prefix + message


def _exhausted_type(tried: Sequence[RuleFailure]) -> str:
    """``RetriesExhausted``, unless every failure left is of one kind that names itself (NoTaskForKey)."""
    kinds = {getattr(failure.error, "exhausted_type", None) for failure in tried}
    (kind,) = kinds if len(kinds) == 1 else (None,)
    return kind or RETRIES_EXHAUSTED


def _not_attempted(error: TaskCreatorError) -> bool:
    return isinstance(error, InvocationDeadline | RateDeferred | ConnectThrottled)
