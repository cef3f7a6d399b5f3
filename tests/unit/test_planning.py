"""Planning: each sample event with the shipped mapping becomes the exact StartTaskContact requests
Connect will receive, one per matching rule, each with its deterministic ClientToken."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from task_creator.errors import LimitViolation, MappingError
from task_creator.mapping.envelope import (
    CanonicalEvent,
    envelope_fingerprint,
    event_from_eventbridge,
    event_from_sqs_record,
)
from task_creator.mapping.planning import EventPlan, PlanningContext, plan_event, preview_at
from task_creator.mapping.render import TaskDefaults
from task_creator.mapping.rules import TaskMapping, load_mapping, parse_mapping
from task_creator.mapping.token import client_token
from tests.support import SHIPPED_MAPPING_FILE, load_event, load_record

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
DEFAULT_FLOW = "f0e1d2c3-0000-4000-8000-000000000001"
NAMESPACE = "task-creator-test"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
CONTEXT = PlanningContext(
    defaults=TaskDefaults(instance_id=INSTANCE_ID, contact_flow_id=DEFAULT_FLOW),
    token_namespace=NAMESPACE,
)


@pytest.fixture(scope="module")
def shipped() -> TaskMapping:
    return load_mapping(SHIPPED_MAPPING_FILE)


def plan_record(mapping: TaskMapping, sample: str, index: int = 0) -> EventPlan:
    return plan_event(event_from_sqs_record(load_record(sample, index)), mapping, CONTEXT)


def expected_request(rule: str, identity: str, **fields: Any) -> dict[str, Any]:
    token = client_token(NAMESPACE, rule, identity)
    return {"InstanceId": INSTANCE_ID, "ContactFlowId": DEFAULT_FLOW, **fields, "ClientToken": token}


def requests_by_rule(plan: EventPlan) -> dict[str, dict[str, Any]]:
    return {task.rule: task.request for task in plan.tasks}


ORDER_1001 = expected_request(
    "order-delayed",
    "ORD-1001",
    Name="Order ORD-1001 is delayed",
    Description="Carrier missed the pickup window",
    Attributes={"orderId": "ORD-1001", "customer": "CUST-42", "priority": "high", "delayDays": "2"},
    References={
        "Order": {"Type": "URL", "Value": "https://shop.example.com/orders/ORD-1001"},
        "Customer email": {"Type": "EMAIL", "Value": "jane.doe@example.com"},
    },
)


# --- the samples, exact requests --------------------------------------------------------------------


def test_direct_order_delayed_event_plans_the_order_task(shipped: TaskMapping) -> None:
    plan = plan_event(event_from_eventbridge(load_event("eventbridge-order-delayed.json")), shipped, CONTEXT)

    assert requests_by_rule(plan) == {"order-delayed": ORDER_1001}
    assert plan.failures == ()
    assert not plan.unmatched


def test_order_event_via_sqs_plans_the_same_request_as_direct(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-eventbridge-batch.json", 0)

    assert requests_by_rule(plan) == {"order-delayed": ORDER_1001}


def test_payment_failed_event_plans_typed_references(shipped: TaskMapping) -> None:
    plan = plan_event(event_from_eventbridge(load_event("eventbridge-payment-failed.json")), shipped, CONTEXT)

    assert requests_by_rule(plan) == {
        "payment-failed": expected_request(
            "payment-failed",
            "PAY-7781",
            Name="Payment PAY-7781 failed",
            Description="card_declined: retry or contact the customer.",
            Attributes={"paymentId": "PAY-7781", "amount": "129.95"},
            References={
                "Amount": {"Type": "NUMBER", "Value": "129.95"},
                "Failed at": {"Type": "DATE", "Value": "1795442850"},  # 2026-11-23T14:07:30Z
                "Payment": {"Type": "STRING", "Value": "PAY-7781"},
            },
        )
    }


def test_vip_order_fans_out_into_one_task_per_rule_with_distinct_tokens(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-eventbridge-batch.json", 2)

    assert requests_by_rule(plan) == {
        "order-delayed": expected_request(
            "order-delayed",
            "ORD-2002",
            Name="Order ORD-2002 is delayed",
            Description="No reason given",
            Attributes={"orderId": "ORD-2002", "customer": "CUST-7", "priority": "urgent", "delayDays": "5"},
            References={
                "Order": {"Type": "URL", "Value": "https://shop.example.com/orders/ORD-2002"},
                "Customer email": {"Type": "EMAIL", "Value": "max.mustermann@example.com"},
            },
        ),
        "vip-escalation": expected_request(
            "vip-escalation",
            "ORD-2002",
            Name="Escalate: VIP order ORD-2002",
            Description="VIP customer CUST-7 is waiting on a delayed order.",
            Attributes={"orderId": "ORD-2002", "tier": "vip"},
            SegmentAttributes={"connect:Subtype": {"ValueString": "connect:Guide"}},
        ),
    }
    assert plan.matched_rules == ("order-delayed", "vip-escalation")
    assert len({task.client_token for task in plan.tasks}) == 2


def test_raw_payload_with_attributes_plans_the_callback_task(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-raw-payloads.json", 0)

    assert requests_by_rule(plan) == {
        "callback-request": expected_request(
            "callback-request",
            "CB-5521",
            Name="Call back Ana Silva",
            Description="Asked for a call about her invoice before 5pm.",
            Attributes={"phone": "+351912345678", "requestId": "CB-5521"},
        )
    }


def test_raw_payload_without_attributes_plans_the_support_ticket_task(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-raw-payloads.json", 1)

    assert requests_by_rule(plan) == {
        "support-ticket": expected_request(
            "support-ticket",
            "T-98231",
            Name="Refund not received",
            Description="Ticket T-98231 opened by li.wei@example.com",
            References={"Ticket": {"Type": "URL", "Value": "https://support.example.com/tickets/T-98231"}},
        )
    }


def test_sns_notification_plans_the_stock_task_keyed_by_the_sns_message_id(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-sns-notification.json")

    assert requests_by_rule(plan) == {
        "stock-low": expected_request(
            "stock-low",
            "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
            Name="Restock SKU-88-RED at LIS-1",
            Description="Only 3 left (threshold 10).",
            Attributes={"sku": "SKU-88-RED", "warehouse": "LIS-1"},
        )
    }


@pytest.mark.parametrize(
    ("index", "identity", "status", "sequence"),
    [(0, "SHP-1-1", "delayed", 1), (1, "SHP-1-2", "lost", 2), (2, "SHP-2-1", "damaged", 1)],
)
def test_fifo_shipment_events_each_plan_their_task(
    shipped: TaskMapping, index: int, identity: str, status: str, sequence: int
) -> None:
    plan = plan_record(shipped, "sqs-fifo-batch.json", index)
    shipment = identity.rsplit("-", 1)[0]

    assert requests_by_rule(plan) == {
        "shipment-exception": expected_request(
            "shipment-exception",
            identity,
            Name=f"Shipment {shipment}: {status}",
            Description=f"Carrier UPS reported {status} (update {sequence}).",
            Attributes={"shipmentId": shipment, "sequence": str(sequence)},
        )
    }
    assert plan.tasks[0].identity == identity


def test_event_no_rule_matches_is_unmatched(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-poison-records.json", 1)

    assert plan.unmatched
    assert (plan.tasks, plan.failures) == ((), ())
    assert plan.event_id == "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"


def test_rule_whose_name_renders_empty_is_a_failure_not_a_task(shipped: TaskMapping) -> None:
    plan = plan_record(shipped, "sqs-poison-records.json", 2)

    assert plan.tasks == ()
    (failure,) = plan.failures
    assert failure.rule == "support-ticket"
    assert isinstance(failure.error, MappingError)
    assert failure.error.rule == "support-ticket"
    assert "Name rendered empty" in failure.error.message


# --- idempotency ------------------------------------------------------------------------------------


def test_redelivered_record_yields_the_same_client_token(shipped: TaskMapping) -> None:
    record = load_record("sqs-raw-payloads.json", 1)
    redelivered = copy.deepcopy(record)
    redelivered["receiptHandle"] = "AQEB-second-delivery"
    redelivered["attributes"]["ApproximateReceiveCount"] = "2"

    first = plan_event(event_from_sqs_record(record), shipped, CONTEXT)
    second = plan_event(event_from_sqs_record(redelivered), shipped, CONTEXT)

    assert [t.client_token for t in first.tasks] == [t.client_token for t in second.tasks]
    assert first.tasks[0].request == second.tasks[0].request


def test_same_event_id_from_another_envelope_yields_the_same_token(shipped: TaskMapping) -> None:
    """order-delayed keys on detail.orderId: a replayed event with a new EventBridge id is the same task."""
    replayed = load_event("eventbridge-order-delayed.json")
    replayed["id"] = "00000000-aaaa-4bbb-8ccc-000000000000"

    original = plan_event(
        event_from_eventbridge(load_event("eventbridge-order-delayed.json")), shipped, CONTEXT
    )
    again = plan_event(event_from_eventbridge(replayed), shipped, CONTEXT)

    assert again.tasks[0].client_token == original.tasks[0].client_token
    assert again.event_id != original.event_id


def test_rule_without_event_id_keys_on_the_envelope_fingerprint_which_a_replay_keeps() -> None:
    mapping = parse_mapping(
        {"rules": [{"name": "no-event-id", "match": {"source": ["acme.payments"]}, "task": {"Name": "n"}}]}
    )
    live = load_event("eventbridge-payment-failed.json")
    # What EventBridge's replay changes: a new id, and replay-name added.
    replayed = {**live, "id": "00000000-aaaa-4bbb-8ccc-000000000000", "replay-name": "recover-1"}

    original = plan_event(event_from_eventbridge(live), mapping, CONTEXT)
    replay = plan_event(event_from_eventbridge(replayed), mapping, CONTEXT)

    assert replay.tasks[0].identity == original.tasks[0].identity == envelope_fingerprint(live)
    assert replay.tasks[0].client_token == client_token(NAMESPACE, "no-event-id", envelope_fingerprint(live))
    assert replay.event_id == replayed["id"]


def test_token_namespace_separates_deployments(shipped: TaskMapping) -> None:
    event = event_from_eventbridge(load_event("eventbridge-order-delayed.json"))
    other = PlanningContext(defaults=CONTEXT.defaults, token_namespace="other-deployment")

    assert plan_event(event, shipped, CONTEXT).tasks[0].client_token != (
        plan_event(event, shipped, other).tasks[0].client_token
    )


def test_planned_task_carries_its_origin_and_token_in_the_request(shipped: TaskMapping) -> None:
    (task,) = plan_record(shipped, "sqs-raw-payloads.json", 0).tasks

    assert (task.rule, task.event_id, task.identity) == (
        "callback-request",
        "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b",
        "CB-5521",
    )
    assert (
        task.request["ClientToken"]
        == task.client_token
        == client_token(NAMESPACE, "callback-request", "CB-5521")
    )


# --- failures and limits ----------------------------------------------------------------------------


def vip_order(**detail: Any) -> CanonicalEvent:
    envelope = json.loads(load_record("sqs-eventbridge-batch.json", 2)["body"])
    envelope["detail"].update(detail)
    return event_from_eventbridge(envelope)


def test_a_failing_rule_does_not_stop_the_others(shipped: TaskMapping) -> None:
    plan = preview_at(plan_event(vip_order(followUpAt="2026-12-30T09:00:00Z"), shipped, CONTEXT), now=NOW)

    assert [task.rule for task in plan.tasks] == ["vip-escalation"]
    (failure,) = plan.failures
    assert failure.rule == "order-delayed"
    assert isinstance(failure.error, LimitViolation)
    assert failure.error.field == "ScheduledTime"
    assert failure.error.rule == "order-delayed"
    assert plan.matched_rules == ("order-delayed", "vip-escalation")


def test_planning_leaves_the_clock_alone(shipped: TaskMapping) -> None:
    long_past = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)

    plan = plan_event(vip_order(followUpAt=long_past.isoformat()), shipped, CONTEXT)

    assert plan.failures == ()
    assert requests_by_rule(plan)["order-delayed"]["ScheduledTime"] == long_past


def test_a_past_follow_up_is_previewed_as_started_now(shipped: TaskMapping) -> None:
    plan = preview_at(plan_event(vip_order(followUpAt="2026-11-20T09:00:00Z"), shipped, CONTEXT), now=NOW)

    assert plan.failures == ()
    assert "ScheduledTime" not in requests_by_rule(plan)["order-delayed"]


def test_scheduled_follow_up_inside_the_window_is_planned(shipped: TaskMapping) -> None:
    plan = preview_at(plan_event(vip_order(followUpAt="2026-11-25T09:00:00Z"), shipped, CONTEXT), now=NOW)

    assert requests_by_rule(plan)["order-delayed"]["ScheduledTime"] == datetime(
        2026, 11, 25, 9, 0, tzinfo=UTC
    )


def test_schedule_window_is_the_one_given(shipped: TaskMapping) -> None:
    event = vip_order(followUpAt="2026-11-25T09:00:00Z")

    plan = preview_at(plan_event(event, shipped, CONTEXT), now=NOW, window=timedelta(days=1))

    assert [failure.rule for failure in plan.failures] == ["order-delayed"]


def one_rule_mapping(**rule: Any) -> TaskMapping:
    return parse_mapping({"rules": [{"name": "long", "match": {"source": ["acme.orders"]}, **rule}]})


def test_over_long_name_is_truncated_by_default() -> None:
    mapping = one_rule_mapping(task={"Name": "{{ detail.text }}"})

    (task,) = plan_event(vip_order(text="x" * 1500), mapping, CONTEXT).tasks

    assert len(task.request["Name"]) == 1024
    assert task.request["Name"].endswith(" [truncated]")


def test_over_long_name_with_oversize_fail_is_a_failure() -> None:
    mapping = one_rule_mapping(task={"Name": "{{ detail.text }}"}, oversize="fail")

    plan = plan_event(vip_order(text="x" * 1500), mapping, CONTEXT)

    assert plan.tasks == ()
    assert isinstance(plan.failures[0].error, LimitViolation)
    assert plan.failures[0].error.field == "Name"
