"""The queues and the bus rule in the template: encryption, TLS, redrive, sizes, who may send, the
pattern, and the FIFO queue that producers (never the bus) send to."""

from __future__ import annotations

from infra.event_pattern import bus_event_pattern
from infra.stack_values import (
    REDRIVE_BACKSTOP_RECEIVES,
    VISIBILITY_TIMEOUT_FACTOR,
)
from task_creator.adapters.dead_letter_attributes import DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES
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


def max_receive_count_variable(app: SynthesizedApp) -> int:
    variables = app.properties_of(app.stack.task_function.function)["Environment"]["Variables"]
    return int(variables["MAX_RECEIVE_COUNT"])


def test_ingest_queue_redrive_is_a_backstop_above_the_functions_attempt_budget(
    selectors_app: SynthesizedApp,
) -> None:
    queues = selectors_app.stack.queues
    budget = max_receive_count_variable(selectors_app)

    assert budget == 3  # -c maxReceiveCount=3: the function's own attempts
    assert selectors_app.properties_of(queues.queue)["RedrivePolicy"] == {
        "deadLetterTargetArn": get_att(selectors_app, queues.dead_letter_queue),
        "maxReceiveCount": budget + REDRIVE_BACKSTOP_RECEIVES,
    }


def test_every_ingest_queue_redrives_to_its_own_dlq_above_the_attempt_budget(
    fifo_app: SynthesizedApp,
) -> None:
    budget = max_receive_count_variable(fifo_app)

    for lane in fifo_app.stack.queues.lanes:
        policy = fifo_app.properties_of(lane.queue)["RedrivePolicy"]
        assert policy["deadLetterTargetArn"] == get_att(fifo_app, lane.dead_letter_queue)
        assert policy["maxReceiveCount"] > budget


def test_ingest_visibility_timeout_is_six_derived_function_timeouts_plus_the_batch_window(
    default_app: SynthesizedApp, selectors_app: SynthesizedApp, fifo_app: SynthesizedApp
) -> None:
    for app, window in ((default_app, 0), (selectors_app, 5), (fifo_app, 0)):
        timeout = app.properties_of(app.stack.task_function.function)["Timeout"]

        assert timeout == app.stack.function_timeout_seconds
        for queue in app.stack.queues.ingest_queues:
            assert (
                app.properties_of(queue)["VisibilityTimeout"] == VISIBILITY_TIMEOUT_FACTOR * timeout + window
            )
    assert default_app.properties_of(default_app.stack.queues.queue)["VisibilityTimeout"] == 6 * 222


def test_dlqs_take_sqs_largest_message_and_ingest_queues_leave_room_for_the_dead_letter_attributes(
    fifo_app: SynthesizedApp,
) -> None:
    for lane in fifo_app.stack.queues.lanes:
        dead_letter_size = fifo_app.properties_of(lane.dead_letter_queue)["MaximumMessageSize"]
        ingest_size = fifo_app.properties_of(lane.queue)["MaximumMessageSize"]

        assert dead_letter_size == 1_048_576
        assert ingest_size == dead_letter_size - DEAD_LETTER_ATTRIBUTE_HEADROOM_BYTES


def test_every_queue_is_encrypted_and_refuses_plain_http(fifo_app: SynthesizedApp) -> None:
    queues = fifo_app.resources("AWS::SQS::Queue")
    policies = fifo_app.resources("AWS::SQS::QueuePolicy").values()

    assert len(queues) == 4  # standard ingest and DLQ, FIFO ingest and DLQ
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


