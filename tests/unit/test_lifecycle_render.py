"""Lifecycle rules for an event: the task key they render, the fields of their own Connect operation
(typed, empty ones left out, checked against Connect's limits), the ClientToken of every action, and a
reschedule's ScheduledTime against the clock as the function checks it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from task_creator.errors import LimitViolation, MappingError
from task_creator.mapping.envelope import CanonicalEvent, envelope_fingerprint, event_from_eventbridge
from task_creator.mapping.lifecycle_limits import enforce_lifecycle_limits
from task_creator.mapping.limits import ATTRIBUTES_MAX_BYTES, TRUNCATION_MARKER, LimitPolicy
from task_creator.mapping.planning import EventPlan, PlannedTask, PlanningContext, plan_event, preview_at
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import TaskMapping, parse_mapping
from task_creator.mapping.token import client_token
from tests.support import load_event

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
DEFAULT_FLOW = "f0e1d2c3-0000-4000-8000-000000000001"
NAMESPACE = "task-creator-test"
CONTEXT = PlanningContext(
    defaults=TaskDefaults(instance_id=INSTANCE_ID, contact_flow_id=DEFAULT_FLOW), token_namespace=NAMESPACE
)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
KEY = "order:{{ detail.orderId }}"
ORDERS = {"source": ["acme.orders"]}
# The default identity of events/eventbridge-order-delayed.json: its envelope fingerprint, not its id.
ORDER_EVENT_ID = envelope_fingerprint(load_event("eventbridge-order-delayed.json"))


def order_event(**detail: Any) -> CanonicalEvent:
    """The sample OrderDelayed event (ORD-1001), its detail changed by ``detail`` (None removes a key)."""
    envelope = copy.deepcopy(load_event("eventbridge-order-delayed.json"))
    envelope["detail"].update(detail)
    envelope["detail"] = {key: value for key, value in envelope["detail"].items() if value is not None}
    return event_from_eventbridge(envelope)


def mapping(*rules: dict[str, Any]) -> TaskMapping:
    return parse_mapping({"rules": list(rules)})


def lifecycle(action: str, task: dict[str, Any] | None = None, name: str = "r", **fields: Any) -> TaskMapping:
    rule: dict[str, Any] = {"name": name, "match": ORDERS, "action": action, "taskKey": KEY, **fields}
    if task is not None:
        rule["task"] = task
    return mapping(rule)


def plan(rules: TaskMapping, event: CanonicalEvent | None = None) -> EventPlan:
    return plan_event(event or order_event(), rules, CONTEXT)


def planned(rules: TaskMapping, event: CanonicalEvent | None = None) -> PlannedTask:
    result = plan(rules, event)
    assert result.failures == (), [failure.error.message for failure in result.failures]
    (task,) = result.tasks
    return task


def failure_of(rules: TaskMapping, event: CanonicalEvent | None = None) -> MappingError | LimitViolation:
    result = plan(rules, event)
    assert result.tasks == ()
    (failure,) = result.failures
    assert isinstance(failure.error, MappingError | LimitViolation)
    return failure.error


# --- update ---------------------------------------------------------------------------------------


def test_update_renders_only_its_fields_without_ids_flow_or_client_token() -> None:
    task = planned(
        lifecycle(
            "update",
            {
                "Name": "Order {{ detail.orderId }}: {{ detail.priority }}",
                "Description": "{{ detail.reason }}",
                "Attributes": {"delayDays": "{{ detail.delayDays }}", "tier": "{{ detail.customer.tier }}"},
                "References": {
                    "Order": {"Type": "URL", "Value": "https://shop.example.com/{{ detail.orderId }}"}
                },
                "SegmentAttributes": {"delay": {"ValueInteger": "{{ detail.delayDays }}"}},
            },
        )
    )

    assert task.action == "update"
    assert task.request == {
        "Name": "Order ORD-1001: high",
        "Description": "Carrier missed the pickup window",
        "Attributes": {"delayDays": "2", "tier": "standard"},
        "References": {"Order": {"Type": "URL", "Value": "https://shop.example.com/ORD-1001"}},
        "SegmentAttributes": {"delay": {"ValueInteger": 2}},
    }


def test_update_leaves_out_each_field_that_renders_empty_so_the_task_keeps_it() -> None:
    rules = lifecycle(
        "update",
        {
            "Name": "{{ detail.newName }}",
            "Description": "{{ detail.reason }}",
            "Attributes": {"a": "{{ detail.x }}"},
        },
    )

    assert planned(rules).request == {"Description": "Carrier missed the pickup window"}


def test_update_whose_every_field_renders_empty_is_a_mapping_error_naming_the_rule() -> None:
    rules = lifecycle(
        "update", {"Name": "{{ detail.newName }}", "Attributes": {"a": "{{ detail.x }}"}}, "note"
    )

    error = failure_of(rules)

    assert isinstance(error, MappingError)
    assert error.rule == "note"
    assert error.message.startswith("nothing to update: every field of the task rendered null or empty")


def test_update_date_reference_is_sent_as_epoch_seconds() -> None:
    rules = lifecycle("update", {"References": {"Due": {"Type": "DATE", "Value": "{{ time }}"}}})

    assert planned(rules).request == {"References": {"Due": {"Type": "DATE", "Value": "1795442700"}}}


def test_update_over_long_name_is_truncated_by_default() -> None:
    task = planned(lifecycle("update", {"Name": "{{ detail.text }}"}), order_event(text="x" * 1500))

    assert len(task.request["Name"]) == 1024
    assert task.request["Name"].endswith(TRUNCATION_MARKER)


def test_update_over_long_description_with_oversize_fail_is_a_limit_violation() -> None:
    error = failure_of(
        lifecycle("update", {"Description": "{{ detail.text }}"}, oversize="fail"),
        order_event(text="x" * 5000),
    )

    assert isinstance(error, LimitViolation)
    assert error.field == "Description"


def test_update_attributes_over_connects_budget_are_a_limit_violation() -> None:
    rules = lifecycle("update", {"Attributes": {"a": "{{ detail.a }}", "b": "{{ detail.b }}"}})

    error = failure_of(rules, order_event(a="x" * 20_000, b="y" * 20_000))

    assert isinstance(error, LimitViolation)
    assert error.field == "Attributes"
    assert str(ATTRIBUTES_MAX_BYTES) in error.message


def test_update_value_that_is_not_valid_unicode_is_refused_naming_the_field() -> None:
    error = failure_of(
        lifecycle("update", {"Attributes": {"note": "{{ detail.note }}"}}), order_event(note="\ud800")
    )

    assert isinstance(error, LimitViolation)
    assert error.field == "Attributes.note"


# --- reschedule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written", ["2026-11-24T09:30:00Z", "2026-11-24T10:30:00+01:00", 1795512600, "1795512600"], ids=repr
)
def test_reschedule_renders_its_scheduled_time_as_an_aware_timestamp(written: Any) -> None:
    task = planned(
        lifecycle("reschedule", {"ScheduledTime": "{{ detail.followUpAt }}"}), order_event(followUpAt=written)
    )

    assert task.action == "reschedule"
    assert task.request == {"ScheduledTime": datetime(2026, 11, 24, 9, 30, tzinfo=UTC)}


def test_reschedule_with_a_literal_time_in_the_rule() -> None:
    task = planned(lifecycle("reschedule", {"ScheduledTime": 1795512600}))

    assert task.request == {"ScheduledTime": datetime(2026, 11, 24, 9, 30, tzinfo=UTC)}


def test_reschedule_whose_time_renders_empty_is_a_mapping_error() -> None:
    error = failure_of(lifecycle("reschedule", {"ScheduledTime": "{{ detail.followUpAt }}"}))

    assert isinstance(error, MappingError)
    assert error.message == "ScheduledTime rendered empty for this event: a reschedule needs a time"


def test_reschedule_whose_time_is_no_timestamp_is_a_mapping_error() -> None:
    rules = lifecycle("reschedule", {"ScheduledTime": "{{ detail.followUpAt }}"})

    error = failure_of(rules, order_event(followUpAt="tomorrow morning"))

    assert isinstance(error, MappingError)
    assert error.message == "ScheduledTime must render to ISO-8601 or epoch seconds"


def test_planning_leaves_a_reschedule_in_the_past_to_the_clock_check() -> None:
    task = planned(lifecycle("reschedule", {"ScheduledTime": "2020-01-01T09:00:00Z"}))

    assert task.request == {"ScheduledTime": datetime(2020, 1, 1, 9, 0, tzinfo=UTC)}
    assert task.past_scheduled_time == "dead-letter"


def test_preview_keeps_a_reschedule_inside_the_window_as_rendered() -> None:
    rules = lifecycle("reschedule", {"ScheduledTime": "2026-11-25T09:00:00Z"})

    previewed = preview_at(plan(rules), now=NOW)

    assert [task.request for task in previewed.tasks] == [
        {"ScheduledTime": datetime(2026, 11, 25, 9, 0, tzinfo=UTC)}
    ]


def test_preview_dead_letters_a_reschedule_whose_time_has_passed() -> None:
    previewed = preview_at(
        plan(lifecycle("reschedule", {"ScheduledTime": "2026-11-23T14:00:00Z"}, "moved")), now=NOW
    )

    assert previewed.tasks == ()
    (failure,) = previewed.failures
    assert failure.rule == "moved"
    assert isinstance(failure.error, LimitViolation)
    assert failure.error.field == "ScheduledTime"
    assert "in the past" in failure.error.message


def test_preview_refuses_a_reschedule_further_ahead_than_the_window() -> None:
    rules = lifecycle("reschedule", {"ScheduledTime": "2026-11-25T09:00:00Z"})

    previewed = preview_at(plan(rules), now=NOW, window=timedelta(days=1))

    (failure,) = previewed.failures
    assert isinstance(failure.error, LimitViolation)
    assert failure.error.message == "ScheduledTime: is more than 1 days ahead"


def test_preview_does_not_touch_an_update_or_a_complete() -> None:
    rules = mapping(
        {"name": "u", "match": ORDERS, "action": "update", "taskKey": KEY, "task": {"Description": "d"}},
        {"name": "c", "match": ORDERS, "action": "complete", "taskKey": KEY},
    )
    before = plan(rules)

    assert preview_at(before, now=NOW) == before


# --- complete -------------------------------------------------------------------------------------


def test_complete_without_a_task_block_renders_no_fields() -> None:
    task = planned(lifecycle("complete"))

    assert task.action == "complete"
    assert task.request == {}


def test_complete_renders_its_disconnect_reason_code() -> None:
    task = planned(lifecycle("complete", {"DisconnectReason": {"Code": "{{ detail.reason }}"}}))

    assert task.request == {"DisconnectReason": {"Code": "Carrier missed the pickup window"}}


def test_complete_leaves_out_a_disconnect_reason_whose_code_renders_empty() -> None:
    task = planned(lifecycle("complete", {"DisconnectReason": {"Code": "{{ detail.closeCode }}"}}))

    assert task.request == {}


# --- the task key ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["update", "reschedule", "complete"])
def test_follow_up_carries_the_rendered_task_key(action: str) -> None:
    task = {
        "update": {"Description": "d"},
        "reschedule": {"ScheduledTime": "2026-11-24T09:30:00Z"},
        "complete": None,
    }[action]

    assert planned(lifecycle(action, task)).task_key == "order:ORD-1001"


def test_create_with_a_task_key_keeps_its_full_request_and_carries_the_key() -> None:
    rules = mapping({"name": "order-delayed", "match": ORDERS, "taskKey": KEY, "task": {"Name": "n"}})

    task = planned(rules)

    assert task.action == "create"
    assert task.task_key == "order:ORD-1001"
    assert task.request == {
        "Name": "n",
        "InstanceId": INSTANCE_ID,
        "ContactFlowId": DEFAULT_FLOW,
        "ClientToken": client_token(NAMESPACE, "order-delayed", ORDER_EVENT_ID),
    }


def test_create_without_a_task_key_carries_none() -> None:
    assert planned(mapping({"name": "plain", "match": ORDERS, "task": {"Name": "n"}})).task_key is None


@pytest.mark.parametrize(
    ("template", "detail", "expected"),
    [
        ("{{ detail.orderId }}", {"orderId": "   "}, "taskKey rendered empty or blank for this event"),
        ("order:{{ detail.orderId }}", {"orderId": None}, "taskKey rendered none of its placeholders"),
        ("order:{{ detail.orderId }}-{{ detail.line }}", {"orderId": ""}, "taskKey rendered none of its"),
        ("order:{{ detail.orderId }}", {"orderId": "ORD-\ud800"}, "taskKey is not valid Unicode"),
        ("order:{{ length(detail.delayDays) }}", {}, "taskKey: expression 'length(detail.delayDays)' failed"),
    ],
    ids=["blank", "placeholder-null", "every-placeholder-empty", "unpaired-surrogate", "failing-expression"],
)
def test_task_key_that_could_merge_unrelated_events_is_a_mapping_error(
    template: str, detail: dict[str, Any], expected: str
) -> None:
    rules = mapping(
        {
            "name": "note",
            "match": ORDERS,
            "action": "update",
            "taskKey": template,
            "task": {"Description": "d"},
        }
    )

    error = failure_of(rules, order_event(**detail))

    assert isinstance(error, MappingError)
    assert error.rule == "note"
    assert error.message.startswith(expected)
    assert "\ud800" not in error.message


def test_task_key_with_some_placeholders_empty_still_names_the_task() -> None:
    rules = mapping(
        {
            "name": "note",
            "match": ORDERS,
            "action": "update",
            "taskKey": "order:{{ detail.orderId }}:{{ detail.line }}",
            "task": {"Description": "d"},
        }
    )

    assert planned(rules).task_key == "order:ORD-1001:"


# --- ClientTokens and fan-out ---------------------------------------------------------------------


def test_every_action_gets_its_client_token_from_namespace_rule_and_identity() -> None:
    rules = mapping(
        {
            "name": "order-delayed",
            "match": ORDERS,
            "taskKey": KEY,
            "eventId": "{{ detail.orderId }}",
            "task": {"Name": "n"},
        },
        {
            "name": "order-note",
            "match": ORDERS,
            "action": "update",
            "taskKey": KEY,
            "task": {"Description": "d"},
        },
        {
            "name": "order-moved",
            "match": ORDERS,
            "action": "reschedule",
            "taskKey": KEY,
            "task": {"ScheduledTime": 1795512600},
        },
        {
            "name": "order-done",
            "match": ORDERS,
            "action": "complete",
            "taskKey": KEY,
            "eventId": "done:{{ detail.orderId }}",
        },
    )

    tasks = {task.rule: task for task in plan(rules).tasks}

    assert {rule: (task.action, task.identity, task.client_token) for rule, task in tasks.items()} == {
        "order-delayed": ("create", "ORD-1001", client_token(NAMESPACE, "order-delayed", "ORD-1001")),
        "order-note": ("update", ORDER_EVENT_ID, client_token(NAMESPACE, "order-note", ORDER_EVENT_ID)),
        "order-moved": ("reschedule", ORDER_EVENT_ID, client_token(NAMESPACE, "order-moved", ORDER_EVENT_ID)),
        "order-done": ("complete", "done:ORD-1001", client_token(NAMESPACE, "order-done", "done:ORD-1001")),
    }
    assert tasks["order-delayed"].request["ClientToken"] == tasks["order-delayed"].client_token
    assert all("ClientToken" not in task.request for rule, task in tasks.items() if rule != "order-delayed")


def test_redelivered_or_replayed_follow_up_reuses_its_client_token_and_another_event_gets_its_own() -> None:
    rules = lifecycle("update", {"Description": "d"})
    replayed = {**load_event("eventbridge-order-delayed.json"), "replay-name": "recover-1"}
    replayed["id"] = "0b5c1f0e-9d5e-4c55-9f0b-2f1d7b1f6a11"
    other = load_event("eventbridge-order-delayed.json")
    other["time"] = "2026-11-23T15:00:00Z"

    first, again = planned(rules), planned(rules, order_event())
    replay = planned(rules, event_from_eventbridge(replayed))
    another = planned(rules, event_from_eventbridge(other))

    assert first.client_token == again.client_token == replay.client_token
    assert another.client_token != first.client_token
    assert another.task_key == first.task_key == "order:ORD-1001"


def test_a_failing_follow_up_does_not_stop_the_other_actions_of_the_event() -> None:
    rules = mapping(
        {"name": "order-task", "match": ORDERS, "taskKey": KEY, "task": {"Name": "n"}},
        {
            "name": "order-moved",
            "match": ORDERS,
            "action": "reschedule",
            "taskKey": KEY,
            "task": {"ScheduledTime": "{{ detail.followUpAt }}"},
        },
        {"name": "order-done", "match": ORDERS, "action": "complete", "taskKey": KEY},
    )

    result = plan(rules)

    assert [(task.rule, task.action) for task in result.tasks] == [
        ("order-task", "create"),
        ("order-done", "complete"),
    ]
    assert [(failure.rule, type(failure.error)) for failure in result.failures] == [
        ("order-moved", MappingError)
    ]
    assert result.matched_rules == ("order-task", "order-moved", "order-done")


# --- the lifecycle limits on their own (the last line before the call) -----------------------------


@pytest.mark.parametrize(
    ("action", "fields", "field"),
    [
        ("update", {"InstanceId": "i", "Name": "n"}, "InstanceId"),
        ("update", {"ContactFlowId": "f"}, "ContactFlowId"),
        ("update", {}, "task"),
        ("reschedule", {}, "ScheduledTime"),
        ("reschedule", {"ScheduledTime": "2026-11-24T09:30:00Z"}, "ScheduledTime"),
        ("reschedule", {"ScheduledTime": datetime(2026, 11, 24, 9, 30)}, "ScheduledTime"),  # naive
        ("complete", {"ContactId": "c"}, "ContactId"),
        ("complete", {"DisconnectReason": "CUSTOMER"}, "DisconnectReason"),
        ("complete", {"DisconnectReason": {"Code": "\ud800"}}, "DisconnectReason.Code"),
        ("update", {"References": {"R": {"Type": "ATTACHMENT", "Value": "v"}}}, "References.R.Type"),
        ("update", {"SegmentAttributes": {"s": {"ValueInteger": 2**31}}}, "SegmentAttributes.s.ValueInteger"),
    ],
    ids=[
        "update-instance-id",
        "update-flow",
        "update-nothing",
        "reschedule-nothing",
        "reschedule-text-time",
        "reschedule-naive-time",
        "complete-contact-id",
        "complete-reason-text",
        "complete-code-not-unicode",
        "update-reference-type",
        "update-segment-integer-range",
    ],
)
def test_lifecycle_request_breaking_a_limit_is_refused_naming_the_field(
    action: Any, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(LimitViolation) as raised:
        enforce_lifecycle_limits(action, fields, policy=LimitPolicy())

    assert raised.value.field == field
