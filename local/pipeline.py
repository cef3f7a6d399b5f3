"""One deployment of Task Creator, offline: the stack's topology on embedded AWS, the real function with
the environment the stack gives it, and the SQS event sources that feed it (one per ingest queue: the
standard one, and with ``fifo`` the FIFO one too, as the stack wires two event source mappings).

    with EmbeddedAws() as aws, ConnectEmulator() as connect:
        pipeline = LocalPipeline.provision(aws, connect.endpoint_url, config)
        ... publish ...
        pipeline.drain(timeout_seconds=30)

The function's collaborators are built by its own ``build_dependencies`` from ``Settings.from_environ``
of that environment, while ``AWS_ENDPOINT_URL`` points at moto and ``AWS_ENDPOINT_URL_CONNECT`` at the
emulator, so its boto3 clients are the production ones, aimed at loopback.

Two local departures from AWS, both for speed and both explicit in ``PipelineOptions``: the ingest
queues' visibility timeout (the stack's is 6x the derived function timeout, 1,332 s with the defaults),
and the function's retry backoff, which is set the way a user would set it, through its environment
(``RETRY_BASE_DELAY_SECONDS`` / ``RETRY_MAX_DELAY_SECONDS``; the stack keeps the function's defaults,
10 s doubling up to 15 min; offline 1 s, so retries and the last attempt's dead letter happen in
seconds). Tracing is off (there is no X-Ray offline). The invocation's timeout is the stack's, derived
from the same configuration and mapping (``infra.stack_values.function_timeout_seconds``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from infra.config import TaskCreatorConfig
from infra.stack_values import function_environment
from local.aws import EmbeddedAws, offline_environment, patched_environ
from local.event_source import DrainReport, EventSourceMapping, SqsEventSource, drain
from local.lambda_context import LocalLambdaContext
from local.topology import Topology, provision_topology
from task_creator.dependencies import Dependencies, build_dependencies
from task_creator.handler import lambda_handler
from task_creator.mapping.rules import TaskMapping, load_mapping
from task_creator.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_sqs import SQSClient

    from local.event_source import BatchResult

OFFLINE_RETRY_DELAY_SECONDS = 1


@dataclass(frozen=True)
class PipelineOptions:
    """How the offline pipeline departs from AWS to run fast."""

    visibility_timeout_seconds: int | None = 5  # None: the stack's (6x the function timeout + window)
    # The function's RETRY_BASE_DELAY_SECONDS / RETRY_MAX_DELAY_SECONDS; None: left unset (its defaults).
    retry_base_delay_seconds: int | None = OFFLINE_RETRY_DELAY_SECONDS
    retry_max_delay_seconds: int | None = OFFLINE_RETRY_DELAY_SECONDS
    function_timeout_seconds: float | None = None  # None: the stack's, derived from the deployment


def offline_function_environment(
    config: TaskCreatorConfig, topology: Topology, options: PipelineOptions
) -> dict[str, str]:
    """The function's environment as the stack sets it (``infra.stack_values.function_environment``),
    plus the mapping file (the stack bundles it into the asset instead), tracing off, and the options'
    retry backoff."""
    environment = {
        **function_environment(
            config,
            dlq_url=topology.dead_letter_queue.url,
            fifo_dlq_url=topology.fifo_dead_letter_queue.url if topology.fifo_dead_letter_queue else None,
            ledger_table_name=topology.ledger_table,
        ),
        "MAPPING_FILE": str(config.mapping_file),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    if options.retry_base_delay_seconds is not None:
        environment["RETRY_BASE_DELAY_SECONDS"] = str(options.retry_base_delay_seconds)
    if options.retry_max_delay_seconds is not None:
        environment["RETRY_MAX_DELAY_SECONDS"] = str(options.retry_max_delay_seconds)
    return environment


class LocalPipeline:
    """A provisioned deployment: its topology, the function's collaborators and its event sources."""

    def __init__(
        self,
        *,
        config: TaskCreatorConfig,
        mapping: TaskMapping,
        topology: Topology,
        environment: dict[str, str],
        dependencies: Dependencies,
        sqs: SQSClient,
        options: PipelineOptions,
    ) -> None:
        self.config = config
        self.mapping = mapping
        self.topology = topology
        self.environment = environment
        self.dependencies = dependencies
        self.options = options
        self.event_sources = tuple(
            SqsEventSource(sqs, mapping, self.invoke, new_context=self.new_context)
            for mapping in _event_source_mappings(config, topology)
        )
        self.event_source = self.event_sources[0]  # the standard ingest queue's

    @classmethod
    def provision(
        cls,
        aws: EmbeddedAws,
        connect_endpoint_url: str,
        config: TaskCreatorConfig,
        options: PipelineOptions | None = None,
    ) -> LocalPipeline:
        """Provision the stack's resources for ``config`` and build the function against them."""
        options = options or PipelineOptions()
        mapping = load_mapping(config.mapping_file)
        topology = provision_topology(
            aws, config, mapping, visibility_timeout_seconds=options.visibility_timeout_seconds
        )
        environment = offline_function_environment(config, topology, options)
        return cls(
            config=config,
            mapping=mapping,
            topology=topology,
            environment=environment,
            dependencies=build_function(environment, aws.endpoint_url, connect_endpoint_url),
            sqs=aws.sqs(),
            options=options,
        )

    def invoke(self, event: dict[str, Any], context: LocalLambdaContext) -> Any:
        """The real handler with this deployment's collaborators. The local context has the shape of
        Lambda's (duck-typed, as Powertools' own test fixtures are)."""
        return lambda_handler(event, cast("LambdaContext", context), dependencies=self.dependencies)

    def drain(
        self, *, timeout_seconds: float, on_batch: Callable[[BatchResult], None] | None = None
    ) -> DrainReport:
        """Run the event sources until every ingest queue is empty with nothing in flight."""
        return drain(self.event_sources, timeout_seconds=timeout_seconds, on_batch=on_batch)

    @property
    def function_timeout_seconds(self) -> float:
        """The invocation's timeout: the options' override, else the stack's derived one."""
        if self.options.function_timeout_seconds is not None:
            return self.options.function_timeout_seconds
        return self.topology.function_timeout_seconds

    def new_context(self) -> LocalLambdaContext:
        """A fresh Lambda context for one invocation of this deployment's function."""
        return LocalLambdaContext(
            function_name=self.config.stack_name, timeout_seconds=self.function_timeout_seconds
        )


def build_function(
    environment: dict[str, str], aws_endpoint_url: str, connect_endpoint_url: str
) -> Dependencies:
    """The function's collaborators, built by its own code from its environment, aimed at loopback."""
    with patched_environ({**offline_environment(aws_endpoint_url, connect_endpoint_url), **environment}):
        return build_dependencies(Settings.from_environ(environment))


def _event_source_mappings(config: TaskCreatorConfig, topology: Topology) -> list[EventSourceMapping]:
    """One event source mapping per ingest queue, with the stack's batch size and batching window."""
    return [
        EventSourceMapping(
            queue_url=lane.queue.url,
            queue_arn=lane.queue.arn,
            batch_size=config.batch_size,
            visibility_timeout_seconds=topology.visibility_timeout_seconds,
            maximum_batching_window_seconds=config.max_batching_window_seconds,
        )
        for lane in topology.lanes
    ]
