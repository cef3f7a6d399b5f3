"""Every way an event arrives becomes one canonical event in the EventBridge envelope's shape."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from task_creator.errors import MalformedEvent
from task_creator.mapping.envelope import (
    EVENT_MAX_DEPTH,
    CanonicalEvent,
    InvocationKind,
    envelope_fingerprint,
    event_from_eventbridge,
    event_from_sqs_record,
    invocation_kind,
)
from tests.support import load_event, load_record

QUEUE_ARN = "arn:aws:sqs:eu-west-1:111122223333:task-creator-ingest"


def sqs_record(body: Any, **overrides: Any) -> dict[str, Any]:
    """A standard-queue record as Lambda delivers it; ``body`` is sent as JSON unless already text."""
    record: dict[str, Any] = {
        "messageId": "5b0c4c5e-0000-4000-8000-00000000000a",
        "receiptHandle": "AQEB-handle",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795442850000"},
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-west-1",
    }
    record.update(overrides)
    return record


def sns_notification(message: Any, **attributes: str) -> dict[str, Any]:
    """A non-raw SNS delivery to SQS; ``message`` is sent as JSON unless already text."""
    return {
        "Type": "Notification",
        "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "TopicArn": "arn:aws:sns:eu-west-1:111122223333:alerts",
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2026-11-23T14:10:00.000Z",
        "MessageAttributes": {name: {"Type": "String", "Value": value} for name, value in attributes.items()},
    }


def string_attribute(value: str) -> dict[str, Any]:
    return {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}


# --- the sample shapes ------------------------------------------------------------------------------


def test_eventbridge_envelope_in_sqs_body_reads_as_the_envelope_itself() -> None:
    direct = load_event("eventbridge-order-delayed.json")

    event = event_from_sqs_record(load_record("sqs-eventbridge-batch.json", 0))

    assert event.as_dict() == direct
    assert event == event_from_eventbridge(direct)


def test_direct_eventbridge_invocation_keeps_every_envelope_field() -> None:
    envelope = load_event("eventbridge-payment-failed.json")
    event = event_from_eventbridge(envelope)

    assert event == CanonicalEvent(
        id="b1c7f0a2-3e45-4d7b-9a61-0c2f5e8d9a10",
        source="acme.payments",
        detail_type="PaymentFailed",
        detail={"paymentId": "PAY-7781", "amount": 129.95, "currency": "EUR", "failureCode": "card_declined"},
        time="2026-11-23T14:07:30Z",
        account="123456789012",
        region="us-east-1",
        resources=(),
    )
    assert event.identity == envelope_fingerprint(envelope)


def test_sns_notification_is_unwrapped_with_its_message_id_topic_and_attributes() -> None:
    event = event_from_sqs_record(load_record("sqs-sns-notification.json"))

    assert event == CanonicalEvent(
        id="95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        source="acme.inventory",
        detail_type="StockLow",
        detail={"sku": "SKU-88-RED", "warehouse": "LIS-1", "onHand": 3, "threshold": 10},
        time="2026-11-23T14:10:00.000Z",
        account="123456789012",
        region="us-east-1",
        resources=("arn:aws:sns:us-east-1:123456789012:inventory-alerts",),
    )


def test_sns_notification_carrying_an_eventbridge_envelope_reads_as_that_envelope() -> None:
    envelope = load_event("eventbridge-payment-failed.json")

    event = event_from_sqs_record(sqs_record(sns_notification(envelope)))

    assert event == event_from_eventbridge(envelope)


def test_sns_string_attributes_override_sqs_attributes_of_the_same_name() -> None:
    record = sqs_record(
        sns_notification({"sku": "SKU-1"}, source="from.sns"),
        messageAttributes={
            "source": string_attribute("from.sqs"),
            "detail-type": string_attribute("FromSqs"),
        },
    )

    event = event_from_sqs_record(record)

    assert (event.source, event.detail_type) == ("from.sns", "FromSqs")


def test_raw_payload_takes_source_and_detail_type_from_message_attributes() -> None:
    event = event_from_sqs_record(load_record("sqs-raw-payloads.json", 0))

    assert event == CanonicalEvent(
        id="a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b",
        source="crm.legacy",
        detail_type="CallbackRequested",
        detail={
            "requestId": "CB-5521",
            "customerName": "Ana Silva",
            "phone": "+351912345678",
            "note": "Asked for a call about her invoice before 5pm.",
        },
        time="2025-11-23T14:05:00Z",
        account="123456789012",
        region="us-east-1",
        resources=(),
    )


def test_raw_payload_without_attributes_defaults_to_source_sqs_and_empty_detail_type() -> None:
    event = event_from_sqs_record(load_record("sqs-raw-payloads.json", 1))

    assert (event.source, event.detail_type) == ("sqs", "")
    assert event.id == "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a5b"
    assert event.detail == {
        "ticketId": "T-98231",
        "subject": "Refund not received",
        "requester": "li.wei@example.com",
    }


def test_raw_payload_time_is_the_sent_timestamp_in_iso_8601() -> None:
    event = event_from_sqs_record(sqs_record({"k": 1}))

    assert event.time == "2026-11-23T14:07:30Z"


def test_redelivered_raw_record_keeps_its_message_id_as_event_id() -> None:
    first = load_record("sqs-raw-payloads.json", 1)
    redelivered = copy.deepcopy(first)
    redelivered["receiptHandle"] = "AQEB-a-new-handle"
    redelivered["attributes"]["ApproximateReceiveCount"] = "3"

    assert event_from_sqs_record(redelivered).id == event_from_sqs_record(first).id == first["messageId"]


def test_every_fifo_sample_record_reads_as_its_eventbridge_envelope() -> None:
    batch = load_event("sqs-fifo-batch.json")

    events = [event_from_sqs_record(record) for record in batch["Records"]]

    assert [event.id for event in events] == [json.loads(r["body"])["id"] for r in batch["Records"]]
    assert [event.detail["sequence"] for event in events] == [1, 2, 1]


# --- the invocation's shape -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("sqs-eventbridge-batch.json", InvocationKind.SQS),
        ("sqs-raw-payloads.json", InvocationKind.SQS),
        ("sqs-sns-notification.json", InvocationKind.SQS),
        ("sqs-poison-records.json", InvocationKind.SQS),
        ("sqs-fifo-batch.json", InvocationKind.SQS_FIFO),
        ("eventbridge-order-delayed.json", InvocationKind.EVENTBRIDGE),
        ("eventbridge-payment-failed.json", InvocationKind.EVENTBRIDGE),
    ],
)
def test_each_sample_invocation_is_recognised(sample: str, kind: InvocationKind) -> None:
    assert invocation_kind(load_event(sample)) is kind


def test_a_fair_queue_message_group_does_not_make_a_standard_queue_fifo() -> None:
    record = sqs_record({"k": 1})
    record["attributes"]["MessageGroupId"] = "tenant-1"  # SQS fair queues set it on standard queues

    assert invocation_kind({"Records": [record]}) is InvocationKind.SQS


def test_fifo_is_recognised_by_the_queue_arn() -> None:
    record = sqs_record({"k": 1})
    record["eventSourceARN"] = "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"

    assert invocation_kind({"Records": [record]}) is InvocationKind.SQS_FIFO


@pytest.mark.parametrize(
    "invocation",
    [
        pytest.param({"Records": []}, id="empty-batch"),
        pytest.param({"Records": [{"eventSource": "aws:sns", "Sns": {}}]}, id="sns-invocation"),
        pytest.param({"source": "acme.orders", "detail-type": "OrderDelayed"}, id="envelope-without-detail"),
        pytest.param([], id="json-array"),
        pytest.param(None, id="null"),
    ],
)
def test_unknown_invocation_shape_is_malformed(invocation: Any) -> None:
    with pytest.raises(MalformedEvent):
        invocation_kind(invocation)


# --- malformed records ------------------------------------------------------------------------------


def test_body_that_is_not_json_is_malformed_without_echoing_the_body() -> None:
    record = load_record("sqs-poison-records.json", 0)

    with pytest.raises(MalformedEvent, match="not valid JSON") as raised:
        event_from_sqs_record(record)

    assert "ORD-1" not in raised.value.message


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        pytest.param("[1, 2]", "an array", id="array"),
        pytest.param("42", "a number", id="number"),
        pytest.param('"text"', "a string", id="string"),
        pytest.param("true", "a boolean", id="boolean"),
        pytest.param("null", "null", id="null"),
    ],
)
def test_raw_payload_that_is_not_a_json_object_is_malformed(body: str, kind: str) -> None:
    with pytest.raises(MalformedEvent, match=f"must be a JSON object, got {kind}"):
        event_from_sqs_record(sqs_record(body))


def test_record_without_message_id_is_malformed() -> None:
    record = sqs_record({"k": 1})
    del record["messageId"]

    with pytest.raises(MalformedEvent, match="no messageId"):
        event_from_sqs_record(record)


def test_record_without_body_is_malformed() -> None:
    record = sqs_record({"k": 1})
    del record["body"]

    with pytest.raises(MalformedEvent, match="body is missing"):
        event_from_sqs_record(record)


def test_eventbridge_envelope_without_id_is_malformed() -> None:
    envelope = load_event("eventbridge-order-delayed.json")
    del envelope["id"]

    with pytest.raises(MalformedEvent, match="no id"):
        event_from_sqs_record(sqs_record(envelope))
    with pytest.raises(MalformedEvent, match="no id"):
        event_from_eventbridge(envelope)


def test_eventbridge_envelope_whose_detail_is_not_an_object_is_malformed() -> None:
    envelope = {**load_event("eventbridge-order-delayed.json"), "detail": "ORD-1001"}

    with pytest.raises(MalformedEvent, match="detail must be a JSON object"):
        event_from_eventbridge(envelope)


def test_eventbridge_envelope_whose_resources_are_not_strings_is_malformed() -> None:
    envelope = {**load_event("eventbridge-order-delayed.json"), "resources": [{"arn": "x"}]}

    with pytest.raises(MalformedEvent, match="resources"):
        event_from_eventbridge(envelope)


def test_sns_message_that_is_not_json_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="SNS Message is not valid JSON"):
        event_from_sqs_record(sqs_record(sns_notification("Stock is low at LIS-1")))


# --- values the pipeline cannot walk ---------------------------------------------------------------


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_body_nested_to_exactly_the_limit_is_read() -> None:
    # The body object is one level; its field holds the rest.
    body = f'{{"deep": {nested_lists(EVENT_MAX_DEPTH - 1)}}}'

    assert event_from_sqs_record(sqs_record(body)).detail["deep"] == json.loads(body)["deep"]


def test_body_nested_one_level_past_the_limit_is_malformed() -> None:
    body = f'{{"deep": {nested_lists(EVENT_MAX_DEPTH)}}}'

    with pytest.raises(MalformedEvent, match=f"nested more than {EVENT_MAX_DEPTH} levels deep"):
        event_from_sqs_record(sqs_record(body))


def test_body_too_deep_for_the_json_parser_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="SQS message body is nested more than"):
        event_from_sqs_record(sqs_record(nested_lists(100_000)))


def test_integer_of_as_many_digits_as_python_writes_is_read() -> None:
    body = '{"n": ' + "9" * 4300 + "}"

    assert event_from_sqs_record(sqs_record(body)).detail["n"] == int("9" * 4300)


def test_integer_of_more_digits_than_python_reads_is_malformed_without_echoing_it() -> None:
    with pytest.raises(MalformedEvent, match="integer of more than 4300 digits") as raised:
        event_from_sqs_record(sqs_record('{"n": ' + "9" * 4301 + "}"))

    assert "999" not in raised.value.message


def test_direct_invocation_holding_an_integer_too_long_to_write_is_malformed() -> None:
    envelope = {**load_event("eventbridge-order-delayed.json"), "detail": {"n": 10**4300}}

    with pytest.raises(MalformedEvent, match="EventBridge event holds an integer of more than 4300 digits"):
        event_from_eventbridge(envelope)


# --- identities: never blank, always valid Unicode ------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t"])
def test_blank_event_id_attribute_falls_back_to_the_message_id(blank: str) -> None:
    record = sqs_record({"k": 1}, messageAttributes={"EventId": string_attribute(blank)})

    assert event_from_sqs_record(record).id == record["messageId"]


@pytest.mark.parametrize("blank", ["", "  "])
def test_blank_sns_message_id_falls_back_to_the_sqs_message_id(blank: str) -> None:
    notification = {**sns_notification({"sku": "SKU-1"}), "MessageId": blank}
    record = sqs_record(notification)

    assert event_from_sqs_record(record).id == record["messageId"]


@pytest.mark.parametrize("message_id", ["", "   ", 42, None])
def test_record_whose_message_id_is_blank_or_not_text_is_malformed(message_id: Any) -> None:
    with pytest.raises(MalformedEvent, match="no messageId"):
        event_from_sqs_record(sqs_record({"k": 1}, messageId=message_id))


@pytest.mark.parametrize("blank", ["", " ", "\n\t"])
def test_envelope_with_a_blank_id_is_malformed_there_is_nothing_to_fall_back_to(blank: str) -> None:
    envelope = {**load_event("eventbridge-order-delayed.json"), "id": blank}

    with pytest.raises(MalformedEvent, match="no id"):
        event_from_sqs_record(sqs_record(envelope))
    with pytest.raises(MalformedEvent, match="no id"):
        event_from_eventbridge(envelope)


@pytest.mark.parametrize(
    "envelope_field", ["id", "source", "detail-type"], ids=["id", "source", "detail-type"]
)
def test_envelope_id_source_or_detail_type_with_an_unpaired_surrogate_is_malformed(
    envelope_field: str,
) -> None:
    envelope = {**load_event("eventbridge-order-delayed.json"), envelope_field: "a\udc80b"}

    with pytest.raises(MalformedEvent, match="not valid Unicode") as raised:
        event_from_eventbridge(envelope)

    raised.value.message.encode("utf-8")


def test_event_id_attribute_with_an_unpaired_surrogate_is_malformed() -> None:
    record = sqs_record({"k": 1}, messageAttributes={"EventId": string_attribute("\ud800")})

    with pytest.raises(MalformedEvent, match="EventId message attribute is not valid Unicode"):
        event_from_sqs_record(record)


def test_sns_attribute_whose_value_is_not_text_is_ignored() -> None:
    notification = sns_notification({"sku": "SKU-1"})
    notification["MessageAttributes"]["source"] = {"Type": "String", "Value": {"nested": True}}

    assert event_from_sqs_record(sqs_record(notification)).source == "sqs"


# --- account and region -----------------------------------------------------------------------------


def test_envelope_with_account_and_region_keeps_them() -> None:
    envelope = {
        **load_event("eventbridge-order-delayed.json"),
        "account": "999988887777",
        "region": "ap-south-1",
    }

    event = event_from_sqs_record(sqs_record(envelope))

    assert (event.account, event.region) == ("999988887777", "ap-south-1")


def test_record_without_queue_arn_falls_back_to_the_aws_region_field() -> None:
    event = event_from_sqs_record(sqs_record({"k": 1}, eventSourceARN=None))

    assert (event.account, event.region) == ("", "eu-west-1")


@pytest.fixture
def moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_ACCOUNT_ID": "444455556666",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def lambda_record_from(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    """What Lambda's SQS event source mapping hands the function for a received message."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@pytest.mark.usefixtures("moto_credentials")
def test_envelope_without_account_takes_account_and_region_from_the_queue_arn() -> None:
    envelope = load_event("eventbridge-order-delayed.json")
    del envelope["account"]
    del envelope["region"]
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-central-1")
        queue_url = sqs.create_queue(QueueName="task-creator-ingest")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope))
        message = sqs.receive_message(QueueUrl=queue_url, MessageSystemAttributeNames=["All"])["Messages"][0]

    event = event_from_sqs_record(lambda_record_from(message, queue_arn, "eu-central-1"))

    assert queue_arn == "arn:aws:sqs:eu-central-1:444455556666:task-creator-ingest"
    assert (event.account, event.region) == ("444455556666", "eu-central-1")
    assert event.id == envelope["id"]


def test_raw_record_moved_back_from_the_dlq_keeps_the_event_id_it_had_the_first_time() -> None:
    record = load_record("sqs-raw-payloads.json", 1)
    first_id = event_from_sqs_record(record).id
    redriven = copy.deepcopy(record)
    redriven["messageId"] = "a-new-message-id-after-redrive"
    redriven["messageAttributes"]["EventId"] = {"stringValue": first_id, "dataType": "String"}

    assert event_from_sqs_record(redriven).id == first_id
