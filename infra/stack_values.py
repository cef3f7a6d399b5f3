"""The stack's numbers and names, and the function's environment: plain values, no CDK.

One home for what both the CDK stack (``infra/``) and the offline runtime (``local/``) must agree on:
the function's timeout (derived from the deployment, ``function_timeout_seconds``) and memory, the
attempt budget and the redrive backstop above it, queue retention, visibility and sizes, the bus
rule's delivery retries, the ledger's schema and expiry (``idempotency_expiry``), the queues' names,
and the environment variables the function is deployed with. aws-cdk-lib takes seconds to import, so
this module imports none of it (a test holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from task_creator import time_budget
from task_creator.adapters.dead_letter_attributes import DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES

if TYPE_CHECKING:
    from infra.config import TaskCreatorConfig

FUNCTION_MEMORY_MB = 512
# The timeout of an invocation outside any deployment (``local.lambda_context``'s default, e.g. one
# ``python -m local invoke``): Lambda's maximum, so a lone invocation never defers records for want of
# time. A deployment's function derives its own: ``function_timeout_seconds(config, rule_count=...)``.
STANDALONE_INVOCATION_TIMEOUT_SECONDS = time_budget.LAMBDA_MAX_TIMEOUT_SECONDS
FUNCTION_TIMEOUT_SECONDS = STANDALONE_INVOCATION_TIMEOUT_SECONDS  # the name local.lambda_context imports
VISIBILITY_TIMEOUT_FACTOR = 6  # AWS's guidance for SQS event sources: at least 6x the function timeout
INGEST_RETENTION = timedelta(days=4)
DLQ_RETENTION = timedelta(days=14)
REPLAY_MARGIN = timedelta(days=7)
# The longest archive (context key archiveDays): with the replay margin it is the longest ledger expiry
# the function accepts (IDEMPOTENCY_EXPIRY_DAYS at most 3650, task_creator.settings).
MAX_ARCHIVE_DAYS = 3643
# The ledger's expiry for cdk.json's defaults (``idempotency_expiry(config)`` gives a deployment's).
IDEMPOTENCY_EXPIRY = DLQ_RETENTION + REPLAY_MARGIN
# The DLQ age alarm fires while a week (the replay margin) of retention is left. A message SQS's redrive
# policy moved keeps its original enqueue time, so it expires up to INGEST_RETENTION sooner than its DLQ
# age says: the alarm still comes first (a test holds it to that).
DEAD_LETTER_AGE_ALARM = DLQ_RETENTION - REPLAY_MARGIN
BUS_DELIVERY_RETRY_ATTEMPTS = 185  # EventBridge's maximum: keep trying for the whole event age
BUS_DELIVERY_MAX_EVENT_AGE = timedelta(hours=24)
BUS_RULE_DESCRIPTION = "Forwards the events the Task Creator mapping rules can match to the ingest queue"
ARCHIVE_DESCRIPTION = "Task Creator: the events the bus rules forward, kept for replay"
# The function dead-letters a record itself, with ErrorType RetriesExhausted and its last error, when it
# fails transiently on its MAX_RECEIVE_COUNT-th receive (the attempt budget, context key maxReceiveCount).
# The ingest queues' redrive policy moves a message only this many receives later: a backstop for the
# receives no invocation finished (a crash, a timeout, an out-of-memory), never the normal way out.
REDRIVE_BACKSTOP_RECEIVES = 3
SQS_MAX_RECEIVE_COUNT = 1000  # the largest maxReceiveCount a redrive policy takes
MAX_ATTEMPT_BUDGET = SQS_MAX_RECEIVE_COUNT - REDRIVE_BACKSTOP_RECEIVES
# SQS's largest message (body plus attributes) since its 2025 raise to 1 MiB; aws-cdk-lib 2.275 accepts it.
SQS_MAX_MESSAGE_SIZE_BYTES = 1_048_576
# The room the function's dead-letter writer needs on top of what the ingest queue counted (ErrorType,
# ErrorMessage, EventId, DroppedAttributes) is DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES, owned by the writer.
DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES = SQS_MAX_MESSAGE_SIZE_BYTES
# Every message the ingest queues accept still fits in a DLQ with the dead-letter attributes added.
INGEST_MAX_MESSAGE_SIZE_BYTES = DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES
LEDGER_PARTITION_KEY = "id"  # Powertools idempotency's DynamoDB schema
LEDGER_TTL_ATTRIBUTE = "expiration"
METRICS_NAMESPACE = "TaskCreator"


def whole_seconds(duration: timedelta) -> int:
    """A duration as the whole seconds AWS APIs and CloudFormation take."""
    return int(duration.total_seconds())


def idempotency_expiry(config: TaskCreatorConfig) -> timedelta:
    """How long the ledger remembers a task: as long as its event can come back, from the DLQ (its
    retention) or from the archive (``archiveDays``), whichever keeps it longer, plus the time a redrive
    or replay takes (``REPLAY_MARGIN``). A longer archive raises the expiry to fit; it never shortens."""
    return max(DLQ_RETENTION, timedelta(days=config.archive_days)) + REPLAY_MARGIN


def function_timeout_seconds(config: TaskCreatorConfig, *, rule_count: int, lifecycle: bool = True) -> int:
    """The function's timeout: a full batch, every rule of the mapping firing for every record (the
    upper bound of fan-out), fits in front of the function's deadline margin (``task_creator.time_budget``;
    ``lifecycle``: the mapping has rules with a task key, whose work takes more calls).

    A standard batch never waits long for Connect call slots (past ``MAX_SLOT_WAIT_SECONDS`` a record is
    deferred), so its timeout does not grow as the rate shrinks. A FIFO batch runs one record after
    another, each waiting for its slot at the container's rate, so with ``fifo`` the timeout also covers
    that; the larger of the two is the function's (one function serves both queues)."""
    timeouts = [
        time_budget.function_timeout_seconds(
            batch_size=config.batch_size,
            tasks_per_event=rule_count,
            max_parallel_calls=config.max_parallel_calls,
            calls_per_second=config.container_calls_per_second,
            lifecycle=lifecycle,
        )
    ]
    if config.fifo:
        timeouts.append(
            time_budget.function_timeout_seconds(
                batch_size=config.batch_size,
                tasks_per_event=rule_count,
                max_parallel_calls=1,
                calls_per_second=config.container_calls_per_second,
                sequential=True,
                lifecycle=lifecycle,
            )
        )
    return max(timeouts)


