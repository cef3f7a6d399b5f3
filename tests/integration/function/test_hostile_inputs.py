"""Hostile inputs through the real handler (hypothesis): SQS records with odd bodies (not JSON, not an
object, deep nesting, numbers JSON can spell but Python cannot hold, unpaired surrogates in values and
ids, odd unicode), odd message attributes (a blank ``EventId``, binary and custom types) and odd
``ScheduledTime`` values, sent through the (moto) ingest queue and received as Lambda delivers them.

The function runs with its production clients: SQS and DynamoDB on moto, Connect on the project's
emulator, which validates every request against botocore's model. Everything is healthy, so nothing is
transient, and for every batch:

- the handler returns a batch response (no crash);
- no request that botocore's model rejects reaches Connect;
- no record is left for a retry (a record that cannot succeed is in the DLQ with its reason, at once);
- no task content reaches the logs, nor a dead letter's ErrorMessage (every content value carries a
  marker they must not contain).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.connect_emulator import ConnectEmulator
from local.event_source import lambda_sqs_record
from task_creator.dependencies import Dependencies, build_dependencies
from task_creator.handler import lambda_handler
from task_creator.settings import Settings
from tests.integration.function.conftest import FLOW_ID, INSTANCE_ID, FunctionUnderTest, LambdaContext

HOSTILE = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
# Every value that can end up in a task (Name, Description, Attributes, References) starts with this.
CONTENT_MARKER = "Qz9TaskContent"
# Emulator rejections that mean the request itself was malformed: botocore's model, or the JSON body.
MALFORMED_REQUEST_RULES = ("model", "json_body", "http")
REASON_ATTRIBUTES = ("ErrorType", "ErrorMessage", "EventId")
KNOWN_SOURCES = ("acme.orders", "acme.payments", "acme.inventory", "acme.shipping", "crm.legacy", "sqs")
NOW = datetime.now(UTC).replace(microsecond=0)


class RawJson(str):
    """A JSON token written as is (``1e400``, 5,000 digits, 100,000 brackets): what a producer can send
    and ``json.dumps`` cannot."""


class RawBody(str):
    """A message body sent as is (text that is not JSON)."""


def to_json(value: Any, *, ensure_ascii: bool) -> str:
    if isinstance(value, RawJson):
        return str(value)
    if isinstance(value, dict):
        items = (
            f"{to_json(str(k), ensure_ascii=ensure_ascii)}: {to_json(v, ensure_ascii=ensure_ascii)}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(item, ensure_ascii=ensure_ascii) for item in value) + "]"
    return json.dumps(value, ensure_ascii=ensure_ascii)


def sqs_deliverable(text: str) -> bool:
    """What SQS accepts in a body or attribute: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF."""
    return all(
        ch in "\t\n\r" or "\x20" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd" or ch >= "\U00010000"
        for ch in text
    )


# --- values ----------------------------------------------------------------------------------------------
# Most values are plausible, so that many records get as far as Connect; one in ``USUAL_ODDS + 1`` is
# hostile (``mostly(usual, unusual)``).
USUAL_ODDS = 8


def mostly(usual: st.SearchStrategy[Any], unusual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # one_of would not do: it draws its branches evenly, and drops repeated ones
    hostile = st.sampled_from([False] * USUAL_ODDS + [True])
    return hostile.flatmap(lambda odd: unusual if odd else usual)


any_character = st.characters(exclude_categories=())  # unpaired surrogates and control characters too
odd_text = st.text(any_character, max_size=12) | st.sampled_from(
    ["\ud800", "a\udfffb", "\u202eevil", "e\u0301\u0301\u0301", "\u200b", "\x00", "😀" * 3, "\ufeff"]
)
unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=16)  # odd, but valid Unicode
deliverable_text = st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=12)
plain_content = st.builds(lambda text: CONTENT_MARKER + text, unicode_text)
odd_content = st.builds(lambda text: CONTENT_MARKER + text, odd_text)
# Around Connect's limits: Name 1,024 characters, Description 4,096, Attributes 32,768 UTF-8 bytes.
long_content = st.sampled_from([1010, 1011, 1025, 4082, 4083, 4097, 33_000]).flatmap(
    lambda size: st.sampled_from(["x", "é", "😀"]).map(lambda char: CONTENT_MARKER + char * size)
)
raw_number = st.sampled_from(
    ["1e400", "-1e400", "NaN", "Infinity", "-0", "1E-400", "1" * 400, "9" * 5000, "12345678901234567890123"]
).map(RawJson)
deep_nesting = st.sampled_from([100, 1500, 100_000]).flatmap(
    lambda depth: st.sampled_from(
        [
            RawJson("[" * depth + "]" * depth),
            RawJson('{"a": ' * min(depth, 30_000) + "1" + "}" * min(depth, 30_000)),
        ]
    )
)
scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", " ", "\t\n", "\u3000"])
    | raw_number
)
hostile_value = (
    st.recursive(
        odd_content | scalar,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(odd_text, children, max_size=3),
        max_leaves=6,
    )
    | long_content
    | deep_nesting
)
value = mostly(plain_content, hostile_value)
identifier = mostly(st.uuids().map(str), odd_text | st.sampled_from(["", " "]) | scalar | st.just("E" * 300))
valid_scheduled_time = st.sampled_from(
    [
        (NOW + timedelta(days=1)).isoformat(),
        (NOW + timedelta(hours=2)).timestamp(),
        (NOW - timedelta(days=1)).isoformat(),  # passed: started now, without it
    ]
)
odd_scheduled_time = (
    st.sampled_from(
        [
            RawJson("1e400"),
            RawJson("-1e400"),
            RawJson("NaN"),
            RawJson("9" * 400),
            1e12,
            -1,
            0,
            253_402_300_800,
            "not a date",
            "2026-02-30T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2026-12-01T12:00:00+14:00",
            (NOW + timedelta(days=30)).isoformat(),
        ]
    )
    | hostile_value
)
scheduled_time = valid_scheduled_time | odd_scheduled_time


def fields(required: dict[str, Any], **optional: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional)


customer = fields(
    {"id": value, "tier": mostly(st.sampled_from(["vip", "standard"]), value)},
    email=mostly(st.just(f"{CONTENT_MARKER}@example.com"), value),
)
order_detail = fields(
    {"orderId": value, "priority": mostly(st.sampled_from(["high", "urgent"]), value)},
    reason=value,
    delayDays=value,
    followUpAt=scheduled_time,
    customer=mostly(customer, hostile_value),
)
payment_detail = fields(
    {"paymentId": value, "amount": mostly(st.integers(1, 10**6) | st.floats(0.01, 1e6), raw_number | value)},
    failureCode=value,
)
shipment_detail = fields({"shipmentId": value, "sequence": mostly(st.integers(0, 99), value)}, status=value)
stock_payload = fields({"sku": value, "warehouse": value}, onHand=value, threshold=value)
ticket_payload = fields({"ticketId": value, "subject": value}, requester=value)
callback_payload = fields({"requestId": value, "customerName": value}, phone=value, note=value)


@dataclass(frozen=True)
class HostileRecord:
    """One message to send: its body (as a Python value or raw text) and attributes; ``hopeless`` when no
    mapping could ever make a task of it (it must be dead-lettered)."""

    kind: str
    body: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)
    hopeless: bool = False
    ensure_ascii: bool = True

    def text(self) -> str:
        if isinstance(self.body, RawBody):
            return str(self.body)
        text = to_json(self.body, ensure_ascii=self.ensure_ascii)
        return text if sqs_deliverable(text) else to_json(self.body, ensure_ascii=True)


def string_attribute(text: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": text}


odd_attributes = st.dictionaries(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}", fullmatch=True).filter(
        lambda name: not name.lower().startswith(("aws.", "amazon."))
    ),
    st.one_of(
        deliverable_text.filter(bool).map(string_attribute),
        st.sampled_from(["0", "-12.5", "1e10"]).map(lambda n: {"DataType": "Number", "StringValue": n}),
        st.binary(min_size=1, max_size=16).map(lambda b: {"DataType": "Binary", "BinaryValue": b}),
        deliverable_text.filter(bool).map(lambda t: {"DataType": "String.custom", "StringValue": t}),
    ),
    max_size=4,
)
event_id_attribute = st.sampled_from(["", " ", "\u3000", "E" * 300]) | deliverable_text | st.uuids().map(str)


@st.composite
def message_attributes(draw: st.DrawFn, /, **fixed: str) -> dict[str, Any]:
    attributes = draw(odd_attributes)
    if draw(st.booleans()):
        attributes["EventId"] = string_attribute(draw(event_id_attribute))
    attributes.update({name: string_attribute(text) for name, text in fixed.items()})
    return dict(list(attributes.items())[-10:])  # SQS carries at most 10


def envelope(source: st.SearchStrategy[str], detail_type: st.SearchStrategy[str], detail: Any) -> Any:
    return st.fixed_dictionaries(
        {
            "version": st.just("0"),
            "id": identifier,
            "detail-type": detail_type,
            "source": source,
            "account": mostly(st.just("123456789012"), identifier),
            "time": mostly(st.just(NOW.isoformat()), scheduled_time),
            "region": mostly(st.just("us-east-1"), identifier),
            "resources": mostly(st.lists(deliverable_text, max_size=2), scalar),
            "detail": detail,
        }
    )


def sns_notification(message: st.SearchStrategy[Any]) -> Any:
    return st.fixed_dictionaries(
        {
            "Type": st.just("Notification"),
            "MessageId": identifier,
            "TopicArn": st.just("arn:aws:sns:us-east-1:123456789012:inventory-alerts"),
            "Message": message,
            "Timestamp": mostly(st.just(NOW.isoformat()), scheduled_time),
            "MessageAttributes": mostly(
                st.just(
                    {
                        "source": {"Type": "String", "Value": "acme.inventory"},
                        "detail-type": {"Type": "String", "Value": "StockLow"},
                    }
                ),
                hostile_value,
            ),
        }
    )


def record_of(
    kind: str, body: Any, *, hopeless: bool = False, fixed: Mapping[str, str] | None = None
) -> st.SearchStrategy[HostileRecord]:
    """Records of one kind; ``fixed`` message attributes (e.g. ``source``) on top of odd ones."""
    return st.builds(
        HostileRecord,
        kind=st.just(kind),
        body=body if isinstance(body, st.SearchStrategy) else st.just(body),
        attributes=message_attributes(**(fixed or {})),
        hopeless=st.just(hopeless),
        ensure_ascii=st.booleans(),
    )


unknown_source = deliverable_text.filter(lambda text: text not in KNOWN_SOURCES) | st.just("acme.marketing")
not_json = (
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
    .filter(lambda text: sqs_deliverable(text) and not _parses(text))
    .map(RawBody)
)
hostile_record = st.one_of(
    record_of("not-json", not_json, hopeless=True),
    record_of(
        "not-json",
        st.builds(lambda o: RawBody(f'{{"orderId": {json.dumps(o)}, "priority": '), plain_content),
        hopeless=True,
    ),
    record_of("not-an-object", scalar | deep_nesting | st.lists(value, max_size=3) | odd_text, hopeless=True),
    record_of(
        "order",
        envelope(st.just("acme.orders"), st.just("OrderDelayed"), mostly(order_detail, hostile_value)),
    ),
    record_of(
        "payment",
        envelope(st.just("acme.payments"), st.just("PaymentFailed"), mostly(payment_detail, hostile_value)),
    ),
    record_of(
        "shipment",
        envelope(
            st.just("acme.shipping"),
            mostly(st.just("ShipmentDelayed"), st.builds(lambda t: "Shipment" + t, odd_text)),
            shipment_detail,
        ),
    ),
    record_of("unmatched", envelope(unknown_source, deliverable_text, order_detail), hopeless=True),
    record_of(
        "stock-sns",
        sns_notification(
            mostly(stock_payload.map(lambda p: to_json(p, ensure_ascii=True)), odd_text | hostile_value)
        ),
    ),
    record_of("ticket", ticket_payload),
    record_of(
        "callback", callback_payload, fixed={"source": "crm.legacy", "detail-type": "CallbackRequested"}
    ),
    record_of("raw-unmatched", fields({}, campaign=value, subscriber=value), hopeless=True),
)


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


# --- the function and its surroundings ------------------------------------------------------------------


@pytest.fixture
def production_function(
    function: FunctionUnderTest, connect_emulator: ConnectEmulator, monkeypatch: pytest.MonkeyPatch
) -> Dependencies:
    """The function with the clients it builds in Lambda: SQS and DynamoDB reach moto (in-process),
    Connect the emulator through AWS_ENDPOINT_URL_CONNECT."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", connect_emulator.endpoint_url)
    settings_ = Settings(
        connect_instance_id=INSTANCE_ID,
        contact_flow_id=FLOW_ID,
        dlq_url=function.dlq_url,
        idempotency_table=function.ledger_table,
        token_namespace="hostile-inputs",
    )
    return build_dependencies(settings_)


