"""The offline runtime provisions what the CDK stack deploys, from the same configuration and mapping."""

from __future__ import annotations

import json
from datetime import timedelta

from infra.event_pattern import bus_event_pattern
from infra.stack_values import (
    BUS_DELIVERY_MAX_EVENT_AGE,
    BUS_DELIVERY_RETRY_ATTEMPTS,
    DLQ_RETENTION,
    FIFO_MESSAGE_GROUP,
    IDEMPOTENCY_EXPIRY,
    INGEST_RETENTION,
    LEDGER_PARTITION_KEY,
    LEDGER_TTL_ATTRIBUTE,
    ingest_visibility_timeout_seconds,
    whole_seconds,
)
from local.aws import EmbeddedAws
from local.pipeline import PipelineOptions, offline_function_environment
from local.topology import provision_topology
from task_creator.backoff import BASE_DELAY_SECONDS, MAX_DELAY_SECONDS
from task_creator.mapping.rules import load_mapping
from task_creator.settings import Settings
from tests.integration.pipeline_support import deployment_config
from tests.support import SHIPPED_MAPPING_FILE


def test_standard_deployment_has_the_stacks_queues_rule_and_ledger(embedded_aws: EmbeddedAws) -> None:
    config = deployment_config(maxReceiveCount=3)
    mapping = load_mapping(SHIPPED_MAPPING_FILE)

    topology = provision_topology(embedded_aws, config, mapping)

    sqs, events, dynamodb = embedded_aws.sqs(), embedded_aws.events(), embedded_aws.dynamodb()
    ingest = sqs.get_queue_attributes(QueueUrl=topology.ingest_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert topology.ingest_queue.name == "TaskCreator-ingest"
    assert json.loads(ingest["RedrivePolicy"]) == {
        "deadLetterTargetArn": topology.dead_letter_queue.arn,
        "maxReceiveCount": 3,
    }
    assert ingest["VisibilityTimeout"] == "180"  # 6 x the 30 s function timeout
    assert ingest["VisibilityTimeout"] == str(ingest_visibility_timeout_seconds(0))
    assert ingest["MessageRetentionPeriod"] == str(whole_seconds(INGEST_RETENTION))
    dlq = sqs.get_queue_attributes(QueueUrl=topology.dead_letter_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert topology.dead_letter_queue.name == "TaskCreator-dlq"
    assert dlq["MessageRetentionPeriod"] == str(whole_seconds(DLQ_RETENTION))
    rule = events.describe_rule(Name=topology.rule_name, EventBusName="default")
    assert json.loads(rule["EventPattern"]) == bus_event_pattern(mapping)
    (target,) = events.list_targets_by_rule(Rule=topology.rule_name, EventBusName="default")["Targets"]
    assert target["Arn"] == topology.ingest_queue.arn
    assert target["RetryPolicy"] == {
        "MaximumRetryAttempts": BUS_DELIVERY_RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": whole_seconds(BUS_DELIVERY_MAX_EVENT_AGE),
    }
    assert "SqsParameters" not in target
    table = dynamodb.describe_table(TableName=str(topology.ledger_table))["Table"]
    assert table["KeySchema"] == [{"AttributeName": LEDGER_PARTITION_KEY, "KeyType": "HASH"}]
    ttl = dynamodb.describe_time_to_live(TableName=str(topology.ledger_table))["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", LEDGER_TTL_ATTRIBUTE)


def test_fifo_deployment_has_fifo_queues_a_standard_delivery_dlq_and_a_grouped_target(
    embedded_aws: EmbeddedAws,
) -> None:
    config = deployment_config(fifo=True, stackName="Shipping", createEventBus=True)

    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))

    sqs, events = embedded_aws.sqs(), embedded_aws.events()
    assert (topology.ingest_queue.name, topology.dead_letter_queue.name) == (
        "Shipping-ingest.fifo",
        "Shipping-dlq.fifo",
    )
    ingest = sqs.get_queue_attributes(QueueUrl=topology.ingest_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert (ingest["FifoQueue"], ingest["ContentBasedDeduplication"]) == ("true", "true")
    assert topology.delivery_dead_letter_queue.name == "Shipping-delivery-dlq"
    assert topology.event_bus_name == "Shipping-events"
    (target,) = events.list_targets_by_rule(Rule=topology.rule_name, EventBusName="Shipping-events")[
        "Targets"
    ]
    assert target["SqsParameters"] == {"MessageGroupId": FIFO_MESSAGE_GROUP}
    assert target["DeadLetterConfig"] == {"Arn": topology.delivery_dead_letter_queue.arn}


def test_no_ledger_table_without_idempotency(embedded_aws: EmbeddedAws) -> None:
    config = deployment_config(idempotency=False)

    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))

    assert topology.ledger_table is None
    assert "IDEMPOTENCY_TABLE" not in offline_function_environment(config, topology, PipelineOptions())


def test_function_gets_the_settings_the_stack_gives_it(embedded_aws: EmbeddedAws) -> None:
    config = deployment_config(connectCallsPerSecond=2.5, maxParallelCalls=3)
    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))

    settings = Settings.from_environ(offline_function_environment(config, topology, PipelineOptions()))

    assert settings.dlq_url == topology.dead_letter_queue.url
    assert settings.idempotency_table == topology.ledger_table
    assert settings.idempotency_expiry == IDEMPOTENCY_EXPIRY == timedelta(days=21)
    assert settings.token_namespace == config.token_namespace == "TaskCreator"
    assert (settings.max_parallel_calls, settings.connect_calls_per_second) == (3, 2.5)
    assert settings.contact_flow_id == config.contact_flow_id
    assert settings.mapping_file == config.mapping_file
    assert settings.tracing_enabled is False


def test_offline_retry_backoff_is_set_through_the_functions_environment(embedded_aws: EmbeddedAws) -> None:
    config = deployment_config()
    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))
    options = PipelineOptions(retry_base_delay_seconds=2, retry_max_delay_seconds=3)

    environment = offline_function_environment(config, topology, options)
    settings = Settings.from_environ(environment)

    assert (environment["RETRY_BASE_DELAY_SECONDS"], environment["RETRY_MAX_DELAY_SECONDS"]) == ("2", "3")
    assert (settings.retry_base_delay_seconds, settings.retry_max_delay_seconds) == (2, 3)


def test_without_backoff_options_the_function_keeps_its_own_backoff(embedded_aws: EmbeddedAws) -> None:
    config = deployment_config()
    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))
    options = PipelineOptions(retry_base_delay_seconds=None, retry_max_delay_seconds=None)

    environment = offline_function_environment(config, topology, options)
    settings = Settings.from_environ(environment)

    assert "RETRY_BASE_DELAY_SECONDS" not in environment
    assert "RETRY_MAX_DELAY_SECONDS" not in environment
    assert (settings.retry_base_delay_seconds, settings.retry_max_delay_seconds) == (
        BASE_DELAY_SECONDS,
        MAX_DELAY_SECONDS,
    )
