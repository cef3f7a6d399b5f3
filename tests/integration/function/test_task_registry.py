"""The task registry on DynamoDB (moto): one record per task key, moved only forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from task_creator.adapters.task_registry import EventStamp, TaskRegistry
from tests.integration.function.conftest import FunctionUnderTest

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def stamp(minutes: int, event_id: str = "") -> EventStamp:
    return EventStamp.of(T0 + timedelta(minutes=minutes), event_id or f"event-{minutes}")


@pytest.fixture
def registry(function: FunctionUnderTest) -> TaskRegistry:
    return TaskRegistry(
        function.ledger_table,
        dynamodb_client=function.dynamodb,
        key_prefix="tests",
        expiry=timedelta(days=21),
    )


def test_a_created_task_is_found_by_its_key(registry: TaskRegistry):
    registry.register_created("order:1", contact_id="c-1", rule="order-delayed", stamp=stamp(0))

    found = registry.get("order:1")

    assert found is not None
    assert (found.contact_id, found.rule, found.state) == ("c-1", "order-delayed", "open")
    assert registry.get("order:2") is None


def test_the_key_itself_is_never_stored(registry: TaskRegistry, function: FunctionUnderTest):
    registry.register_created("order:Alice Smith", contact_id="c-1", rule="r", stamp=stamp(0))

    (item,) = function.dynamodb.scan(TableName=function.ledger_table)["Items"]
    assert "Alice" not in str(item)
    assert item["id"]["S"] == "tests#task#" + registry.key_hash("order:Alice Smith")
    assert int(item["expiration"]["N"]) > (datetime.now(UTC) + timedelta(days=20)).timestamp()


def test_only_a_newer_event_can_claim_the_task(registry: TaskRegistry):
    registry.register_created("order:1", contact_id="c-1", rule="r", stamp=stamp(0))

    assert registry.claim_event("order:1", stamp(10))
    assert not registry.claim_event("order:1", stamp(5))  # older than the last applied
    assert not registry.claim_event("order:1", stamp(10))  # the same event again
    assert registry.claim_event("order:1", stamp(11))


def test_a_released_claim_can_be_taken_again(registry: TaskRegistry):
    registry.register_created("order:1", contact_id="c-1", rule="r", stamp=stamp(0))
    before = registry.get("order:1")
    assert before is not None

    assert registry.claim_event("order:1", stamp(10))
    registry.release_event("order:1", stamp(10), before)

    assert registry.claim_event("order:1", stamp(10))


def test_a_completion_before_the_create_is_kept_and_returned_to_the_create(registry: TaskRegistry):
    registry.mark_completed("order:1", stamp(5))

    record = registry.register_created("order:1", contact_id="c-late", rule="r", stamp=stamp(0))

    assert record.completed
    assert record.contact_id is None  # not the key's task until it is stopped
    stored = registry.get("order:1")
    assert stored is not None
    assert (stored.state, stored.contact_id) == ("completed", None)


def test_the_late_creates_task_once_stopped_is_the_completed_keys_task(registry: TaskRegistry):
    registry.mark_completed("order:1", stamp(5))
    registry.register_created("order:1", contact_id="c-late", rule="r", stamp=stamp(0))

    registry.record_stopped("order:1", contact_id="c-late", rule="r")
    registry.record_stopped("order:1", contact_id="c-other", rule="r")  # the first stopped task stays

    again = registry.register_created("order:1", contact_id="c-late", rule="r", stamp=stamp(0))
    assert (again.state, again.contact_id, again.rule) == ("completed", "c-late", "r")


def test_only_a_completed_key_records_a_stopped_task(registry: TaskRegistry):
    registry.register_created("order:1", contact_id="c-1", rule="r", stamp=stamp(0))

    registry.record_stopped("order:1", contact_id="c-2", rule="r")

    stored = registry.get("order:1")
    assert stored is not None
    assert (stored.state, stored.contact_id) == ("open", "c-1")


def test_a_completed_task_takes_no_further_claim(registry: TaskRegistry):
    registry.register_created("order:1", contact_id="c-1", rule="r", stamp=stamp(0))
    registry.mark_completed("order:1", stamp(3))

    assert not registry.claim_event("order:1", stamp(10))


def test_a_second_create_for_a_key_keeps_the_first_task(registry: TaskRegistry):
    registry.register_created("order:1", contact_id="c-1", rule="r", stamp=stamp(0))

    record = registry.register_created("order:1", contact_id="c-2", rule="r", stamp=stamp(1))

    assert record.contact_id == "c-1"
