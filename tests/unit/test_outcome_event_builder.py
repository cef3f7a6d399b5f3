"""The outcome event builder: one detail-type per outcome, identifiers only, versioned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # dev-only, no stubs pinned

from task_creator.outcome_events import (
    ERROR_MESSAGE_MAX_CHARS,
    OUTCOME_SCHEMA_VERSION,
    DetailType,
    EventRef,
    OutcomeEvent,
    dead_letter_outcome,
    task_outcome,
)
from task_creator.records import CreatedTask

EVENT = EventRef("evt-1", "acme.orders", "OrderDelayed", None)
TOKEN = "tc1-" + "a" * 64
KEY_HASH = "b" * 64
SCHEMA = Draft202012Validator(
    json.loads((Path(__file__).parents[2] / "docs" / "outcome-events.schema.json").read_text())
)


def conforms(outcome: OutcomeEvent) -> bool:
    """The outcome as EventBridge delivers it, checked against docs/outcome-events.schema.json."""
    entry = outcome.entry(source="stack.outcomes", event_bus="bus")
    delivered = {
        "source": entry["Source"],
        "detail-type": entry["DetailType"],
        "detail": json.loads(entry["Detail"]),
    }
    errors = [error.message for error in SCHEMA.iter_errors(delivered)]
    assert errors == []
    return True


def created(**fields: object) -> CreatedTask:
    values: dict[str, object] = {
        "rule": "order-delayed",
        "client_token": TOKEN,
        "contact_id": "contact-1",
        "duplicate": False,
        **fields,
    }
    return CreatedTask(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("task", "detail_type", "applied"),
    [
        (created(), DetailType.CREATED, "created"),
        (created(duplicate=True), DetailType.DUPLICATE_SKIPPED, "duplicate"),
        (created(duplicate=True, repeated=True), DetailType.CREATED, "created"),
        (created(applied="late-create-stopped"), DetailType.COMPLETED, "late-create-stopped"),
        (created(action="update", applied="updated"), DetailType.UPDATED, "updated"),
        (
            created(action="update", applied="updated", duplicate=True, repeated=True),
            DetailType.UPDATED,
            "updated",
        ),
        (created(action="reschedule", applied="rescheduled"), DetailType.RESCHEDULED, "rescheduled"),
        (created(action="complete", applied="completed"), DetailType.COMPLETED, "completed"),
        (
            created(action="complete", applied="completion-recorded", contact_id=""),
            DetailType.COMPLETED,
            "completion-recorded",
        ),
        (
            created(action="update", applied="stale-skipped", duplicate=True),
            DetailType.DUPLICATE_SKIPPED,
            "stale-skipped",
        ),
        (
            created(action="update", applied="duplicate", duplicate=True),
            DetailType.DUPLICATE_SKIPPED,
            "duplicate",
        ),
        (
            created(action="update", applied="completed-skipped", duplicate=True),
            DetailType.DUPLICATE_SKIPPED,
            "completed-skipped",
        ),
    ],
)
def test_each_rule_outcome_has_its_detail_type(
    task: CreatedTask, detail_type: DetailType, applied: str
) -> None:
    outcome = task_outcome(EVENT, task)

    assert outcome.detail_type is detail_type
    assert outcome.detail["applied"] == applied
    assert outcome.detail["action"] == task.action
    assert conforms(outcome)


def test_a_task_outcome_carries_identifiers_and_leaves_out_what_it_does_not_know() -> None:
    outcome = task_outcome(
        EventRef("evt-1", "acme.orders", "OrderDelayed", "recover-1"),
        created(instance_id="inst-1", task_key_hash=KEY_HASH),
    )

    assert outcome.detail == {
        "version": OUTCOME_SCHEMA_VERSION,
        "eventId": "evt-1",
        "eventSource": "acme.orders",
        "eventDetailType": "OrderDelayed",
        "replayName": "recover-1",
        "rule": "order-delayed",
        "action": "create",
        "applied": "created",
        "contactId": "contact-1",
        "clientToken": TOKEN,
        "instanceId": "inst-1",
        "taskKeyHash": KEY_HASH,
    }
    assert conforms(outcome)
    assert "contactId" not in task_outcome(EVENT, created(contact_id="")).detail


def test_a_dead_letter_outcome_names_the_failed_rules_and_the_shortened_reason() -> None:
    outcome = dead_letter_outcome(
        EventRef("msg-9"), rules="a,b", error_type="ValidationException", error_message="x" * 5000
    )

    assert outcome.detail_type is DetailType.DEAD_LETTERED
    assert outcome.detail["eventId"] == "msg-9"
    assert outcome.detail["rule"] == "a,b"
    assert outcome.detail["errorType"] == "ValidationException"
    assert len(outcome.detail["errorMessage"]) == ERROR_MESSAGE_MAX_CHARS
    assert "eventSource" not in outcome.detail  # an unreadable record has none
    assert conforms(outcome)
    assert (
        "rule" not in dead_letter_outcome(EventRef("m"), rules="", error_type="E", error_message="m").detail
    )


def test_the_put_events_entry_is_the_outcome_on_the_given_bus_and_source() -> None:
    entry = task_outcome(EVENT, created()).entry(source="stack.outcomes", event_bus="orders")

    assert entry["Source"] == "stack.outcomes"
    assert entry["DetailType"] == "Task Created"
    assert entry["EventBusName"] == "orders"
    assert json.loads(entry["Detail"])["clientToken"] == TOKEN
