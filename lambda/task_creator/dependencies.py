"""Builds the function's collaborators from its settings, once per container.

The only place that creates boto3 clients; everything below receives them. Tests hand the handler their
own ``Dependencies`` (with fakes, moto-backed clients or the Connect emulator) instead of patching.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from task_creator.adapters.connect import ConnectTasks, make_connect_client
from task_creator.adapters.dead_letters import DeadLetterQueue
from task_creator.adapters.event_bus import OutcomeEventBus
from task_creator.adapters.ingest_queue import IngestQueue
from task_creator.adapters.ledger import TaskLedger
from task_creator.adapters.task_registry import TaskRegistry
from task_creator.backoff import RetryBackoff
from task_creator.batch import SqsBatchRunner
from task_creator.creator import TaskCreator
from task_creator.lifecycle import TaskLifecycle
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import TaskMapping, load_mapping
from task_creator.observability import TaskMetrics
from task_creator.outcome_publisher import OutcomePublisher
from task_creator.rate_limit import TokenBucket
from task_creator.records import ConnectCalls, PlanningSettings
from task_creator.settings import Settings
from task_creator.time_budget import AWS_CALL_BUDGET, deadline_margin_seconds

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient

AWS_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": AWS_CALL_BUDGET.max_attempts},
    connect_timeout=AWS_CALL_BUDGET.connect_timeout_seconds,
    read_timeout=AWS_CALL_BUDGET.read_timeout_seconds,
)


@dataclass
class Dependencies:
    settings: Settings
    creator: TaskCreator
    batch: SqsBatchRunner
    metrics: TaskMetrics
    ledger: TaskLedger | None
    # How long before Lambda's timeout no new work starts (the mapping's rules decide how many calls).
    deadline_margin_seconds: float


def _events_client() -> EventBridgeClient:
    return boto3.client("events", config=AWS_CLIENT_CONFIG)


@dataclass
class AwsClients:
    """The AWS clients the function uses; each built lazily only if needed."""

    connect: ConnectCalls
    sqs: SQSClient
    dynamodb: Callable[[], DynamoDBClient]
    events: Callable[[], EventBridgeClient] = field(default=_events_client)


def default_clients(settings: Settings) -> AwsClients:
    return AwsClients(
        connect=ConnectTasks(
            make_connect_client(AWS_CLIENT_CONFIG, max_pool_connections=settings.max_parallel_calls)
        ),
        sqs=boto3.client("sqs", config=AWS_CLIENT_CONFIG),
        dynamodb=lambda: boto3.client(
            "dynamodb",
            config=AWS_CLIENT_CONFIG.merge(Config(max_pool_connections=settings.max_parallel_calls)),
        ),
    )


def build_dependencies(
    settings: Settings,
    *,
    clients: AwsClients | None = None,
    mapping: TaskMapping | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Dependencies:
    """Wire everything from ``settings``; ``clients``/``mapping``/``clock`` override what would be
    built (the offline runtime and the tests hand in their own)."""
    clients = clients or default_clients(settings)
    mapping = mapping or load_mapping(settings.mapping_file)
    settings.check_mapping(mapping)
    metrics = TaskMetrics(namespace=settings.metrics_namespace, service=settings.service_name)
    ledger = (
        TaskLedger(
            settings.idempotency_table,
            dynamodb_client=clients.dynamodb(),
            key_prefix=settings.token_namespace,
            expiry=settings.idempotency_expiry,
        )
        if settings.idempotency_table
        else None
    )
    creator = TaskCreator(
        mapping=mapping,
        planning=PlanningSettings(
            defaults=TaskDefaults(
                instance_id=settings.connect_instance_id, contact_flow_id=settings.contact_flow_id
            ),
            token_namespace=settings.token_namespace,
            schedule_window=settings.schedule_window,
        ),
        connect=clients.connect,
        metrics=metrics,
        ledger=ledger,
        dead_letters=DeadLetterQueue(clients.sqs, settings.dlq_url) if settings.dlq_url else None,
        fifo_dead_letters=DeadLetterQueue(clients.sqs, settings.fifo_dlq_url)
        if settings.fifo_dlq_url
        else None,
        ingest_queue=IngestQueue(clients.sqs),
        limiter=TokenBucket(settings.connect_calls_per_second) if settings.connect_calls_per_second else None,
        backoff=RetryBackoff(settings.retry_base_delay_seconds, settings.retry_max_delay_seconds),
        max_receive_count=settings.max_receive_count,
        lifecycle=_lifecycle(settings, clients, clock) if mapping.has_lifecycle_rules else None,
        outcomes=_outcome_publisher(settings, clients, metrics),
        clock=clock,
    )
    executor = ThreadPoolExecutor(max_workers=settings.max_parallel_calls, thread_name_prefix="task-creator")
    return Dependencies(
        settings=settings,
        creator=creator,
        batch=SqsBatchRunner(creator, executor),
        metrics=metrics,
        ledger=ledger,
        deadline_margin_seconds=deadline_margin_seconds(lifecycle=mapping.has_lifecycle_rules),
    )


def _outcome_publisher(
    settings: Settings, clients: AwsClients, metrics: TaskMetrics
) -> OutcomePublisher | None:
    """Outcome events on OUTCOME_EVENT_BUS; none (and no EventBridge client) when it is not set."""
    if not settings.outcome_event_bus:
        return None
    return OutcomePublisher(
        OutcomeEventBus(clients.events()),
        source=settings.outcome_source,
        event_bus_name=settings.outcome_event_bus,
        metrics=metrics,
    )


def _lifecycle(
    settings: Settings, clients: AwsClients, clock: Callable[[], datetime] | None
) -> TaskLifecycle:
    assert settings.idempotency_table is not None  # checked above
    registry = TaskRegistry(
        settings.idempotency_table,
        dynamodb_client=clients.dynamodb(),
        key_prefix=settings.token_namespace,
        expiry=settings.idempotency_expiry,
    )
    return TaskLifecycle(
        registry=registry,
        connect=clients.connect,
        instance_id=settings.connect_instance_id,
        clock=clock or (lambda: datetime.now(UTC)),
        schedule_window=settings.schedule_window,
    )
