"""The queues and the bus rule in the template: encryption, TLS, redrive, who may send, the pattern."""

from __future__ import annotations

from infra.event_pattern import bus_event_pattern
from infra.stack_values import FUNCTION_TIMEOUT_SECONDS, VISIBILITY_TIMEOUT_FACTOR
from task_creator.mapping.rules import load_mapping
from tests.infra.synthesis import (
    PRODUCER_ARN,
    SELECTORS_MAPPING,
    SynthesizedApp,
    as_list,
    get_att,
    json_key,
)


def bus_rule_id(app: SynthesizedApp) -> str:
    logical_id, _ = app.only("AWS::Events::Rule")
    return logical_id


def test_ingest_queue_redrives_to_the_dlq_after_max_receive_count(selectors_app: SynthesizedApp) -> None:
    queues = selectors_app.stack.queues

    assert selectors_app.properties_of(queues.queue)["RedrivePolicy"] == {
        "deadLetterTargetArn": get_att(selectors_app, queues.dead_letter_queue),
        "maxReceiveCount": 3,
    }


def test_ingest_visibility_timeout_is_six_function_timeouts_plus_the_batch_window(
    default_app: SynthesizedApp, selectors_app: SynthesizedApp
) -> None:
    for app, window in ((default_app, 0), (selectors_app, 5)):
        timeout = app.properties_of(app.stack.task_function.function)["Timeout"]

        assert timeout == FUNCTION_TIMEOUT_SECONDS
        assert app.properties_of(app.stack.queues.queue)["VisibilityTimeout"] == (
            VISIBILITY_TIMEOUT_FACTOR * timeout + window
        )


def test_every_queue_is_encrypted_and_refuses_plain_http(fifo_app: SynthesizedApp) -> None:
    queues = fifo_app.resources("AWS::SQS::Queue")
    policies = fifo_app.resources("AWS::SQS::QueuePolicy").values()

    assert len(queues) == 3  # ingest, DLQ, delivery DLQ
    for logical_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        (policy,) = [p for p in policies if {"Ref": logical_id} in p["Properties"]["Queues"]]
        assert {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": {"Fn::GetAtt": [logical_id, "Arn"]},
        } in policy["Properties"]["PolicyDocument"]["Statement"]


def test_dlq_keeps_messages_14_days_and_allows_redrive_to_the_ingest_queue_only(
    default_app: SynthesizedApp,
) -> None:
    dlq = default_app.properties_of(default_app.stack.queues.dead_letter_queue)
    ingest_arn = ["arn:", {"Ref": "AWS::Partition"}, ":sqs:", {"Ref": "AWS::Region"}, ":"]

    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["RedriveAllowPolicy"] == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [
            {"Fn::Join": ["", [*ingest_arn, {"Ref": "AWS::AccountId"}, ":TaskCreator-ingest"]]}
        ],
    }
    assert default_app.properties_of(default_app.stack.queues.queue)["QueueName"] == "TaskCreator-ingest"


def test_only_the_bus_rule_and_listed_producers_may_send_to_the_ingest_queue(
    fifo_app: SynthesizedApp,
) -> None:
    queue_id = fifo_app.logical_id(fifo_app.stack.queues.queue)
    (policy,) = [
        p
        for p in fifo_app.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]

    assert sorted((json_key(s["Principal"]), as_list(s["Action"])[0]) for s in allows) == [
        ('{"AWS": "' + PRODUCER_ARN + '"}', "sqs:SendMessage"),
        ('{"Service": "events.amazonaws.com"}', "sqs:SendMessage"),
    ]
    (from_bus,) = [s for s in allows if "Service" in s["Principal"]]
    assert from_bus["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [bus_rule_id(fifo_app), "Arn"]}}
    }


def test_fifo_deployment_uses_fifo_queues_and_a_standard_delivery_dlq(fifo_app: SynthesizedApp) -> None:
    queues = fifo_app.stack.queues
    ingest = fifo_app.properties_of(queues.queue)

    assert (ingest["QueueName"], ingest["FifoQueue"]) == ("OrdersTasks-ingest.fifo", True)
    assert fifo_app.properties_of(queues.dead_letter_queue)["FifoQueue"] is True
    assert "FifoQueue" not in fifo_app.properties_of(queues.delivery_dead_letter_queue)
    fifo_app.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "DestinationConfig": {
                "OnFailure": {"Destination": get_att(fifo_app, queues.delivery_dead_letter_queue)}
            }
        },
    )


def test_bus_rule_pattern_is_derived_from_the_mapping_rules(selectors_app: SynthesizedApp) -> None:
    _, rule = selectors_app.only("AWS::Events::Rule")

    assert rule["Properties"]["EventPattern"] == bus_event_pattern(load_mapping(SELECTORS_MAPPING))
    assert rule["Properties"]["EventPattern"] == {
        "$or": [
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            {"source": [{"prefix": "acme.billing"}]},
            {"detail-type": ["CallbackRequested"]},
            {"source": ["acme.routing"]},
            {"detail-type": ["RouteRequested"]},
        ]
    }
    assert rule["Properties"]["EventBusName"] == "default"


def test_bus_rule_sends_the_full_event_to_the_ingest_queue_with_retries_and_a_dlq(
    default_app: SynthesizedApp,
) -> None:
    _, rule = default_app.only("AWS::Events::Rule")
    queues = default_app.stack.queues

    assert rule["Properties"]["Targets"] == [
        {
            "Id": "IngestQueue",
            "Arn": get_att(default_app, queues.queue),
            "DeadLetterConfig": {"Arn": get_att(default_app, queues.dead_letter_queue)},
            "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
        }
    ]  # no Input/InputPath/InputTransformer: the body is the whole event


def test_fifo_bus_rule_targets_a_message_group_on_the_stacks_own_bus(fifo_app: SynthesizedApp) -> None:
    _, rule = fifo_app.only("AWS::Events::Rule")
    bus_id, bus = fifo_app.only("AWS::Events::EventBus")

    assert bus["Properties"]["Name"] == "OrdersTasks-events"
    assert rule["Properties"]["EventBusName"] == {"Ref": bus_id}
    assert rule["Properties"]["Targets"][0]["SqsParameters"] == {"MessageGroupId": "task-creator"}
    assert rule["Properties"]["Targets"][0]["DeadLetterConfig"] == {
        "Arn": get_att(fifo_app, fifo_app.stack.queues.delivery_dead_letter_queue)
    }
