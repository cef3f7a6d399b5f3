"""Lifecycle rules at load: a rule's action (create, update, reschedule, complete), its task key, and a
task block holding its own Connect operation's fields; every problem names the rule and the field."""

from __future__ import annotations

import re
from typing import Any

import pytest

from task_creator.errors import MappingFileError
from task_creator.mapping.rules import TaskMapping, parse_mapping
from tests.support import load_event

ORDERS = {"source": ["acme.orders"]}
KEY = "order:{{ detail.orderId }}"


def rule(name: str, action: str | None = None, task: Any = None, **fields: Any) -> dict[str, Any]:
    """A rule of ``action`` (a create when None), with ``task`` when given and ``fields`` as written."""
    written: dict[str, Any] = {"name": name, "match": ORDERS, **fields}
    if action is not None:
        written["action"] = action
    if task is not None:
        written["task"] = task
    return written


def update(name: str = "order-changed", task: Any = None, **fields: Any) -> dict[str, Any]:
    return rule(name, "update", {"Description": "{{ detail.reason }}"} if task is None else task, **fields)


def reschedule(name: str = "order-moved", task: Any = None, **fields: Any) -> dict[str, Any]:
    return rule(
        name, "reschedule", {"ScheduledTime": "{{ detail.followUpAt }}"} if task is None else task, **fields
    )


def load(*rules: dict[str, Any]) -> TaskMapping:
    return parse_mapping({"rules": list(rules)})


def problems_of(*rules: dict[str, Any]) -> list[str]:
    with pytest.raises(MappingFileError) as raised:
        load(*rules)
    return raised.value.problems


def is_reported(expected: str, problems: list[str]) -> bool:
    """Does a problem start with ``expected`` (where ``…`` stands for any text)?"""
    pattern = ".*?".join(re.escape(part) for part in expected.split("…"))
    return any(re.match(pattern, problem) for problem in problems)


# --- what a valid lifecycle rule loads as -------------------------------------------------------------


def test_rule_without_an_action_creates_and_registers_no_task_key() -> None:
    created = load(rule("order-delayed", task={"Name": "n"})).rules[0]

    assert created.action == "create"
    assert created.task_key is None
    assert not created.is_lifecycle


def test_create_rule_may_register_its_task_under_a_task_key() -> None:
    created = load(rule("order-delayed", "create", {"Name": "n"}, taskKey=KEY)).rules[0]

    assert created.action == "create"
    assert created.task_key is not None
    assert created.task_key.text == KEY
    assert created.is_lifecycle


@pytest.mark.parametrize(
    ("written", "action"),
    [
        (update(taskKey=KEY), "update"),
        (reschedule(taskKey=KEY), "reschedule"),
        (rule("order-delivered", "complete", taskKey=KEY), "complete"),
    ],
    ids=["update", "reschedule", "complete"],
)
def test_follow_up_rule_loads_with_its_action_and_the_key_it_acts_on(
    written: dict[str, Any], action: str
) -> None:
    loaded = load(written).rules[0]

    assert loaded.action == action
    assert loaded.task_key is not None
    assert loaded.task_key.text == KEY


def test_complete_rule_needs_no_task_block() -> None:
    completed = load(rule("order-delivered", "complete", taskKey=KEY)).rules[0]

    assert completed.task == {}
    assert completed.compiled_task == {}


def test_complete_rule_may_name_a_disconnect_reason() -> None:
    completed = load(
        rule(
            "order-cancelled", "complete", {"DisconnectReason": {"Code": "{{ detail.reason }}"}}, taskKey=KEY
        )
    ).rules[0]

    assert set(completed.compiled_task) == {"DisconnectReason"}


def test_reschedule_rule_dead_letters_a_passed_time_without_being_told() -> None:
    assert load(reschedule(taskKey=KEY)).rules[0].past_scheduled_time == "dead-letter"
    assert load(reschedule(taskKey=KEY, pastScheduledTime="dead-letter")).rules[0].past_scheduled_time == (
        "dead-letter"
    )


def test_update_rule_keeps_its_oversize_choice() -> None:
    assert load(update(taskKey=KEY, oversize="fail")).rules[0].oversize == "fail"


def test_update_rule_may_set_every_update_field() -> None:
    task = {
        "Name": "Order {{ detail.orderId }}",
        "Description": "{{ detail.reason }}",
        "Attributes": {"status": "{{ detail.status }}"},
        "References": {"Order": {"Type": "URL", "Value": "https://shop.example.com/{{ detail.orderId }}"}},
        "SegmentAttributes": {"priority": {"ValueInteger": 3}},
    }

    assert set(load(update(task=task, taskKey=KEY)).rules[0].compiled_task) == set(task)


# --- has_lifecycle_rules: whether the deployment needs the ledger table ------------------------------


