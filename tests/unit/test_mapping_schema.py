"""docs/mapping.schema.json and the function's loader agree: what one accepts the other accepts, what
one rejects the other rejects (the schema is documentation and editor support; the loader validates
on its own)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # dev-only, no stubs pinned

from task_creator.errors import MappingFileError
from task_creator.mapping.rules import parse_mapping
from task_creator.mapping.task_fields import ACTION_FIELDS, TASK_ACTIONS, TASK_FIELDS
from tests.support import MAPPING_SCHEMA_FILE, REPO_ROOT, SHIPPED_MAPPING_FILE, load_json

MAPPING_REFERENCE_FILE = REPO_ROOT / "docs" / "mapping.md"

MAXIMAL_MAPPING: dict[str, Any] = {
    "$schema": "../docs/mapping.schema.json",
    "description": "Every parameter and every pattern filter the format knows.",
    "unmatched": "ignore",
    "rules": [
        {
            "name": "everything.v1_all-parameters",
            "description": "A task template and every StartTaskContact parameter.",
            "match": {
                "source": ["acme.orders", {"prefix": "acme."}, {"prefix": {"equals-ignore-case": "ACME."}}],
                "detail-type": [{"suffix": "Delayed"}, {"suffix": {"equals-ignore-case": "delayed"}}],
                "account": [{"anything-but": ["000000000000", "111111111111"]}],
                "region": [{"equals-ignore-case": "US-EAST-1"}, {"wildcard": "eu-*-1"}],
                "detail": {
                    "priority": [{"anything-but": {"prefix": "low"}}],
                    "channel": [{"anything-but": {"equals-ignore-case": ["Fax", "Telex"]}}],
                    "ticket": [{"anything-but": {"wildcard": "TEST-*"}}],
                    "amount": [{"numeric": [">", 0, "<=", 1000]}, {"numeric": ["=", 5000]}],
                    "retries": [{"anything-but": 0}],
                    "express": [True, None],
                    "sourceIp": [{"cidr": "10.0.0.0/8"}],
                    "customer": {"tier": ["vip", "gold"], "email": [{"exists": True}]},
                    "cancelled": [{"exists": False}],
                    "$or": [{"warehouse": ["LIS-1"]}, {"carrier": {"name": ["UPS"]}}],
                },
            },
            "eventId": "{{ detail.orderId }}",
            "oversize": "fail",
            "pastScheduledTime": "dead-letter",
            "task": {
                "InstanceId": "11111111-2222-3333-4444-555555555555",
                "TaskTemplateId": "tt-0001",
                "PreviousContactId": "{{ detail.previousContactId }}",
                "RelatedContactId": "{{ detail.relatedContactId }}",
                "Name": "Order {{ detail.orderId }}",
                "Description": "{{ detail.reason || 'No reason given' }}",
                "Attributes": {"orderId": "{{ detail.orderId }}", "total_EUR-1": "{{ detail.amount }}"},
                "References": {
                    "Order": {"Type": "URL", "Value": "https://shop.example.com/orders/{{ detail.orderId }}"},
                    "Amount": {"Type": "NUMBER", "Value": "{{ detail.amount }}"},
                    "Reason": {"Type": "STRING", "Value": "{{ detail.reason }}"},
                    "Due": {"Type": "DATE", "Value": "{{ detail.dueAt }}"},
                    "Customer": {"Type": "EMAIL", "Value": "{{ detail.customer.email }}"},
                },
                "ScheduledTime": "{{ detail.followUpAt }}",
                "SegmentAttributes": {
                    "connect:Subtype": {"ValueString": "connect:Guide"},
                    "priority": {"ValueInteger": 3},
                    "retries": {"ValueInteger": "{{ detail.retries }}"},
                    "queue": {"ValueArn": "{{ detail.queueArn }}"},
                    "context": {
                        "ValueMap": {
                            "order": {"ValueString": "{{ detail.orderId }}"},
                            "tags": {"ValueList": [{"ValueString": "{{ detail.tag }}"}, {"ValueInteger": 1}]},
                        }
                    },
                },
                "Attachments": [
                    {"FileName": "{{ detail.invoice.name }}", "S3Url": "{{ detail.invoice.url }}"},
                    {
                        "FileName": "label.pdf",
                        "S3Url": "https://bucket.s3.amazonaws.com/{{ detail.orderId }}.pdf",
                    },
                ],
            },
        },
        {
            "name": "quick-connect",
            "match": {"$or": [{"source": ["acme.a"]}, {"detail": {"kind": ["b"]}}]},
            "task": {
                "QuickConnectId": "qc-1",
                "Name": "{{ detail.title }}",
                "ScheduledTime": 1795512600,
                "Attachments": "{{ detail.files }}",
            },
        },
        {
            "name": "own-flow",
            "match": {"source": ["acme.orders"]},
            "task": {"ContactFlowId": "{{ detail.flow }}", "Name": "n"},
        },
    ],
}


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = load_json(MAPPING_SCHEMA_FILE)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


def loader_rejects(document: Any) -> bool:
    try:
        parse_mapping(document)
    except MappingFileError:
        return True
    return False


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_json(MAPPING_SCHEMA_FILE)

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_shipped_mapping_is_valid_for_the_schema_and_the_loader(validator: Draft202012Validator) -> None:
    shipped = load_json(SHIPPED_MAPPING_FILE)

    assert schema_errors(validator, shipped) == []
    assert len(parse_mapping(shipped).rules) == len(shipped["rules"])


def test_maximal_mapping_uses_every_parameter_and_is_valid_for_both(validator: Draft202012Validator) -> None:
    named = {field for rule in MAXIMAL_MAPPING["rules"] for field in rule["task"]}

    assert named == set(TASK_FIELDS)
    assert schema_errors(validator, MAXIMAL_MAPPING) == []
    assert [r.name for r in parse_mapping(MAXIMAL_MAPPING).rules] == [
        "everything.v1_all-parameters",
        "quick-connect",
        "own-flow",
    ]


def mappings_in_the_reference() -> list[dict[str, Any]]:
    """Every JSON code block in docs/mapping.md that is a whole mapping file."""
    text = MAPPING_REFERENCE_FILE.read_text(encoding="utf-8")
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.DOTALL)]
    return [block for block in blocks if isinstance(block, dict) and "rules" in block]


def test_every_mapping_in_the_reference_is_valid_for_both(validator: Draft202012Validator) -> None:
    examples = mappings_in_the_reference()

    assert len(examples) >= 2
    for example in examples:
        assert schema_errors(validator, example) == []
        assert parse_mapping(example).rules


def test_schema_names_every_task_parameter_the_loader_accepts() -> None:
    schema = load_json(MAPPING_SCHEMA_FILE)

    assert set(schema["$defs"]["task"]["properties"]) == set(TASK_FIELDS)


# --- invalid documents: both reject -----------------------------------------------------------------

Change = Callable[[dict[str, Any]], object]


def first_rule(document: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = document["rules"][0]
    return rule


def first_task(document: dict[str, Any]) -> dict[str, Any]:
    task: dict[str, Any] = first_rule(document)["task"]
    return task


def first_match(document: dict[str, Any]) -> dict[str, Any]:
    match: dict[str, Any] = first_rule(document)["match"]
    return match


def broken(change: Change) -> dict[str, Any]:
    """The maximal mapping with one change applied."""
    document = copy.deepcopy(MAXIMAL_MAPPING)
    change(document)
    return document


INVALID_DOCUMENTS = {
    "not-an-object": lambda: ["rules"],
    "no-rules": lambda: broken(lambda d: d.pop("rules")),
    "empty-rules": lambda: broken(lambda d: d.update(rules=[])),
    "unknown-top-level-key": lambda: broken(lambda d: d.update(version=2)),
    "bad-unmatched": lambda: broken(lambda d: d.update(unmatched="drop")),
    "rule-not-an-object": lambda: broken(lambda d: d["rules"].append("order-delayed")),
    "unknown-rule-key": lambda: broken(lambda d: first_rule(d).update(colour="red")),
    "rule-without-name": lambda: broken(lambda d: first_rule(d).pop("name")),
    "name-with-space": lambda: broken(lambda d: first_rule(d).update(name="order delayed")),
    "name-too-long": lambda: broken(lambda d: first_rule(d).update(name="x" * 65)),
    "name-starting-with-dash": lambda: broken(lambda d: first_rule(d).update(name="-order")),
    "rule-without-match": lambda: broken(lambda d: first_rule(d).pop("match")),
    "rule-without-task": lambda: broken(lambda d: first_rule(d).pop("task")),
    "bad-oversize": lambda: broken(lambda d: first_rule(d).update(oversize="cut")),
    "constant-event-id": lambda: broken(lambda d: first_rule(d).update(eventId="order")),
    "bad-past-scheduled-time": lambda: broken(lambda d: first_rule(d).update(pastScheduledTime="later")),
    "empty-event-id": lambda: broken(lambda d: first_rule(d).update(eventId="")),
    "blank-event-id": lambda: broken(lambda d: first_rule(d).update(eventId="   ")),
    "number-event-id": lambda: broken(lambda d: first_rule(d).update(eventId=42)),
    "client-token-in-task": lambda: broken(lambda d: first_task(d).update(ClientToken="{{ id }}")),
    "unknown-task-parameter": lambda: broken(lambda d: first_task(d).update(Priority="5")),
    "task-without-name": lambda: broken(lambda d: first_task(d).pop("Name")),
    "name-not-text": lambda: broken(lambda d: first_task(d).update(Name=5)),
    "two-flow-selectors": lambda: broken(lambda d: first_task(d).update(ContactFlowId="f")),
    "three-flow-selectors": lambda: broken(
        lambda d: first_task(d).update(ContactFlowId="f", QuickConnectId="q")
    ),
    "attributes-not-an-object": lambda: broken(lambda d: first_task(d).update(Attributes=["a"])),
    "attribute-key-with-space": lambda: broken(
        lambda d: first_task(d)["Attributes"].update({"order id": "x"})
    ),
    "attribute-value-number": lambda: broken(lambda d: first_task(d)["Attributes"].update(count=3)),
    "reference-type-not-allowed": lambda: broken(
        lambda d: first_task(d)["References"].update(File={"Type": "ATTACHMENT", "Value": "x"})
    ),
    "reference-without-value": lambda: broken(
        lambda d: first_task(d)["References"].update(R={"Type": "URL"})
    ),
    "reference-extra-key": lambda: broken(
        lambda d: first_task(d)["References"].update(R={"Type": "URL", "Value": "v", "Status": "APPROVED"})
    ),
    "scheduled-time-boolean": lambda: broken(lambda d: first_task(d).update(ScheduledTime=True)),
    "segment-two-kinds": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update(s={"ValueString": "a", "ValueArn": "b"})
    ),
    "segment-unknown-kind": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update(s={"Value": "a"})
    ),
    "segment-empty-value": lambda: broken(lambda d: first_task(d)["SegmentAttributes"].update(s={})),
    "segment-integer-boolean": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update(s={"ValueInteger": True})
    ),
    "segment-map-not-object": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update(s={"ValueMap": ["a"]})
    ),
    "segment-list-not-list": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update(s={"ValueList": {"ValueString": "a"}})
    ),
    "attachments-empty": lambda: broken(lambda d: first_task(d).update(Attachments=[])),
    "attachments-text-around-expression": lambda: broken(
        lambda d: first_task(d).update(Attachments="files: {{ detail.files }}")
    ),
    "attachments-two-expressions": lambda: broken(
        lambda d: first_task(d).update(Attachments="{{ detail.a }}{{ detail.b }}")
    ),
    "attachment-without-url": lambda: broken(lambda d: first_task(d).update(Attachments=[{"FileName": "a"}])),
    "attachment-extra-key": lambda: broken(
        lambda d: first_task(d).update(Attachments=[{"FileName": "a", "S3Url": "u", "Size": "1"}])
    ),
    "match-not-an-object": lambda: broken(lambda d: first_rule(d).update(match=["acme.orders"])),
    "match-empty": lambda: broken(lambda d: first_rule(d).update(match={})),
    "match-value-not-a-list": lambda: broken(lambda d: first_match(d).update(source="acme.orders")),
    "match-empty-list": lambda: broken(lambda d: first_match(d).update(source=[])),
    "match-nested-empty-object": lambda: broken(lambda d: first_match(d)["detail"].update(customer={})),
    "match-value-object-literal": lambda: broken(lambda d: first_match(d).update(source=[["acme"]])),
    "filter-unknown": lambda: broken(lambda d: first_match(d).update(source=[{"prefx": "acme"}])),
    "filter-two-keys": lambda: broken(
        lambda d: first_match(d).update(source=[{"prefix": "a", "suffix": "b"}])
    ),
    "filter-empty": lambda: broken(lambda d: first_match(d).update(source=[{}])),
    "prefix-not-text": lambda: broken(lambda d: first_match(d).update(source=[{"prefix": 5}])),
    "exists-not-boolean": lambda: broken(lambda d: first_match(d).update(source=[{"exists": "yes"}])),
    "numeric-bad-operator": lambda: broken(lambda d: first_match(d).update(amount=[{"numeric": ["~", 1]}])),
    "numeric-bound-not-number": lambda: broken(
        lambda d: first_match(d).update(amount=[{"numeric": [">", "1"]}])
    ),
    "numeric-three-items": lambda: broken(
        lambda d: first_match(d).update(amount=[{"numeric": [">", 1, "<"]}])
    ),
    "numeric-range-wrong-way": lambda: broken(
        lambda d: first_match(d).update(amount=[{"numeric": ["<", 1, ">", 0]}])
    ),
    "anything-but-boolean": lambda: broken(lambda d: first_match(d).update(source=[{"anything-but": True}])),
    "anything-but-mixed-list": lambda: broken(
        lambda d: first_match(d).update(source=[{"anything-but": ["a", 1]}])
    ),
    "anything-but-empty-list": lambda: broken(lambda d: first_match(d).update(source=[{"anything-but": []}])),
    "anything-but-empty-prefix": lambda: broken(
        lambda d: first_match(d).update(source=[{"anything-but": {"prefix": ""}}])
    ),
    "anything-but-exists": lambda: broken(
        lambda d: first_match(d).update(source=[{"anything-but": {"exists": True}}])
    ),
    "wildcard-double-star": lambda: broken(lambda d: first_match(d).update(region=[{"wildcard": "eu-**"}])),
    "wildcard-bad-escape": lambda: broken(lambda d: first_match(d).update(region=[{"wildcard": "eu-\\x"}])),
    "or-single-branch": lambda: broken(lambda d: first_match(d).update({"$or": [{"source": ["a"]}]})),
    "or-not-a-list": lambda: broken(lambda d: first_match(d).update({"$or": {"source": ["a"]}})),
    "or-branch-uses-filter-name-as-field": lambda: broken(
        lambda d: first_match(d).update({"$or": [{"prefix": ["a"]}, {"source": ["b"]}]})
    ),
}


@pytest.mark.parametrize("make_document", INVALID_DOCUMENTS.values(), ids=INVALID_DOCUMENTS.keys())
def test_schema_and_loader_both_reject_the_invalid_document(
    validator: Draft202012Validator, make_document: Callable[[], Any]
) -> None:
    document = make_document()

    assert schema_errors(validator, document) != [], "the schema accepts it"
    assert loader_rejects(document), "the loader accepts it"


LOADER_ONLY_CHECKS = {
    "bad-jmespath": lambda: broken(lambda d: first_task(d).update(Name="Order {{ detail.[ }}")),
    "unterminated-placeholder": lambda: broken(
        lambda d: first_task(d).update(Description="{{ detail.reason")
    ),
    "empty-placeholder-event-id": lambda: broken(lambda d: first_rule(d).update(eventId="{{ }}")),
    "duplicate-rule-names": lambda: broken(lambda d: d["rules"][1].update(name="own-flow")),
    "numeric-range-empty": lambda: broken(
        lambda d: first_match(d).update(amount=[{"numeric": [">", 5, "<", 1]}])
    ),
    "cidr-not-a-network": lambda: broken(lambda d: first_match(d).update(ip=[{"cidr": "10.0.0.300/8"}])),
}


@pytest.mark.parametrize("make_document", LOADER_ONLY_CHECKS.values(), ids=LOADER_ONLY_CHECKS.keys())
def test_loader_also_rejects_what_a_json_schema_cannot_express(make_document: Callable[[], Any]) -> None:
    assert loader_rejects(make_document())


# --- literal values that can never render into a valid request: rejected when the file is loaded ------

LITERALLY_INVALID = {
    "description-not-text": lambda: broken(lambda d: first_rule(d).update(description=["x"])),
    "event-id-null": lambda: broken(lambda d: first_rule(d).update(eventId=None)),
    "name-empty-text": lambda: broken(lambda d: first_task(d).update(Name="")),
    "segment-integer-fraction": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update(s={"ValueInteger": 1.5})
    ),
    "six-attachments": lambda: broken(
        lambda d: first_task(d).update(Attachments=[{"FileName": f"{i}.pdf", "S3Url": "u"} for i in range(6)])
    ),
    "reference-name-empty": lambda: broken(
        lambda d: first_task(d)["References"].update({"": {"Type": "URL", "Value": "v"}})
    ),
    "segment-key-too-long": lambda: broken(
        lambda d: first_task(d)["SegmentAttributes"].update({"k" * 129: {"ValueString": "v"}})
    ),
}


@pytest.mark.parametrize("make_document", LITERALLY_INVALID.values(), ids=LITERALLY_INVALID.keys())
def test_schema_and_loader_both_reject_values_that_can_never_render(
    validator: Draft202012Validator, make_document: Callable[[], Any]
) -> None:
    document = make_document()

    assert schema_errors(validator, document) != [], "the schema accepts it"
    assert loader_rejects(document), "the loader accepts it"


def reference_type_not_text() -> dict[str, Any]:
    return broken(lambda d: first_task(d)["References"].update(R={"Type": ["URL"], "Value": "v"}))


def test_schema_rejects_a_reference_type_that_is_not_text(validator: Draft202012Validator) -> None:
    assert schema_errors(validator, reference_type_not_text()) != []


def test_loader_reports_a_reference_type_that_is_not_text() -> None:
    assert loader_rejects(reference_type_not_text())


# --- lifecycle rules: update, reschedule, complete ---------------------------------------------------

LIFECYCLE_MAPPING: dict[str, Any] = {
    "rules": [
        {
            "name": "order-delayed",
            "match": {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            "action": "create",
            "taskKey": "order:{{ detail.orderId }}",
            "pastScheduledTime": "dead-letter",
            "task": {"Name": "Order {{ detail.orderId }}", "ScheduledTime": "{{ detail.followUpAt }}"},
        },
        {
            "name": "order-changed",
            "match": {"source": ["acme.orders"], "detail-type": ["OrderChanged"]},
            "action": "update",
            "taskKey": "order:{{ detail.orderId }}",
            "eventId": "{{ detail.changeId }}",
            "oversize": "fail",
            "task": {
                "Name": "Order {{ detail.orderId }}: {{ detail.status }}",
                "Description": "{{ detail.reason }}",
                "Attributes": {"status": "{{ detail.status }}"},
                "References": {"Tracking": {"Type": "URL", "Value": "{{ detail.trackingUrl }}"}},
                "SegmentAttributes": {"priority": {"ValueInteger": "{{ detail.priority }}"}},
            },
        },
        {
            "name": "order-moved",
            "match": {"source": ["acme.orders"], "detail-type": ["OrderMoved"]},
            "action": "reschedule",
            "taskKey": "order:{{ detail.orderId }}",
            "pastScheduledTime": "dead-letter",
            "task": {"ScheduledTime": "{{ detail.followUpAt }}"},
        },
        {
            "name": "order-moved-to-a-fixed-time",
            "match": {"source": ["acme.orders"], "detail-type": ["OrderMovedToMorning"]},
            "action": "reschedule",
            "taskKey": "order:{{ detail.orderId }}",
            "task": {"ScheduledTime": 1795512600},
        },
        {
            "name": "order-delivered",
            "match": {"source": ["acme.orders"], "detail-type": ["OrderDelivered"]},
            "action": "complete",
            "taskKey": "order:{{ detail.orderId }}",
        },
        {
            "name": "order-cancelled",
            "match": {"source": ["acme.orders"], "detail-type": ["OrderCancelled"]},
            "action": "complete",
            "taskKey": "order:{{ detail.orderId }}",
            "task": {"DisconnectReason": {"Code": "{{ detail.reason }}"}},
        },
    ]
}


def lifecycle_rule(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def pick(document: dict[str, Any]) -> dict[str, Any]:
        rule: dict[str, Any] = next(r for r in document["rules"] if r["name"] == name)
        return rule

    return pick


def broken_lifecycle(change: Change) -> dict[str, Any]:
    """The lifecycle mapping with one change applied."""
    document = copy.deepcopy(LIFECYCLE_MAPPING)
    change(document)
    return document


UPDATE, RESCHEDULE = lifecycle_rule("order-changed"), lifecycle_rule("order-moved")
COMPLETE, CANCEL = lifecycle_rule("order-delivered"), lifecycle_rule("order-cancelled")
CREATE = lifecycle_rule("order-delayed")

INVALID_LIFECYCLE_DOCUMENTS = {
    "unknown-action": lambda: broken_lifecycle(lambda d: UPDATE(d).update(action="delete")),
    "action-not-text": lambda: broken_lifecycle(lambda d: UPDATE(d).update(action=["update"])),
    "update-without-task-key": lambda: broken_lifecycle(lambda d: UPDATE(d).pop("taskKey")),
    "reschedule-without-task-key": lambda: broken_lifecycle(lambda d: RESCHEDULE(d).pop("taskKey")),
    "complete-without-task-key": lambda: broken_lifecycle(lambda d: COMPLETE(d).pop("taskKey")),
    "constant-task-key": lambda: broken_lifecycle(lambda d: UPDATE(d).update(taskKey="order")),
    "empty-task-key": lambda: broken_lifecycle(lambda d: CREATE(d).update(taskKey="")),
    "number-task-key": lambda: broken_lifecycle(lambda d: CREATE(d).update(taskKey=7)),
    "update-without-task": lambda: broken_lifecycle(lambda d: UPDATE(d).pop("task")),
    "update-with-empty-task": lambda: broken_lifecycle(lambda d: UPDATE(d).update(task={})),
    "update-with-a-create-parameter": lambda: broken_lifecycle(
        lambda d: UPDATE(d)["task"].update(ContactFlowId="flow-1")
    ),
    "update-with-instance-id": lambda: broken_lifecycle(lambda d: UPDATE(d)["task"].update(InstanceId="i")),
    "update-with-contact-id": lambda: broken_lifecycle(lambda d: UPDATE(d)["task"].update(ContactId="c")),
    "update-with-attachments": lambda: broken_lifecycle(
        lambda d: UPDATE(d)["task"].update(Attachments=[{"FileName": "a", "S3Url": "u"}])
    ),
    "update-with-scheduled-time": lambda: broken_lifecycle(
        lambda d: UPDATE(d)["task"].update(ScheduledTime="{{ detail.at }}")
    ),
    "update-reference-type-not-allowed": lambda: broken_lifecycle(
        lambda d: UPDATE(d)["task"]["References"].update(File={"Type": "ATTACHMENT", "Value": "x"})
    ),
    "update-attribute-key-with-space": lambda: broken_lifecycle(
        lambda d: UPDATE(d)["task"]["Attributes"].update({"order status": "x"})
    ),
    "update-with-past-scheduled-time": lambda: broken_lifecycle(
        lambda d: UPDATE(d).update(pastScheduledTime="dead-letter")
    ),
    "reschedule-without-task": lambda: broken_lifecycle(lambda d: RESCHEDULE(d).pop("task")),
    "reschedule-without-scheduled-time": lambda: broken_lifecycle(lambda d: RESCHEDULE(d).update(task={})),
    "reschedule-with-name": lambda: broken_lifecycle(lambda d: RESCHEDULE(d)["task"].update(Name="n")),
    "reschedule-scheduled-time-boolean": lambda: broken_lifecycle(
        lambda d: RESCHEDULE(d)["task"].update(ScheduledTime=True)
    ),
    "reschedule-that-starts-now": lambda: broken_lifecycle(
        lambda d: RESCHEDULE(d).update(pastScheduledTime="start-now")
    ),
    "reschedule-with-oversize": lambda: broken_lifecycle(lambda d: RESCHEDULE(d).update(oversize="fail")),
    "complete-task-not-an-object": lambda: broken_lifecycle(lambda d: COMPLETE(d).update(task="stop")),
    "complete-with-a-name": lambda: broken_lifecycle(lambda d: COMPLETE(d).update(task={"Name": "n"})),
    "complete-with-instance-id": lambda: broken_lifecycle(
        lambda d: COMPLETE(d).update(task={"InstanceId": "i"})
    ),
    "complete-disconnect-reason-text": lambda: broken_lifecycle(
        lambda d: CANCEL(d)["task"].update(DisconnectReason="CUSTOMER")
    ),
    "complete-disconnect-reason-without-code": lambda: broken_lifecycle(
        lambda d: CANCEL(d)["task"].update(DisconnectReason={})
    ),
    "complete-disconnect-reason-extra-member": lambda: broken_lifecycle(
        lambda d: CANCEL(d)["task"]["DisconnectReason"].update(Reason="x")
    ),
    "complete-disconnect-code-number": lambda: broken_lifecycle(
        lambda d: CANCEL(d)["task"]["DisconnectReason"].update(Code=5)
    ),
    "complete-with-past-scheduled-time": lambda: broken_lifecycle(
        lambda d: COMPLETE(d).update(pastScheduledTime="dead-letter")
    ),
    "complete-with-oversize": lambda: broken_lifecycle(lambda d: COMPLETE(d).update(oversize="truncate")),
    "create-with-disconnect-reason": lambda: broken_lifecycle(
        lambda d: CREATE(d)["task"].update(DisconnectReason={"Code": "x"})
    ),
    "create-without-task": lambda: broken_lifecycle(lambda d: CREATE(d).pop("task")),
}


def test_lifecycle_mapping_uses_every_action_and_parameter_and_is_valid_for_both(
    validator: Draft202012Validator,
) -> None:
    named = {field for rule in LIFECYCLE_MAPPING["rules"] for field in rule.get("task", {})}

    assert schema_errors(validator, LIFECYCLE_MAPPING) == []
    mapping = parse_mapping(LIFECYCLE_MAPPING)
    assert {rule.action for rule in mapping.rules} == set(TASK_ACTIONS)
    assert {f for action in TASK_ACTIONS if action != "create" for f in ACTION_FIELDS[action]} <= named


def test_schema_names_every_lifecycle_parameter_the_loader_accepts() -> None:
    definitions = load_json(MAPPING_SCHEMA_FILE)["$defs"]

    assert set(definitions["updateTask"]["properties"]) == set(ACTION_FIELDS["update"])
    assert set(definitions["rescheduleTask"]["properties"]) == set(ACTION_FIELDS["reschedule"])
    assert set(definitions["completeTask"]["properties"]) == set(ACTION_FIELDS["complete"])
    assert definitions["rule"]["properties"]["action"]["enum"] == list(TASK_ACTIONS)


@pytest.mark.parametrize(
    "make_document", INVALID_LIFECYCLE_DOCUMENTS.values(), ids=INVALID_LIFECYCLE_DOCUMENTS.keys()
)
def test_schema_and_loader_both_reject_the_invalid_lifecycle_document(
    validator: Draft202012Validator, make_document: Callable[[], Any]
) -> None:
    document = make_document()

    assert schema_errors(validator, document) != [], "the schema accepts it"
    assert loader_rejects(document), "the loader accepts it"


def test_loader_also_rejects_a_task_key_with_an_empty_placeholder() -> None:
    assert loader_rejects(broken_lifecycle(lambda d: UPDATE(d).update(taskKey="order:{{ }}")))


VALID_LIFECYCLE_VARIANTS = {
    "complete-with-an-empty-task": lambda: broken_lifecycle(lambda d: COMPLETE(d).update(task={})),
    "update-of-attributes-only": lambda: broken_lifecycle(
        lambda d: UPDATE(d).update(task={"Attributes": {"status": "{{ detail.status }}"}})
    ),
    "update-that-truncates": lambda: broken_lifecycle(lambda d: UPDATE(d).update(oversize="truncate")),
    "explicit-create-without-task-key": lambda: broken_lifecycle(lambda d: CREATE(d).pop("taskKey")),
    "create-that-starts-late": lambda: broken_lifecycle(
        lambda d: CREATE(d).update(pastScheduledTime="start-now")
    ),
    "reschedule-without-past-scheduled-time": lambda: broken_lifecycle(
        lambda d: RESCHEDULE(d).pop("pastScheduledTime")
    ),
}


@pytest.mark.parametrize(
    "make_document", VALID_LIFECYCLE_VARIANTS.values(), ids=VALID_LIFECYCLE_VARIANTS.keys()
)
def test_schema_and_loader_both_accept_the_lifecycle_variant(
    validator: Draft202012Validator, make_document: Callable[[], Any]
) -> None:
    document = make_document()

    assert schema_errors(validator, document) == []
    assert parse_mapping(document).rules
