"""One deployment on the benchmark's peers: ``local.pipeline.LocalPipeline`` on ``MotoProcess``.

``LocalPipeline.provision`` builds the function's environment for one moto endpoint; the benchmark's moto
serves DynamoDB from a second process, so the environment gets ``AWS_ENDPOINT_URL_DYNAMODB`` on top.
The offline-only rule that copies the outcome events to a queue loses its target (see
``function_environment``). Everything else is the pipeline's: the stack's topology
(``provision_topology``), the function's environment as the stack sets it
(``offline_function_environment``), the function built by its own ``build_dependencies`` from that
environment (``build_function``), the event sources and the contexts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from benchmarks.peers import MotoProcess
from infra.config import TaskCreatorConfig
from local.event_source import Invoker
from local.lambda_context import LocalLambdaContext
from local.pipeline import LocalPipeline, PipelineOptions, build_function, offline_function_environment
from local.topology import Topology, provision_topology
from task_creator.dependencies import Dependencies
from task_creator.handler import lambda_handler
from task_creator.mapping.rules import load_mapping

# The stack derives each container's CONNECT_CALLS_PER_SECOND from its fleet-wide Connect budget
# (``workload.FLEET_RATE_CONTEXT_KEY``) and maxConcurrency.
CONTAINER_RATE_VARIABLE = "CONNECT_CALLS_PER_SECOND"


@dataclass(frozen=True)
class ContainerRate:
    """Each container's Connect rate, and who set it."""

    calls_per_second: float | None
    set_by: str  # "the stack" or "the benchmark"


def function_environment(
    aws: MotoProcess,
    config: TaskCreatorConfig,
    options: PipelineOptions,
    *,
    fleet_rate: float | None = None,
) -> tuple[Topology, dict[str, str], ContainerRate]:
    """The deployment's topology on ``aws`` and the function's environment there. With ``fleet_rate``
    the stack was given it (``workload.FLEET_RATE_CONTEXT_KEY``) and derived each container's rate."""
    mapping = load_mapping(config.mapping_file)
    topology = provision_topology(
        aws, config, mapping, visibility_timeout_seconds=options.visibility_timeout_seconds
    )
    if topology.outcomes is not None:
        # The offline runtime's own rule delivering outcome events to a queue (a consumer's part, not the
        # stack's): moto delivers to its target inside PutEvents, ~8 ms per event, which AWS does after
        # answering (and moto ignores a disabled rule's state). Without its target, PutEvents costs the
        # function what it costs on AWS: one call accepting the events.
        route, events = topology.outcomes, aws.events()
        targets = events.list_targets_by_rule(Rule=route.rule_name, EventBusName=route.event_bus_name)
        ids = [target["Id"] for target in targets["Targets"]]
        events.remove_targets(Rule=route.rule_name, EventBusName=route.event_bus_name, Ids=ids)
    environment = {**offline_function_environment(config, topology, options), **aws.function_endpoints()}
    rate = ContainerRate(None, "the stack")
    if fleet_rate is not None:
        rate = ContainerRate(float(environment[CONTAINER_RATE_VARIABLE]), "the stack")
    return topology, environment, rate


def provision(
    aws: MotoProcess,
    connect_endpoint_url: str,
    config: TaskCreatorConfig,
    options: PipelineOptions | None = None,
    *,
    fleet_rate: float | None = None,
) -> tuple[LocalPipeline, ContainerRate]:
    """The deployment (see ``function_environment``), its function built once: the first container."""
    options = options or PipelineOptions()
    topology, environment, rate = function_environment(aws, config, options, fleet_rate=fleet_rate)
    pipeline = LocalPipeline(
        config=config,
        mapping=load_mapping(config.mapping_file),
        topology=topology,
        environment=environment,
        dependencies=build_function(environment, aws.endpoint_url, connect_endpoint_url),
        sqs=aws.sqs(),
        options=options,
    )
    return pipeline, rate


def container(pipeline: LocalPipeline, aws: MotoProcess, connect_endpoint_url: str) -> Dependencies:
    """Another container of the same function: its own clients, thread pool, metrics and limiter."""
    return build_function(pipeline.environment, aws.endpoint_url, connect_endpoint_url)


def handler_invoker(dependencies: Dependencies) -> Invoker:
    """The real handler with one container's collaborators."""

    def invoke(event: dict[str, Any], context: LocalLambdaContext) -> Any:
        return lambda_handler(event, cast("LambdaContext", context), dependencies=dependencies)

    return invoke