def test_mapping_of_plain_creates_has_no_lifecycle_rules() -> None:
    mapping = load(rule("a", task={"Name": "n"}), rule("b", task={"Name": "n"}, eventId="{{ id }}"))

    assert not mapping.has_lifecycle_rules


@pytest.mark.parametrize(
    "lifecycle",
    [
        rule("keyed-create", task={"Name": "n"}, taskKey=KEY),
        update(taskKey=KEY),
        reschedule(taskKey=KEY),
        rule("order-delivered", "complete", taskKey=KEY),
    ],
    ids=["create-with-task-key", "update", "reschedule", "complete"],
)
def test_one_rule_with_a_task_key_or_another_action_makes_a_lifecycle_mapping(
    lifecycle: dict[str, Any],
) -> None:
    assert load(rule("plain", task={"Name": "n"}), lifecycle).has_lifecycle_rules


# --- one event, rules of several actions ------------------------------------------------------------


def test_event_matching_rules_of_several_actions_gets_every_one_of_them() -> None:
    mapping = load(
        rule("order-task", task={"Name": "n"}, taskKey=KEY),
        update("order-note", taskKey="note:{{ detail.orderId }}"),
        rule("order-closed", "complete", taskKey="ticket:{{ detail.customer.id }}"),
    )

    matched = mapping.matching_rules(load_event("eventbridge-order-delayed.json"))

    assert [(r.name, r.action) for r in matched] == [
        ("order-task", "create"),
        ("order-note", "update"),
        ("order-closed", "complete"),
    ]


# --- refused at load, naming the rule and the field -------------------------------------------------

INVALID = [
    (
        rule("x", "delete", {"Name": "n"}, taskKey=KEY),
        "rule 'x': 'action' must be one of ['create', 'update', 'reschedule', 'complete'], got 'delete'",
    ),
    (
        update("x"),
        "rule 'x': 'taskKey' is required in an \"update\" rule: a template naming the task it acts on,"
        ' e.g. "order:{{ detail.orderId }}"',
    ),
    (reschedule("x"), "rule 'x': 'taskKey' is required in a \"reschedule\" rule"),
    (rule("x", "complete"), "rule 'x': 'taskKey' is required in a \"complete\" rule"),
    (
        update("x", taskKey="order"),
        "rule 'x': 'taskKey' must contain a {{ placeholder }}: a constant makes every event act on one task",
    ),
    (update("x", taskKey="  "), "rule 'x': 'taskKey' must be a non-empty template string"),
    (update("x", taskKey=42), "rule 'x': 'taskKey' must be a non-empty template string"),
    (
        update("x", taskKey="order:{{ detail.[ }}"),
        "rule 'x': taskKey: invalid JMESPath expression 'detail.['",
    ),
    (
        update("x", {"ContactFlowId": "flow-1"}, taskKey=KEY),
        "rule 'x': task.ContactFlowId: not a parameter of an \"update\" rule"
        " (UpdateContact, UpdateContactAttributes)",
    ),
    (
        update("x", {"Name": "n", "InstanceId": "i"}, taskKey=KEY),
        "rule 'x': task.InstanceId: not allowed in an \"update\" rule: the function fills it in"
        " (the instance, and the contact registered under the rule's 'taskKey')",
    ),
    (
        reschedule("x", {"ScheduledTime": 1795512600, "ContactId": "c"}, taskKey=KEY),
        "rule 'x': task.ContactId: not allowed in a \"reschedule\" rule: the function fills it in",
    ),
    (
        rule("x", None, {"Name": "n", "InstanceId": "other-instance"}, taskKey=KEY),
        "rule 'x': task.InstanceId: a rule with a 'taskKey' creates its task in CONNECT_INSTANCE_ID",
    ),
    (
        rule("x", "complete", {"InstanceId": "i"}, taskKey=KEY),
        "rule 'x': task.InstanceId: not allowed in a \"complete\" rule: the function fills it in",
    ),
    (
        update("x", {"Nmae": "n"}, taskKey=KEY),
        "rule 'x': task.Nmae: not a parameter of an \"update\" rule (UpdateContact, UpdateContactAttributes)"
        " (did you mean 'Name'?)",
    ),
    (
        update("x", {"ScheduledTime": "{{ detail.at }}"}, taskKey=KEY),
        "rule 'x': task.ScheduledTime: not a parameter of an \"update\" rule",
    ),
    (
        update("x", {}, taskKey=KEY),
        "rule 'x': task: an \"update\" rule sets at least one of Name, Description, References,"
        " SegmentAttributes, Attributes",
    ),
    (
        rule("x", "update", taskKey=KEY),
        "rule 'x': 'task' is required: an UpdateContact / UpdateContactAttributes request object",
    ),
    (
        update("x", {"References": {"File": {"Type": "ATTACHMENT", "Value": "v"}}}, taskKey=KEY),
        "rule 'x': task.References.File.Type: 'ATTACHMENT' cannot be set by an update (allowed: DATE, EMAIL,",
    ),
    (
        update("x", {"Attributes": {"order status": "{{ detail.status }}"}}, taskKey=KEY),
        "rule 'x': task.Attributes.order status: attribute keys may contain only letters, digits",
    ),
    (
        reschedule("x", {"Name": "n"}, taskKey=KEY),
        "rule 'x': task.Name: not a parameter of a \"reschedule\" rule (UpdateContactSchedule)",
    ),
    (reschedule("x", {}, taskKey=KEY), "rule 'x': task.ScheduledTime is required in a \"reschedule\" rule"),
    (
        rule("x", "reschedule", taskKey=KEY),
        "rule 'x': 'task' is required: an UpdateContactSchedule request object",
    ),
    (
        reschedule("x", {"ScheduledTime": True}, taskKey=KEY),
        "rule 'x': task.ScheduledTime: must be a string",
    ),
    (
        reschedule("x", taskKey=KEY, pastScheduledTime="start-now"),
        "rule 'x': 'pastScheduledTime': 'start-now' cannot apply to a \"reschedule\" rule:"
        " UpdateContactSchedule only takes a time to come, so a ScheduledTime that has passed dead-letters"
        " the event",
    ),
    (
        reschedule("x", taskKey=KEY, oversize="fail"),
        "rule 'x': 'oversize' does not apply to a \"reschedule\" rule: it sets no Name or Description",
    ),
    (
        update("x", taskKey=KEY, pastScheduledTime="dead-letter"),
        "rule 'x': 'pastScheduledTime' does not apply to an \"update\" rule: it sets no ScheduledTime",
    ),
    (
        rule("x", "complete", taskKey=KEY, pastScheduledTime="start-now"),
        "rule 'x': 'pastScheduledTime' does not apply to a \"complete\" rule",
    ),
    (
        rule("x", "complete", taskKey=KEY, oversize="truncate"),
        "rule 'x': 'oversize' does not apply to a \"complete\" rule",
    ),
    (
        rule("x", "complete", "stop", taskKey=KEY),
        "rule 'x': 'task' must be a StopContact request object",
    ),
    (
        rule("x", "complete", {"DisconnectReason": "CUSTOMER"}, taskKey=KEY),
        "rule 'x': task.DisconnectReason: must be an object with exactly \"Code\"",
    ),
    (
        rule("x", "complete", {"DisconnectReason": {"Code": 5}}, taskKey=KEY),
        "rule 'x': task.DisconnectReason.Code: must be a string",
    ),
    (
        rule("x", "complete", {"Name": "n"}, taskKey=KEY),
        "rule 'x': task.Name: not a parameter of a \"complete\" rule (StopContact)",
    ),
    (
        rule("x", task={"Name": "n", "DisconnectReason": {"Code": "c"}}),
        "rule 'x': task.DisconnectReason: not a StartTaskContact parameter"
        ' (it belongs in a "complete" rule: StopContact)',
    ),
]


