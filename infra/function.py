"""The Lambda function: its code asset, settings, event source, failure destination and permissions.

The role starts empty (no AWS managed policy) and gets exactly: write to its own log group, consume the
ingest queue, send to the DLQ(s), the ledger's four item actions, ``connect:StartTaskContact`` on the
resources the mapping names (see connect_permissions.py), and X-Ray when tracing is on.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import AssetHashType, BundlingOptions, DockerVolume, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import LAMBDA_ROOT
from infra.bundling import (
    AssetSources,
    LambdaPlatform,
    LocalPythonBundling,
    asset_fingerprint,
    docker_fallback_command,
)
from infra.connect_permissions import ConnectGrant
from infra.ingest import DLQ_RETENTION, IngestQueues

HANDLER = "task_creator.handler.lambda_handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
PLATFORM = LambdaPlatform(pip_platform="manylinux2014_aarch64", python_version="3.14")
MEMORY_MB = 512
TIMEOUT = Duration.seconds(30)
VISIBILITY_TIMEOUT_FACTOR = 6  # AWS's guidance for SQS event sources: at least 6x the function timeout
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)
REPLAY_MARGIN_DAYS = 7
# The ledger must remember a task for as long as its event can come back: DLQ retention plus replay time.
IDEMPOTENCY_EXPIRY_DAYS = int(DLQ_RETENTION.to_days()) + REPLAY_MARGIN_DAYS
METRICS_NAMESPACE = "TaskCreator"


def visibility_timeout_for(batching_window_seconds: int) -> Duration:
    """The ingest queue's visibility timeout: 6x the function timeout plus the batching window."""
    return Duration.seconds(int(TIMEOUT.to_seconds()) * VISIBILITY_TIMEOUT_FACTOR + batching_window_seconds)


@dataclass(frozen=True)
class FunctionSettings:
    """The deployment-specific part of the function's configuration."""

    connect_instance_id: str
    contact_flow_id: str | None
    asset_sources: AssetSources
    token_namespace: str
    service_name: str
    max_parallel_calls: int
    connect_calls_per_second: float | None
    log_level: str
    batch_size: int
    max_batching_window_seconds: int
    max_concurrency: int
    tracing: bool


class TaskCreatorFunction(Construct):
    """The function, wired to the ingest queue, with the async failure destination and least privilege."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: FunctionSettings,
        queues: IngestQueues,
        connect_grant: ConnectGrant,
        ledger_table_name: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Task Creator function: consume the ingest queue, start Connect tasks, dead-letter",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Turns upstream events into Amazon Connect tasks (StartTaskContact)",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=_code_asset(settings.asset_sources),
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE if settings.tracing else lambda_.Tracing.DISABLED,
            environment=_environment(settings, queues, ledger_table_name),
        )
        self.log_group.grant_write(self.role)
        self.function.add_event_source(
            event_sources.SqsEventSource(
                queues.queue,
                batch_size=settings.batch_size,
                max_batching_window=(
                    Duration.seconds(settings.max_batching_window_seconds)
                    if settings.max_batching_window_seconds
                    else None
                ),
                max_concurrency=settings.max_concurrency,
                report_batch_item_failures=True,
            )
        )
        # For a rule wired straight to the function (async invocation): bounded retries, then the DLQ.
        self.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(queues.delivery_dead_letter_queue),
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
        )
        if queues.has_separate_delivery_queue:  # FIFO: the function's own DLQ is not the destination
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["sqs:SendMessage"], resources=[queues.dead_letter_queue.queue_arn]
                )
            )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["connect:StartTaskContact"],
                resources=[_connect_arn(self, path) for path in connect_grant.resources],
            )
        )

    @property
    def function_name(self) -> str:
        return self.function.function_name


def _environment(
    settings: FunctionSettings, queues: IngestQueues, ledger_table_name: str | None
) -> dict[str, str]:
    environment = {
        "CONNECT_INSTANCE_ID": settings.connect_instance_id,
        "DLQ_URL": queues.dead_letter_queue.queue_url,
        "MAX_PARALLEL_CALLS": str(settings.max_parallel_calls),
        "TOKEN_NAMESPACE": settings.token_namespace,
        "POWERTOOLS_SERVICE_NAME": settings.service_name,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": settings.log_level,
        "POWERTOOLS_TRACE_DISABLED": "false" if settings.tracing else "true",
    }
    if settings.contact_flow_id:
        environment["CONNECT_CONTACT_FLOW_ID"] = settings.contact_flow_id
    if ledger_table_name is not None:
        environment["IDEMPOTENCY_TABLE"] = ledger_table_name
        environment["IDEMPOTENCY_EXPIRY_DAYS"] = str(IDEMPOTENCY_EXPIRY_DAYS)
    if settings.connect_calls_per_second is not None:
        environment["CONNECT_CALLS_PER_SECOND"] = f"{settings.connect_calls_per_second:g}"
    return environment


def _code_asset(sources: AssetSources) -> lambda_.Code:
    mapping_dir = sources.mapping_file.parent
    return lambda_.Code.from_asset(
        str(LAMBDA_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_fingerprint(sources, PLATFORM),
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            platform="linux/arm64",
            local=LocalPythonBundling(sources, PLATFORM),
            command=docker_fallback_command(),
            environment={"MAPPING_FILE_NAME": sources.mapping_file.name},
            volumes=[DockerVolume(host_path=str(mapping_dir), container_path="/mapping")],
        ),
    )


def _connect_arn(scope: Construct, path: str) -> str:
    """arn:<partition>:connect:<region>:<account>:<path> for a path like instance/<id>/contact-flow/<id>."""
    stack = Stack.of(scope)
    return f"arn:{stack.partition}:connect:{stack.region}:{stack.account}:{path}"
