"""Mapping rules: the file is validated as a whole, every problem names its rule and field, and every
matching rule is found (fan-out)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from task_creator.errors import MappingFileError
from task_creator.mapping.rules import TaskMapping, load_mapping, parse_mapping
from tests.support import SHIPPED_MAPPING_FILE, load_event

MATCH_ORDERS = {"source": ["acme.orders"]}


def rule(name: str, task: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A valid rule unless ``fields``/``task`` say otherwise."""
    return {"name": name, "match": MATCH_ORDERS, "task": {"Name": "n"} if task is None else task, **fields}


def problems_of(document: Any) -> list[str]:
    with pytest.raises(MappingFileError) as raised:
        parse_mapping(document)
    return raised.value.problems


def is_reported(expected: str, problems: list[str]) -> bool:
    """Does a problem start with ``expected`` (where ``…`` stands for any text)?"""
    pattern = ".*?".join(re.escape(part) for part in expected.split("…"))
    return any(re.match(pattern, problem) for problem in problems)


def order_envelope(**detail: Any) -> dict[str, Any]:
    envelope = load_event("eventbridge-order-delayed.json")
    envelope["detail"].update(detail)
    return envelope


# --- the shipped mapping ----------------------------------------------------------------------------


def test_shipped_mapping_loads_with_every_rule_in_file_order() -> None:
    mapping = load_mapping(SHIPPED_MAPPING_FILE)

    assert [r.name for r in mapping.rules] == [
        "order-delayed",
        "order-delivery-rescheduled",
        "order-follow-up-moved",
        "order-delivered",
        "vip-escalation",
        "payment-failed",
        "callback-request",
        "support-ticket",
        "stock-low",
        "shipment-exception",
    ]
    assert mapping.unmatched == "dead-letter"
    assert mapping.origin == str(SHIPPED_MAPPING_FILE)


def test_rule_defaults_are_truncate_and_no_event_id() -> None:
    mapping = parse_mapping({"rules": [rule("plain")]})

    (only,) = mapping.rules
    assert only.oversize == "truncate"
    assert only.past_scheduled_time == "start-now"
    assert only.event_id is None


def test_unmatched_defaults_to_dead_letter_and_accepts_ignore() -> None:
    assert parse_mapping({"rules": [rule("r")]}).unmatched == "dead-letter"
    assert parse_mapping({"rules": [rule("r")], "unmatched": "ignore"}).unmatched == "ignore"


# --- matching ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> TaskMapping:
    return load_mapping(SHIPPED_MAPPING_FILE)


def test_every_matching_rule_is_returned_for_fan_out(shipped: TaskMapping) -> None:
    vip_order = order_envelope(customer={"id": "CUST-7", "tier": "vip"})

    assert [r.name for r in shipped.matching_rules(vip_order)] == ["order-delayed", "vip-escalation"]


def test_anything_but_excludes_low_priority_orders(shipped: TaskMapping) -> None:
    low_standard = order_envelope(priority="low")
    low_vip = order_envelope(priority="low", customer={"id": "CUST-7", "tier": "vip"})

    assert shipped.matching_rules(low_standard) == []
    assert [r.name for r in shipped.matching_rules(low_vip)] == ["vip-escalation"]


def test_event_no_rule_matches_gets_no_rules(shipped: TaskMapping) -> None:
    newsletter = json.loads(load_event("sqs-poison-records.json")["Records"][1]["body"])

    assert shipped.matching_rules(newsletter) == []


def test_prefix_and_numeric_filters_of_the_shipped_rules(shipped: TaskMapping) -> None:
    shipment = {"source": "acme.shipping", "detail-type": "ShipmentLost", "detail": {}}
    refund = {"source": "acme.payments", "detail-type": "PaymentFailed", "detail": {"amount": 0}}

    assert [r.name for r in shipped.matching_rules(shipment)] == ["shipment-exception"]
    assert shipped.matching_rules(refund) == []


# --- loading errors ---------------------------------------------------------------------------------


def test_missing_file_is_a_mapping_file_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"

    with pytest.raises(MappingFileError, match="cannot read the file") as raised:
        load_mapping(missing)

    assert raised.value.origin == str(missing)
    assert str(missing) in str(raised.value)