def deliver(function: FunctionUnderTest, records: Sequence[HostileRecord]) -> dict[str, Any]:
    """Send each record to the ingest queue and receive them all: the SQS event Lambda would build."""
    sent = []
    for record in records:
        sent.append(
            function.sqs.send_message(
                QueueUrl=function.ingest_url,
                MessageBody=record.text(),
                MessageAttributes=dict(record.attributes),
            )["MessageId"]
        )
    arn = function.sqs.get_queue_attributes(QueueUrl=function.ingest_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    received: dict[str, Any] = {}
    for _ in range(10):
        for message in function.sqs.receive_message(
            QueueUrl=function.ingest_url,
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
        ).get("Messages", []):
            received[message["MessageId"]] = message
        if set(sent) <= set(received):
            break
    return {"Records": [lambda_sqs_record(received[message_id], arn, "us-east-1") for message_id in sent]}


@dataclass
class Outcome:
    response: Any
    dead_letters: list[dict[str, Any]]
    rejections_by_rule: Mapping[str, int]
    created: int
    logs: str

    def dead_letter_bodies(self) -> list[str]:
        return [message["Body"] for message in self.dead_letters]


def run_batch(
    records: Sequence[HostileRecord],
    *,
    function: FunctionUnderTest,
    dependencies: Dependencies,
    emulator: ConnectEmulator,
    log_output: io.StringIO,
) -> tuple[dict[str, Any], Outcome]:
    emulator.reset()
    forget_ledger(function)  # every example starts new: no task is a duplicate of an earlier example's
    log_output.seek(0)
    log_output.truncate()
    sqs_event = deliver(function, records)
    response = lambda_handler(sqs_event, LambdaContext(), dependencies=dependencies)
    counters = emulator.counters()
    return sqs_event, Outcome(
        response=response,
        dead_letters=function.dead_letters(),
        rejections_by_rule=counters.rejections_by_rule,
        created=counters.created,
        logs=log_output.getvalue(),
    )


def forget_ledger(function: FunctionUnderTest) -> None:
    items = function.dynamodb.scan(TableName=function.ledger_table, ProjectionExpression="id")["Items"]
    for item in items:
        function.dynamodb.delete_item(TableName=function.ledger_table, Key={"id": item["id"]})


def retry_lines(logs: str) -> list[str]:
    """The function's log lines about retries and unexpected errors (the evidence for a retried record)."""
    lines = logs.splitlines()
    return [line[:400] for line in lines if '"outcome":"retry"' in line or "Traceback" in line][:5]


# --- the property ---------------------------------------------------------------------------------------


@HOSTILE
@given(records=st.lists(hostile_record, min_size=1, max_size=5))
def test_hostile_records_never_crash_the_batch_reach_connect_malformed_or_leak_content(
    records: list[HostileRecord],
    function: FunctionUnderTest,
    production_function: Dependencies,
    connect_emulator: ConnectEmulator,
    log_output: io.StringIO,
) -> None:
    sqs_event, outcome = run_batch(
        records,
        function=function,
        dependencies=production_function,
        emulator=connect_emulator,
        log_output=log_output,
    )
    delivered = list(zip(records, sqs_event["Records"], strict=True))
    label(delivered, outcome)

    assert_a_batch_response(outcome)
    assert_nothing_malformed_reached_connect(outcome)
    assert_nothing_retried(delivered, outcome)
    assert_hopeless_records_dead_lettered_with_reason(delivered, outcome)
    assert_no_task_content_in_logs_or_dead_letter_reasons(outcome)


Delivered = list[tuple[HostileRecord, dict[str, Any]]]


def label(delivered: Delivered, outcome: Outcome) -> None:
    """What the examples covered (pytest --hypothesis-show-statistics)."""
    error_types = {
        message["Body"]: message.get("MessageAttributes", {}).get("ErrorType", {}).get("StringValue")
        for message in outcome.dead_letters
    }
    for spec, record in delivered:
        fate = f"dead-lettered ({error_types[record['body']]})" if record["body"] in error_types else "done"
        hypothesis.event(f"{spec.kind}: {fate}")
    hypothesis.event(f"Connect created {min(outcome.created, 2)}{'+' if outcome.created >= 2 else ''} tasks")


def assert_a_batch_response(outcome: Outcome) -> None:
    assert isinstance(outcome.response, Mapping), outcome.response
    assert isinstance(outcome.response.get("batchItemFailures"), list), outcome.response


def assert_nothing_malformed_reached_connect(outcome: Outcome) -> None:
    rejected = outcome.rejections_by_rule
    malformed = {rule: count for rule, count in rejected.items() if rule in MALFORMED_REQUEST_RULES}
    assert not malformed, f"Connect received requests its model rejects: {malformed}"


def assert_nothing_retried(delivered: Delivered, outcome: Outcome) -> None:
    """Connect, the ledger and the DLQ are healthy: nothing is transient, so no record may be retried."""
    by_id = {record["messageId"]: (spec, record) for spec, record in delivered}
    retried = [by_id[failure["itemIdentifier"]] for failure in outcome.response["batchItemFailures"]]
    described = "; ".join(f"{spec.kind} record, body {record['body'][:160]!r}" for spec, record in retried)
    assert not retried, f"retried: {described}\n" + "\n".join(retry_lines(outcome.logs))


def assert_hopeless_records_dead_lettered_with_reason(delivered: Delivered, outcome: Outcome) -> None:
    bodies = {record["body"] for _, record in delivered}
    for spec, record in delivered:
        if spec.hopeless:
            assert record["body"] in outcome.dead_letter_bodies(), (
                f"{spec.kind} record not dead-lettered: {record['body'][:160]!r}"
            )
    for message in outcome.dead_letters:
        attributes = message.get("MessageAttributes", {})
        reason = {name: attributes.get(name, {}).get("StringValue", "") for name in REASON_ATTRIBUTES}
        assert all(text.strip() for text in reason.values()), f"dead letter without its reason: {reason}"
        assert message["Body"] in bodies, f"dead letter body changed: {message['Body'][:160]!r}"


def assert_no_task_content_in_logs_or_dead_letter_reasons(outcome: Outcome) -> None:
    assert outcome.logs.strip(), "the function logged nothing: the check below would prove nothing"
    leaks = [line for line in outcome.logs.splitlines() if CONTENT_MARKER in line]
    assert not leaks, f"task content in {len(leaks)} log line(s), e.g. {leaks[0][:400]}"
    reasons = [
        message.get("MessageAttributes", {}).get("ErrorMessage", {}) for message in outcome.dead_letters
    ]
    leaked = [
        reason.get("StringValue", "") for reason in reasons if CONTENT_MARKER in reason.get("StringValue", "")
    ]
    assert not leaked, f"task content in a dead letter's ErrorMessage: {leaked[0][:400]!r}"
