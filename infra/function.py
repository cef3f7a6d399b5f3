"""The Lambda function: its code asset, settings, event sources, failure destination and permissions.

One function consumes every ingest queue (the standard one, and the FIFO one with ``fifo=true``): one
SQS event source per queue, each with ``ReportBatchItemFailures``. Its timeout is derived from the
deployment (``stack_values.function_timeout_seconds``), not fixed.

The role starts empty (no AWS managed policy) and gets exactly: write to its own log group, consume the
ingest queues, send to the DLQs (``SendMessage``, ``GetQueueAttributes``, ``GetQueueUrl``), the ledger's
four item actions, ``connect:StartTaskContact`` on the resources the mapping names (see
connect_permissions.py), and X-Ray when tracing is on. The stack adds the lifecycle rules' Connect
actions and, with ``outcomeEvents``, ``events:PutEvents`` on the outcome bus only.
"""

from __future__ import annotations

from aws_cdk import AssetHashType, BundlingOptions, DockerVolume, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundling import (
    LAMBDA_PLATFORM,
    AssetSources,
    LocalPythonBundling,
    asset_fingerprint,
    docker_fallback_command,
)
from infra.config import TaskCreatorConfig
from infra.connect_permissions import ConnectGrant
from infra.ingest import IngestQueues
from infra.paths import LAMBDA_ROOT
from infra.stack_values import FUNCTION_MEMORY_MB, function_environment

HANDLER = "task_creator.handler.lambda_handler"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)


class TaskCreatorFunction(Construct):
    """The function, wired to every ingest queue, with the async failure destination and least privilege."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TaskCreatorConfig,
        queues: IngestQueues,
        connect_grant: ConnectGrant,
        ledger_table_name: str | None,
        timeout_seconds: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.timeout_seconds = timeout_seconds
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Task Creator function: consume the ingest queues, start Connect tasks, dead-letter",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="Turns upstream events into Amazon Connect tasks (StartTaskContact)",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=_code_asset(AssetSources(mapping_file=config.mapping_file)),
            memory_size=FUNCTION_MEMORY_MB,
            timeout=Duration.seconds(timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE if config.tracing else lambda_.Tracing.DISABLED,
            environment=function_environment(
                config,
                dlq_url=queues.dead_letter_queue.queue_url,
                fifo_dlq_url=queues.fifo_lane.dead_letter_queue.queue_url if queues.fifo_lane else None,
                ledger_table_name=ledger_table_name,
            ),
        )
        self.log_group.grant_write(self.role)
        for lane in queues.lanes:
            self.function.add_event_source(
                event_sources.SqsEventSource(
                    lane.queue,
                    batch_size=config.batch_size,
                    max_batching_window=(
                        Duration.seconds(config.max_batching_window_seconds)
                        if config.max_batching_window_seconds and not lane.fifo
                        else None
                    ),
                    max_concurrency=config.max_concurrency,
                    report_batch_item_failures=True,
                )
            )
            # Permanent failures and exhausted attempts (and, for the standard DLQ, the async destination).
            lane.dead_letter_queue.grant_send_messages(self.role)
        # For a rule wired straight to the function (async invocation): bounded retries, then the DLQ.
        self.function.configure_async_invoke(
            on_failure=destinations.SqsDestination(queues.dead_letter_queue),
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
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


def _code_asset(sources: AssetSources) -> lambda_.Code:
    mapping_dir = sources.mapping_file.parent
    return lambda_.Code.from_asset(
        str(LAMBDA_ROOT),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_fingerprint(sources, LAMBDA_PLATFORM),
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            platform="linux/arm64",
            local=LocalPythonBundling(sources, LAMBDA_PLATFORM),
            command=docker_fallback_command(),
            environment={"MAPPING_FILE_NAME": sources.mapping_file.name},
            volumes=[DockerVolume(host_path=str(mapping_dir), container_path="/mapping")],
        ),
    )


def _connect_arn(scope: Construct, path: str) -> str:
    """arn:<partition>:connect:<region>:<account>:<path> for a path like instance/<id>/contact-flow/<id>."""
    stack = Stack.of(scope)
    return f"arn:{stack.partition}:connect:{stack.region}:{stack.account}:{path}"
