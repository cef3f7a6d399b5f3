"""The invocation's time budget: the worst case of one AWS call, and what it means for the deadline.

Every client the function builds has bounded timeouts and attempts (``CallBudget``), so one call can
take at most ``worst_case_seconds``. A record's work after its last deadline check is a fixed number of
calls (its rule's, then settling it), and the batch's end adds two (deferrals sent back, outcome events
published); the deadline margin is that many worst-case calls, so work started before the deadline
always finishes before Lambda's timeout. The stack derives the function timeout from the same numbers
(``function_timeout_seconds``), so a full batch fits in front of the margin. Pure: no boto3, no
environment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from task_creator.rate_limit import MAX_SLOT_WAIT_SECONDS

# botocore's standard retry mode waits rand(0, 1) * 2 ** (attempt - 1) seconds (capped at 20) before a
# retry, and may add up to 5 s more when the service sends x-amz-retry-after.
_BOTOCORE_MAX_BACKOFF_SECONDS = 20.0
_BOTOCORE_RETRY_AFTER_EXTRA_SECONDS = 5.0


@dataclass(frozen=True)
class CallBudget:
    """How one AWS client is bounded: per-attempt timeouts and the number of attempts."""

    connect_timeout_seconds: float
    read_timeout_seconds: float
    max_attempts: int

    @property
    def worst_case_seconds(self) -> float:
        attempts = self.max_attempts * (self.connect_timeout_seconds + self.read_timeout_seconds)
        backoffs = sum(
            min(2.0**retry, _BOTOCORE_MAX_BACKOFF_SECONDS) + _BOTOCORE_RETRY_AFTER_EXTRA_SECONDS
            for retry in range(self.max_attempts - 1)
        )
        return attempts + backoffs


# Connect answers StartTaskContact in well under a second; a read timeout of 3 s is generous, and one
# retry inside the call is enough: the record itself is retried with backoff after that.
AWS_CALL_BUDGET = CallBudget(connect_timeout_seconds=1, read_timeout_seconds=3, max_attempts=2)
# After its last deadline check a record makes at most: for its rule, a ledger write, StartTaskContact
# and the ledger update (a rule with a task key: also its lease, its registration, a StopContact for a
# late create, and the lease's release); then, to settle it, its outcome events, the ledger's once-only
# mark of its dead letter (a write and an update), the DLQ write and the delete of its source message.
RULE_CALLS = 3
KEYED_RULE_CALLS = 7
SETTLE_CALLS = 5
# After the last record: the deferred records sent back (SendMessageBatch) and the outcome events
# published (PutEvents), each one call for a batch of 10.
BATCH_END_CALLS = 2
# What the handler needs after the last record: flushing metrics, returning the response.
FINISHING_SECONDS = 1.0
# What a full batch's calls take at the typical Connect latency.
TYPICAL_CALL_SECONDS = 0.5
COLD_START_SECONDS = 5.0
LAMBDA_MAX_TIMEOUT_SECONDS = 900


def deadline_margin_seconds(budget: CallBudget = AWS_CALL_BUDGET, *, lifecycle: bool = True) -> float:
    """How long before Lambda's timeout the function stops starting work (``lifecycle``: the mapping
    has rules with a task key, whose work takes more calls)."""
    rule_calls = KEYED_RULE_CALLS if lifecycle else RULE_CALLS
    calls = rule_calls + SETTLE_CALLS + BATCH_END_CALLS
    return calls * budget.worst_case_seconds + FINISHING_SECONDS


def function_timeout_seconds(
    *,
    batch_size: int,
    tasks_per_event: int,
    max_parallel_calls: int,
    calls_per_second: float | None,
    sequential: bool = False,
    lifecycle: bool = True,
    budget: CallBudget = AWS_CALL_BUDGET,
) -> int:
    """A function timeout in which a full batch fits before the margin. Records of a standard batch run
    ``max_parallel_calls`` at a time, and a call waits at most ``MAX_SLOT_WAIT_SECONDS`` for its slot in
    the container's share of the quota (past that, its record is deferred); a FIFO batch
    (``sequential``) runs one call after another, each waiting for its slot at ``calls_per_second``."""
    calls = batch_size * max(tasks_per_event, 1)
    if sequential:
        work = calls * TYPICAL_CALL_SECONDS + (calls / calls_per_second if calls_per_second else 0.0)
    else:
        slot_wait = MAX_SLOT_WAIT_SECONDS if calls_per_second else 0.0
        work = math.ceil(calls / max(max_parallel_calls, 1)) * (TYPICAL_CALL_SECONDS + slot_wait)
    total = COLD_START_SECONDS + work + deadline_margin_seconds(budget, lifecycle=lifecycle)
    return min(math.ceil(total), LAMBDA_MAX_TIMEOUT_SECONDS)