def test_file_that_is_not_json_is_a_mapping_file_error_with_position(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text('{"rules": [\n  {"name": "x",}\n]}', encoding="utf-8")

    with pytest.raises(MappingFileError, match=r"not valid JSON: .* at line 2 column"):
        load_mapping(path)


def test_mapping_file_from_disk_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"rules": [rule("from-disk")], "unmatched": "ignore"}), encoding="utf-8")

    mapping = load_mapping(path)

    assert [r.name for r in mapping.rules] == ["from-disk"]
    assert mapping.unmatched == "ignore"


# --- validation: every problem, each naming its rule and field --------------------------------------

# (a rule with one problem, how the loader's report of it starts; "…" stands for any text)
RULE_PROBLEMS: list[tuple[dict[str, Any], str]] = [
    (rule("unknown-key", colour="red"), "rule 'unknown-key': unknown key 'colour'"),
    (
        rule("unknown-task-field", {"Name": "n", "Priority": "5"}),
        "rule 'unknown-task-field': task.Priority: not a StartTaskContact parameter",
    ),
    (
        rule("client-token", {"Name": "n", "ClientToken": "{{ id }}"}),
        "rule 'client-token': task.ClientToken: not a StartTaskContact parameter"
        " (it is derived from the event: see 'eventId')",
    ),
    (rule("no-name", {"Description": "d"}), "rule 'no-name': task.Name is required"),
    (
        rule("bad-jmespath-name", {"Name": "Order {{ detail.[ }}"}),
        "rule 'bad-jmespath-name': task.Name: invalid JMESPath expression 'detail.['",
    ),
    (
        rule("bad-jmespath-attribute", {"Name": "n", "Attributes": {"orderId": "{{ detail..orderId }}"}}),
        "rule 'bad-jmespath-attribute': task.Attributes.orderId: invalid JMESPath expression",
    ),
    (
        rule("unterminated", {"Name": "n", "Description": "{{ detail.reason"}),
        "rule 'unterminated': task.Description: unterminated placeholder",
    ),
    (
        rule("bad-pattern-shape", match={"detail": {"priority": "high"}}),
        "rule 'bad-pattern-shape': match.detail.priority: must be an array of match values or an object",
    ),
    (
        rule("bad-pattern-filter", match={"source": [{"prefx": "acme"}]}),
        "rule 'bad-pattern-filter': match.source[0]: unknown filter 'prefx'",
    ),
    (
        rule("bad-numeric", match={"detail": {"amount": [{"numeric": [">", "zero"]}]}}),
        "rule 'bad-numeric': match.detail.amount[0]: numeric expects a finite number",
    ),
    (rule("empty-pattern", match={}), "rule 'empty-pattern': match…: must not be an empty object"),
    (
        rule(
            "bad-reference-type", {"Name": "n", "References": {"Doc": {"Type": "ATTACHMENT", "Value": "v"}}}
        ),
        "rule 'bad-reference-type': task.References.Doc.Type: 'ATTACHMENT' cannot be set at task creation",
    ),
    (
        rule("reference-without-value", {"Name": "n", "References": {"Doc": {"Type": "URL"}}}),
        "rule 'reference-without-value': task.References.Doc: a reference is an object with exactly"
        " 'Type' and 'Value'",
    ),
    (
        rule("two-flows", {"Name": "n", "ContactFlowId": "f", "TaskTemplateId": "t"}),
        "rule 'two-flows': task names ContactFlowId and TaskTemplateId: Connect accepts exactly one flow"
        " selector",
    ),
    (
        rule("flow-and-quick-connect", {"Name": "n", "ContactFlowId": "f", "QuickConnectId": "q"}),
        "rule 'flow-and-quick-connect': task names ContactFlowId and QuickConnectId",
    ),
    (
        rule("empty-event-id", eventId=""),
        "rule 'empty-event-id': 'eventId' must be a non-empty template string",
    ),
    (
        rule("number-event-id", eventId=42),
        "rule 'number-event-id': 'eventId' must be a non-empty template string",
    ),
    (rule("blank-event-id", eventId="{{ }}"), "rule 'blank-event-id': eventId: empty placeholder"),
    (
        rule("constant-event-id", eventId="order"),
        "rule 'constant-event-id': 'eventId' must contain a {{ placeholder }}: a constant makes every event"
        " one task",
    ),
    (
        rule("bad-oversize", oversize="cut"),
        "rule 'bad-oversize': 'oversize' must be one of ['truncate', 'fail'], got 'cut'",
    ),
    (
        rule("bad-past", pastScheduledTime="skip"),
        "rule 'bad-past': 'pastScheduledTime' must be one of ['start-now', 'dead-letter'], got 'skip'",
    ),
    (
        rule("bad name", eventId="{{ id }}"),
        "rule 'bad name': 'name' is required: 1-64 letters, digits, '.', '_' or '-'",
    ),
    (rule("x" * 65), f"rule '{'x' * 65}': 'name' is required"),
    ({"name": "no-match", "task": {"Name": "n"}}, "rule 'no-match': 'match' is required"),
    ({"name": "no-task", "match": MATCH_ORDERS}, "rule 'no-task': 'task' is required"),
    (
        rule("bad-attribute-key", {"Name": "n", "Attributes": {"order id": "x"}}),
        "rule 'bad-attribute-key': task.Attributes.order id: attribute keys may contain only letters,"
        " digits, '_' and '-'",
    ),
    (
        rule("number-attribute", {"Name": "n", "Attributes": {"count": 3}}),
        "rule 'number-attribute': task.Attributes.count: must be a string",
    ),
    (
        rule("number-name", {"Name": 5}),
        "rule 'number-name': task.Name: must be a string",
    ),
    (
        rule("boolean-schedule", {"Name": "n", "ScheduledTime": True}),
        "rule 'boolean-schedule': task.ScheduledTime: must be a string",
    ),
    (
        rule(
            "two-kind-segment",
            {"Name": "n", "SegmentAttributes": {"k": {"ValueString": "a", "ValueArn": "b"}}},
        ),
        "rule 'two-kind-segment': task.SegmentAttributes.k: a segment attribute value is an object with"
        " exactly one of",
    ),
    (
        rule("unknown-kind-segment", {"Name": "n", "SegmentAttributes": {"k": {"ValueFloat": 1.5}}}),
        "rule 'unknown-kind-segment': task.SegmentAttributes.k: a segment attribute value",
    ),
    (
        rule("nested-segment", {"Name": "n", "SegmentAttributes": {"k": {"ValueMap": {"m": {"Value": 1}}}}}),
        "rule 'nested-segment': task.SegmentAttributes.k.ValueMap.m: a segment attribute value",
    ),
    (
        rule("empty-attachments", {"Name": "n", "Attachments": []}),
        "rule 'empty-attachments': task.Attachments: must be a list of 1 to 5",
    ),
    (
        rule("attachment-text", {"Name": "n", "Attachments": "files: {{ detail.files }}"}),
        "rule 'attachment-text': task.Attachments: as a string it must be one {{ expression }} yielding"
        " a list",
    ),
    (
        rule("attachment-without-url", {"Name": "n", "Attachments": [{"FileName": "a.pdf"}]}),
        "rule 'attachment-without-url': task.Attachments[0]: an attachment is an object with exactly"
        " 'FileName' and 'S3Url'",
    ),
    (
        rule("six-attachments", {"Name": "n", "Attachments": [{"FileName": "a", "S3Url": "u"}] * 6}),
        'rule \'six-attachments\': task.Attachments: must be a list of 1 to 5 {"FileName", "S3Url"} objects',
    ),
    (
        rule("unknown-function", {"Name": "{{ lenght(detail.orderId) }}"}),
        "rule 'unknown-function': task.Name: unknown JMESPath function lenght()",
    ),
    (rule("empty-name", {"Name": ""}), "rule 'empty-name': task.Name must not be empty"),
    (rule("blank-name", {"Name": "  "}), "rule 'blank-name': task.Name must not be empty"),
    (rule("list-description", description=["x"]), "rule 'list-description': 'description' must be a string"),
    (
        rule("null-event-id", eventId=None),
        "rule 'null-event-id': 'eventId' must be a non-empty template string",
    ),
    (
        rule("fraction-integer", {"Name": "n", "SegmentAttributes": {"k": {"ValueInteger": 1.5}}}),
        "rule 'fraction-integer': task.SegmentAttributes.k.ValueInteger: must be a whole number",
    ),
    (
        rule("empty-reference-name", {"Name": "n", "References": {"": {"Type": "URL", "Value": "v"}}}),
        "rule 'empty-reference-name': task.References.: a reference name has 1 to 4096 characters",
    ),
    (
        rule("long-reference-name", {"Name": "n", "References": {"r" * 4097: {"Type": "URL", "Value": "v"}}}),
        "rule 'long-reference-name': task.References.r…: a reference name has 1 to 4096 characters",
    ),
    (
        rule("empty-segment-name", {"Name": "n", "SegmentAttributes": {"": {"ValueString": "v"}}}),
        "rule 'empty-segment-name': task.SegmentAttributes: segment attribute names have 1 to 128 characters",
    ),
    (
        rule("long-segment-name", {"Name": "n", "SegmentAttributes": {"s" * 129: {"ValueString": "v"}}}),
        "rule 'long-segment-name': task.SegmentAttributes: segment attribute names have 1 to 128 characters",
    ),
]


