"""The offline runtime provisions what the CDK stack deploys, from the same configuration and mapping."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from infra.event_pattern import BusRuleError, bus_event_pattern, plan_bus_rules
from infra.stack_values import (
    BUS_DELIVERY_MAX_EVENT_AGE,
    BUS_DELIVERY_RETRY_ATTEMPTS,
    DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES,
    DLQ_RETENTION,
    IDEMPOTENCY_EXPIRY,
    INGEST_MAX_MESSAGE_SIZE_BYTES,
    INGEST_RETENTION,
    LEDGER_PARTITION_KEY,
    LEDGER_TTL_ATTRIBUTE,
    REDRIVE_BACKSTOP_RECEIVES,
    function_timeout_seconds,
    ingest_visibility_timeout_seconds,
    whole_seconds,
)
from local.aws import EmbeddedAws
from local.connect_emulator import ConnectEmulator
from local.pipeline import LocalPipeline, PipelineOptions, offline_function_environment
from local.topology import provision_topology
from task_creator.backoff import BASE_DELAY_SECONDS, MAX_DELAY_SECONDS
from task_creator.mapping.patterns import EventPattern
from task_creator.mapping.rules import load_mapping
from task_creator.settings import Settings
from tests.infra.generated_mappings import generated_mapping, sample_events, write_generated_mapping
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
        "maxReceiveCount": 3 + REDRIVE_BACKSTOP_RECEIVES,  # above the function's 3 attempts
    }
    assert topology.function_timeout_seconds == function_timeout_seconds(
        config, rule_count=len(mapping.rules)
    )
    assert topology.function_timeout_seconds == 222  # the stack's, for cdk.json's defaults
    assert ingest["VisibilityTimeout"] == "1332"  # 6 x the 222 s function timeout
    assert ingest["VisibilityTimeout"] == str(ingest_visibility_timeout_seconds(222, 0))
    assert ingest["MessageRetentionPeriod"] == str(whole_seconds(INGEST_RETENTION))
    assert ingest["MaximumMessageSize"] == str(INGEST_MAX_MESSAGE_SIZE_BYTES)
    dlq = sqs.get_queue_attributes(QueueUrl=topology.dead_letter_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert topology.dead_letter_queue.name == "TaskCreator-dlq"
    assert dlq["MessageRetentionPeriod"] == str(whole_seconds(DLQ_RETENTION))
    assert dlq["MaximumMessageSize"] == str(DEAD_LETTER_MAX_MESSAGE_SIZE_BYTES)
    assert (topology.fifo_ingest_queue, topology.fifo_dead_letter_queue) == (None, None)
    (only_rule,) = topology.bus_rules
    assert only_rule.name == topology.rule_name == "TaskCreator-bus-rule"
    rule = events.describe_rule(Name=topology.rule_name, EventBusName="default")
    assert json.loads(rule["EventPattern"]) == bus_event_pattern(mapping) == topology.event_pattern
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


def test_fifo_deployment_adds_a_fifo_pair_and_the_bus_still_targets_the_standard_queue(
    embedded_aws: EmbeddedAws,
) -> None:
    config = deployment_config(fifo=True, stackName="Shipping", createEventBus=True, maxReceiveCount=4)

    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))

    sqs, events = embedded_aws.sqs(), embedded_aws.events()
    assert topology.fifo_ingest_queue is not None
    assert topology.fifo_dead_letter_queue is not None
    assert [(lane.queue.name, lane.dead_letter_queue.name) for lane in topology.lanes] == [
        ("Shipping-ingest", "Shipping-dlq"),
        ("Shipping-ingest.fifo", "Shipping-dlq.fifo"),
    ]
    standard = sqs.get_queue_attributes(QueueUrl=topology.ingest_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert "FifoQueue" not in standard
    fifo = sqs.get_queue_attributes(QueueUrl=topology.fifo_ingest_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert (fifo["FifoQueue"], fifo["ContentBasedDeduplication"]) == ("true", "true")
    assert json.loads(fifo["RedrivePolicy"]) == {
        "deadLetterTargetArn": topology.fifo_dead_letter_queue.arn,
        "maxReceiveCount": 4 + REDRIVE_BACKSTOP_RECEIVES,
    }
    assert (
        fifo["VisibilityTimeout"]
        == standard["VisibilityTimeout"]
        == str(6 * topology.function_timeout_seconds)
    )
    fifo_dlq = sqs.get_queue_attributes(QueueUrl=topology.fifo_dead_letter_queue.url, AttributeNames=["All"])[
        "Attributes"
    ]
    assert fifo_dlq["FifoQueue"] == "true"
    assert topology.event_bus_name == "Shipping-events"
    (target,) = events.list_targets_by_rule(Rule=topology.rule_name, EventBusName="Shipping-events")[
        "Targets"
    ]
    assert target["Arn"] == topology.ingest_queue.arn
    assert target["DeadLetterConfig"] == {"Arn": topology.dead_letter_queue.arn}
    assert "SqsParameters" not in target  # no fixed message group anywhere


def test_fifo_deployment_feeds_both_ingest_queues_to_the_function(
    embedded_aws: EmbeddedAws, connect_emulator: ConnectEmulator
) -> None:
    config = deployment_config(fifo=True, stackName="Shipping", createEventBus=True)

    pipeline = LocalPipeline.provision(embedded_aws, connect_emulator.endpoint_url, config)

    assert [source.mapping.queue_arn for source in pipeline.event_sources] == [
        lane.queue.arn for lane in pipeline.topology.lanes
    ]
    assert pipeline.event_source is pipeline.event_sources[0]
    # the shipped mapping's 10 rules with task keys; a FIFO batch in order at each container's rate
    expected = function_timeout_seconds(config, rule_count=10, lifecycle=True)
    assert pipeline.function_timeout_seconds == pipeline.topology.function_timeout_seconds == expected
    assert pipeline.new_context().get_remaining_time_in_millis() > (expected - 1) * 1000


def test_fifo_deployment_gives_the_function_the_fifo_dlq(embedded_aws: EmbeddedAws) -> None:
    config = deployment_config(fifo=True, stackName="Shipping")
    topology = provision_topology(embedded_aws, config, load_mapping(SHIPPED_MAPPING_FILE))
    assert topology.fifo_dead_letter_queue is not None

    environment = offline_function_environment(config, topology, PipelineOptions())

    assert environment["DLQ_URL"] == topology.dead_letter_queue.url
    assert environment["FIFO_DLQ_URL"] == topology.fifo_dead_letter_queue.url


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
    assert settings.max_receive_count == config.max_receive_count == 5
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


def test_a_mapping_too_large_for_one_rule_gets_the_stacks_bus_rules(
    embedded_aws: EmbeddedAws, tmp_path: Path
) -> None:
    mapping = load_mapping(write_generated_mapping(tmp_path, 200))
    plan = plan_bus_rules(mapping)

    topology = provision_topology(embedded_aws, deployment_config(), mapping)

    events = embedded_aws.events()
    assert len(topology.bus_rules) == len(plan.patterns) > 1
    assert [rule.name for rule in topology.bus_rules] == [
        "TaskCreator-bus-rule",
        *(f"TaskCreator-bus-rule-{index}" for index in range(2, len(plan.patterns) + 1)),
    ]
    for rule, pattern in zip(topology.bus_rules, plan.patterns, strict=True):
        described = events.describe_rule(Name=rule.name, EventBusName="default")
        assert json.loads(described["EventPattern"]) == pattern == rule.event_pattern
        (target,) = events.list_targets_by_rule(Rule=rule.name, EventBusName="default")["Targets"]
        assert (target["Arn"], target["DeadLetterConfig"]) == (
            topology.ingest_queue.arn,
            {"Arn": topology.dead_letter_queue.arn},
        )
    assert topology.event_pattern == plan.union


def test_events_reach_the_ingest_queue_once_per_matching_bus_rule(
    embedded_aws: EmbeddedAws, tmp_path: Path
) -> None:
    mapping = load_mapping(write_generated_mapping(tmp_path, 200))
    topology = provision_topology(embedded_aws, deployment_config(), mapping)
    rules = [EventPattern.compile(rule.event_pattern) for rule in topology.bus_rules]
    events = sample_events(generated_mapping(200))[::5]
    expected = {}
    for index, event in enumerate(events):
        event["detail"] = {**event["detail"], "sample": index}
        expected[index] = sum(rule.matches(event) for rule in rules)
        embedded_aws.events().put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "EventBusName": "default",
                }
            ]
        )

    arrived: dict[int, int] = dict.fromkeys(expected, 0)
    sqs = embedded_aws.sqs()
    while messages := sqs.receive_message(
        QueueUrl=topology.ingest_queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        for message in messages:
            arrived[json.loads(message["Body"])["detail"]["sample"]] += 1
            sqs.delete_message(QueueUrl=topology.ingest_queue.url, ReceiptHandle=message["ReceiptHandle"])

    assert arrived == expected
    assert 0 < sum(expected.values()) < len(events)


def test_a_mapping_the_stack_refuses_is_not_provisioned_either(
    embedded_aws: EmbeddedAws, tmp_path: Path
) -> None:
    document = json.loads(SHIPPED_MAPPING_FILE.read_text(encoding="utf-8"))
    document["rules"][0]["match"] = {"source": [{"prefix": "aws."}]}
    refused = tmp_path / "refused.mapping.json"
    refused.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(BusRuleError, match=r"mapping rule 'order-delayed': it matches the events"):
        provision_topology(embedded_aws, deployment_config(), load_mapping(refused))

    assert embedded_aws.events().list_rules(EventBusName="default")["Rules"] == []