@pytest.mark.parametrize(("bad_rule", "expected"), INVALID, ids=[expected for _, expected in INVALID])
def test_each_lifecycle_rule_problem_is_reported_naming_rule_and_field(
    bad_rule: dict[str, Any], expected: str
) -> None:
    problems = problems_of(bad_rule)

    assert is_reported(expected, problems), problems


def test_every_problem_of_a_follow_up_rule_is_reported_at_once() -> None:
    problems = problems_of(
        rule("x", "reschedule", {"Name": "n"}, oversize="fail", pastScheduledTime="start-now"),
    )

    assert problems == [
        "rule 'x': 'oversize' does not apply to a \"reschedule\" rule: it sets no Name or Description",
        "rule 'x': 'pastScheduledTime': 'start-now' cannot apply to a \"reschedule\" rule:"
        " UpdateContactSchedule only takes a time to come, so a ScheduledTime that has passed dead-letters"
        " the event (leave 'pastScheduledTime' out, or write \"dead-letter\")",
        "rule 'x': 'taskKey' is required in a \"reschedule\" rule: a template naming the task it acts on,"
        ' e.g. "order:{{ detail.orderId }}"',
        "rule 'x': task.Name: not a parameter of a \"reschedule\" rule (UpdateContactSchedule)",
        "rule 'x': task.ScheduledTime is required in a \"reschedule\" rule",
    ]


def test_an_unknown_action_does_not_also_report_its_task_block() -> None:
    problems = problems_of(rule("x", "close", {"Anything": 1}, taskKey=KEY))

    assert problems == [
        "rule 'x': 'action' must be one of ['create', 'update', 'reschedule', 'complete'], got 'close'"
    ]


def test_misspelt_task_key_suggests_the_key() -> None:
    assert is_reported(
        "rule 'x': unknown key 'taskkey' (did you mean 'taskKey'?)", problems_of(update("x", taskkey=KEY))
    )
