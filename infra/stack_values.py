"""The stack's numbers and names, and the function's environment: plain values, no CDK.

One home for what both the CDK stack (``infra/``) and the offline runtime (``local/``) must agree on:
the function's timeout and memory, queue retention and visibility, the bus rule's delivery retries, the
ledger's schema, the queues' names, and the environment variables the function is deployed with.
aws-cdk-lib takes seconds to import, so this module imports none of it (a test holds it to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from infra.config import TaskCreatorConfig

FUNCTION_TIMEOUT_SECONDS = 30
FUNCTION_MEMORY_MB = 512
VISIBILITY_TIMEOUT_FACTOR = 6  # AWS's guidance for SQS event sources: at least 6x the function timeout
INGEST_RETENTION = timedelta(days=4)
DLQ_RETENTION = timedelta(days=14)
REPLAY_MARGIN = timedelta(days=7)
# The ledger must remember a task for as long as its event can come back: DLQ retention plus replay time.
IDEMPOTENCY_EXPIRY = DLQ_RETENTION + REPLAY_MARGIN
BUS_DELIVERY_RETRY_ATTEMPTS = 185  # EventBridge's maximum: keep trying for the whole event age
BUS_DELIVERY_MAX_EVENT_AGE = timedelta(hours=24)
FIFO_MESSAGE_GROUP = "task-creator"  # the one message group of events the bus rule forwards to FIFO
LEDGER_PARTITION_KEY = "id"  # Powertools idempotency's DynamoDB schema
LEDGER_TTL_ATTRIBUTE = "expiration"
METRICS_NAMESPACE = "TaskCreator"


def whole_seconds(duration: timedelta) -> int:
    """A duration as the whole seconds AWS APIs and CloudFormation take."""
    return int(duration.total_seconds())


def ingest_visibility_timeout_seconds(batching_window_seconds: int) -> int:
    """The ingest queue's visibility timeout: 6x the function timeout plus the batching window."""
    return FUNCTION_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR + batching_window_seconds


@dataclass(frozen=True)
class QueueNames:
    """The names of one deployment's queues; ``delivery_dead_letter`` only with FIFO (EventBridge target
    DLQs and Lambda destinations need a standard queue), otherwise the DLQ is also the delivery DLQ."""

    ingest: str
    dead_letter: str
    delivery_dead_letter: str | None

    @classmethod
    def for_stack(cls, stack_name: str, *, fifo: bool) -> QueueNames:
        suffix = ".fifo" if fifo else ""
        return cls(
            ingest=f"{stack_name}-ingest{suffix}",
            dead_letter=f"{stack_name}-dlq{suffix}",
            delivery_dead_letter=f"{stack_name}-delivery-dlq" if fifo else None,
        )


# The CDK context key each of the function's variables comes from; None: the stack sets it itself (a
# deploy-time reference or a constant), so a value the function refuses there is the stack's bug.
CONTEXT_KEY_OF_VARIABLE: dict[str, str | None] = {
    "CONNECT_INSTANCE_ID": "connectInstanceId",
    "CONNECT_CONTACT_FLOW_ID": "contactFlowId",
    "DLQ_URL": None,
    "MAX_PARALLEL_CALLS": "maxParallelCalls",
    "CONNECT_CALLS_PER_SECOND": "connectCallsPerSecond",
    "TOKEN_NAMESPACE": "tokenNamespace",
    "IDEMPOTENCY_TABLE": None,
    "IDEMPOTENCY_EXPIRY_DAYS": None,
    "POWERTOOLS_SERVICE_NAME": "stackName",
    "POWERTOOLS_METRICS_NAMESPACE": None,
    "POWERTOOLS_LOG_LEVEL": "logLevel",
    "POWERTOOLS_TRACE_DISABLED": "tracing",
}


def function_environment(
    config: TaskCreatorConfig, *, dlq_url: str, ledger_table_name: str | None
) -> dict[str, str]:
    """The function's environment variables for a deployment (``task_creator.settings`` reads them).

    ``dlq_url`` and ``ledger_table_name`` are where the deployment's DLQ and ledger are (CloudFormation
    references in the stack, real names offline); ``ledger_table_name`` is None without idempotency.
    """
    environment = {
        "CONNECT_INSTANCE_ID": config.connect_instance_id,
        "DLQ_URL": dlq_url,
        "MAX_PARALLEL_CALLS": str(config.max_parallel_calls),
        "TOKEN_NAMESPACE": config.token_namespace,
        "POWERTOOLS_SERVICE_NAME": config.stack_name,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        "POWERTOOLS_TRACE_DISABLED": "false" if config.tracing else "true",
    }
    if config.contact_flow_id:
        environment["CONNECT_CONTACT_FLOW_ID"] = config.contact_flow_id
    if ledger_table_name is not None:
        environment["IDEMPOTENCY_TABLE"] = ledger_table_name
        environment["IDEMPOTENCY_EXPIRY_DAYS"] = str(IDEMPOTENCY_EXPIRY.days)
    if config.connect_calls_per_second is not None:
        environment["CONNECT_CALLS_PER_SECOND"] = f"{config.connect_calls_per_second:g}"
    return environment