def allow_statements(app: SynthesizedApp, queue: object) -> list[dict[str, object]]:
    """The Allow statements of ``queue``'s resource policy."""
    queue_id = app.logical_id(queue)
    (policy,) = [
        p
        for p in app.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    return [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]


def test_queue_policies_allow_the_bus_rule_on_the_standard_queue_and_producers_on_every_ingest_queue(
    fifo_app: SynthesizedApp,
) -> None:
    queues = fifo_app.stack.queues
    assert queues.fifo_lane is not None
    producer = '{"AWS": "' + PRODUCER_ARN + '"}'

    standard = allow_statements(fifo_app, queues.queue)
    assert sorted((json_key(s["Principal"]), as_list(s["Action"])[0]) for s in standard) == [
        (producer, "sqs:SendMessage"),
        ('{"Service": "events.amazonaws.com"}', "sqs:SendMessage"),
    ]
    (from_bus,) = [s for s in standard if "Service" in json_key(s["Principal"])]
    assert from_bus["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [bus_rule_id(fifo_app), "Arn"]}}
    }
    fifo = allow_statements(fifo_app, queues.fifo_lane.queue)
    assert [(json_key(s["Principal"]), as_list(s["Action"])[0]) for s in fifo] == [
        (producer, "sqs:SendMessage")
    ]


def test_fifo_adds_a_fifo_ingest_queue_with_its_own_fifo_dlq_beside_the_standard_pair(
    fifo_app: SynthesizedApp,
) -> None:
    queues = fifo_app.stack.queues
    assert queues.fifo_lane is not None
    standard = fifo_app.properties_of(queues.queue)
    fifo = fifo_app.properties_of(queues.fifo_lane.queue)
    fifo_dlq = fifo_app.properties_of(queues.fifo_lane.dead_letter_queue)

    assert (standard["QueueName"], "FifoQueue" in standard) == ("OrdersTasks-ingest", False)
    assert "FifoQueue" not in fifo_app.properties_of(queues.dead_letter_queue)
    assert (fifo["QueueName"], fifo["FifoQueue"], fifo["ContentBasedDeduplication"]) == (
        "OrdersTasks-ingest.fifo",
        True,
        True,
    )
    assert (fifo_dlq["QueueName"], fifo_dlq["FifoQueue"]) == ("OrdersTasks-dlq.fifo", True)
    assert fifo_dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert (
        fifo_dlq["RedriveAllowPolicy"]["sourceQueueArns"][0]["Fn::Join"][1][-1] == ":OrdersTasks-ingest.fifo"
    )
    fifo_app.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"DestinationConfig": {"OnFailure": {"Destination": get_att(fifo_app, queues.dead_letter_queue)}}},
    )


def test_standard_deployment_has_no_fifo_queue(default_app: SynthesizedApp) -> None:
    assert default_app.stack.queues.fifo_lane is None
    assert len(default_app.resources("AWS::SQS::Queue")) == 2
    assert len(default_app.resources("AWS::Lambda::EventSourceMapping")) == 1


def test_bus_rule_pattern_is_derived_from_the_mapping_rules(selectors_app: SynthesizedApp) -> None:
    _, rule = selectors_app.only("AWS::Events::Rule")

    assert rule["Properties"]["EventPattern"] == bus_event_pattern(load_mapping(SELECTORS_MAPPING))
    assert rule["Properties"]["EventPattern"] == {
        "$or": [
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            {"source": [{"prefix": "acme.billing"}, "acme.routing"]},
            {"detail-type": ["CallbackRequested", "RouteRequested"]},
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


def test_with_fifo_the_bus_rule_still_targets_the_standard_queue_on_the_stacks_own_bus(
    fifo_app: SynthesizedApp,
) -> None:
    _, rule = fifo_app.only("AWS::Events::Rule")
    bus_id, bus = fifo_app.only("AWS::Events::EventBus")
    queues = fifo_app.stack.queues

    assert bus["Properties"]["Name"] == "OrdersTasks-events"
    assert rule["Properties"]["EventBusName"] == {"Ref": bus_id}
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == get_att(fifo_app, queues.queue)
    assert target["DeadLetterConfig"] == {"Arn": get_att(fifo_app, queues.dead_letter_queue)}
    assert "SqsParameters" not in target


def test_no_topology_forces_events_into_a_fixed_message_group(
    default_app: SynthesizedApp, selectors_app: SynthesizedApp, fifo_app: SynthesizedApp
) -> None:
    for app in (default_app, selectors_app, fifo_app):
        assert "MessageGroupId" not in json_key(app.template_json)