@pytest.mark.parametrize(
    ("bad_rule", "expected"), [pytest.param(r, p, id=str(r.get("name"))[:30]) for r, p in RULE_PROBLEMS]
)
def test_each_rule_problem_is_reported_naming_rule_and_field(bad_rule: dict[str, Any], expected: str) -> None:
    problems = problems_of({"rules": [bad_rule]})

    assert is_reported(expected, problems), problems


TOP_LEVEL_PROBLEMS = [
    "unknown top-level key 'version'",
    "'description' must be a string",
    "'unmatched' must be one of ['dead-letter', 'ignore'], got 'drop'",
    "rule 'twice': duplicate rule name",
]


def test_every_problem_in_the_file_is_reported_at_once() -> None:
    document = {
        "version": 2,
        "description": 7,
        "unmatched": "drop",
        "rules": [
            rule("twice"),
            *(bad_rule for bad_rule, _ in RULE_PROBLEMS),
            rule("twice"),
        ],
    }

    with pytest.raises(MappingFileError) as raised:
        parse_mapping(document, origin="mapping.json")

    reported = raised.value.problems
    for expected in [*TOP_LEVEL_PROBLEMS, *(problem for _, problem in RULE_PROBLEMS)]:
        assert is_reported(expected, reported), expected
    assert str(raised.value).startswith("invalid mapping file mapping.json:\n  - ")