def ingest_visibility_timeout_seconds(function_timeout: int, batching_window_seconds: int) -> int:
    """An ingest queue's visibility timeout: 6x the function timeout plus the batching window."""
    return function_timeout * VISIBILITY_TIMEOUT_FACTOR + batching_window_seconds


def redrive_max_receive_count(attempt_budget: int) -> int:
    """The ingest queues' redrive ``maxReceiveCount``: the function's attempt budget plus the backstop."""
    return attempt_budget + REDRIVE_BACKSTOP_RECEIVES


@dataclass(frozen=True)
class QueueNames:
    """The names of one deployment's queues. The standard ingest queue and its DLQ always exist (the bus
    rule delivers there); ``fifo=true`` adds a FIFO ingest queue with its own FIFO DLQ."""

    ingest: str
    dead_letter: str
    fifo_ingest: str | None
    fifo_dead_letter: str | None

    @classmethod
    def for_stack(cls, stack_name: str, *, fifo: bool) -> QueueNames:
        return cls(
            ingest=f"{stack_name}-ingest",
            dead_letter=f"{stack_name}-dlq",
            fifo_ingest=f"{stack_name}-ingest.fifo" if fifo else None,
            fifo_dead_letter=f"{stack_name}-dlq.fifo" if fifo else None,
        )


# The CDK context key each of the function's variables comes from; None: the stack sets it itself (a
# deploy-time reference or a constant), so a value the function refuses there is the stack's bug.
CONTEXT_KEY_OF_VARIABLE: dict[str, str | None] = {
    "CONNECT_INSTANCE_ID": "connectInstanceId",
    "CONNECT_CONTACT_FLOW_ID": "contactFlowId",
    "DLQ_URL": None,
    "FIFO_DLQ_URL": None,
    "MAX_PARALLEL_CALLS": "maxParallelCalls",
    "CONNECT_CALLS_PER_SECOND": "connectCallsPerSecond",
    "MAX_RECEIVE_COUNT": "maxReceiveCount",
    "TOKEN_NAMESPACE": "tokenNamespace",
    "IDEMPOTENCY_TABLE": None,
    "IDEMPOTENCY_EXPIRY_DAYS": "archiveDays",  # idempotency_expiry(config): raised to fit the archive
    "POWERTOOLS_SERVICE_NAME": "stackName",
    "POWERTOOLS_METRICS_NAMESPACE": None,
    "POWERTOOLS_LOG_LEVEL": "logLevel",
    "POWERTOOLS_TRACE_DISABLED": "tracing",
    "OUTCOME_EVENT_BUS": "outcomeEventBus",
    "OUTCOME_SOURCE": "outcomeSource",
}


def function_environment(
    config: TaskCreatorConfig,
    *,
    dlq_url: str,
    ledger_table_name: str | None,
    fifo_dlq_url: str | None = None,
) -> dict[str, str]:
    """The function's environment variables for a deployment (``task_creator.settings`` reads them).

    ``dlq_url``, ``fifo_dlq_url`` and ``ledger_table_name`` are where the deployment's DLQs and ledger
    are (CloudFormation references in the stack, real URLs and names offline); ``fifo_dlq_url`` is the
    FIFO ingest queue's DLQ (None without ``fifo``), ``ledger_table_name`` None without idempotency.
    """
    environment = {
        "CONNECT_INSTANCE_ID": config.connect_instance_id,
        "DLQ_URL": dlq_url,
        "MAX_PARALLEL_CALLS": str(config.max_parallel_calls),
        "MAX_RECEIVE_COUNT": str(config.max_receive_count),
        "TOKEN_NAMESPACE": config.token_namespace,
        "POWERTOOLS_SERVICE_NAME": config.stack_name,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        "POWERTOOLS_TRACE_DISABLED": "false" if config.tracing else "true",
    }
    if fifo_dlq_url is not None:
        environment["FIFO_DLQ_URL"] = fifo_dlq_url
    if config.contact_flow_id:
        environment["CONNECT_CONTACT_FLOW_ID"] = config.contact_flow_id
    if ledger_table_name is not None:
        environment["IDEMPOTENCY_TABLE"] = ledger_table_name
        environment["IDEMPOTENCY_EXPIRY_DAYS"] = str(idempotency_expiry(config).days)
    if config.outcome_events:
        environment["OUTCOME_EVENT_BUS"] = config.outcome_event_bus_name
        environment["OUTCOME_SOURCE"] = config.outcome_source
    environment["CONNECT_CALLS_PER_SECOND"] = f"{config.container_calls_per_second:.6g}"
    return environment