def test_one_rule_with_several_problems_reports_each() -> None:
    bad = {
        "name": "many",
        "match": {"source": "acme.orders"},
        "eventId": "",
        "oversize": "wrap",
        "task": {"Description": "{{ }}", "ClientToken": "t", "ContactFlowId": "f", "QuickConnectId": "q"},
    }

    problems = problems_of({"rules": [bad]})

    assert problems == [
        "rule 'many': match.source: must be an array of match values or an object, got string",
        "rule 'many': 'oversize' must be one of ['truncate', 'fail'], got 'wrap'",
        "rule 'many': 'eventId' must be a non-empty template string",
        "rule 'many': task.Description: empty placeholder {{ }}",
        "rule 'many': task.ClientToken: not a StartTaskContact parameter (it is derived from the event:"
        " see 'eventId')",
        "rule 'many': task names ContactFlowId and QuickConnectId: Connect accepts exactly one flow selector",
        "rule 'many': task.Name is required",
    ]


def test_rule_without_a_name_is_named_by_its_position() -> None:
    problems = problems_of({"rules": [rule("fine"), {"match": MATCH_ORDERS, "task": {"Name": "n"}}]})

    assert problems == [
        "rules[1]: 'name' is required: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param([], "the file must hold a JSON object with a 'rules' list", id="array"),
        pytest.param({}, "'rules' must be a non-empty list of rules", id="no-rules"),
        pytest.param({"rules": []}, "'rules' must be a non-empty list of rules", id="empty-rules"),
        pytest.param({"rules": {"a": 1}}, "'rules' must be a non-empty list of rules", id="rules-object"),
        pytest.param(
            {"rules": ["order-delayed"]}, "rules[0]: a rule must be a JSON object", id="rule-string"
        ),
    ],
)
def test_document_shape_problems(document: Any, expected: str) -> None:
    assert expected in problems_of(document)


@pytest.mark.parametrize("reference_type", [["URL"], {"type": "URL"}])
def test_reference_type_that_is_not_a_string_is_reported(reference_type: Any) -> None:
    bad = rule("odd-type", {"Name": "n", "References": {"Doc": {"Type": reference_type, "Value": "v"}}})

    problems = problems_of({"rules": [bad]})

    assert any(problem.startswith("rule 'odd-type': task.References.Doc.Type") for problem in problems)


def test_rule_name_with_trailing_newline_is_rejected() -> None:
    problems = problems_of({"rules": [rule("order-delayed\n")]})

    assert any("'name' is required" in problem for problem in problems)


def test_duplicate_name_is_reported_even_when_the_first_rule_has_other_problems() -> None:
    broken_first = rule("twice", match={"source": [{"prefixx": "a"}]})

    problems = problems_of({"rules": [broken_first, rule("twice")]})

    assert "rule 'twice': duplicate rule name" in problems
    assert any("prefixx" in problem for problem in problems)
