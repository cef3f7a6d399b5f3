"""ScheduledTime against the clock: applied after the ledger, right before the Connect call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from task_creator.errors import LimitViolation
from task_creator.mapping.schedule import schedule_request

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def request(**fields: Any) -> dict[str, Any]:
    return {"Name": "Order 42", "ClientToken": "tc1-x", **fields}


@pytest.mark.parametrize(
    "scheduled",
    [NOW, NOW + timedelta(hours=1), NOW + timedelta(days=6)],
    ids=["now", "in-an-hour", "at-the-window-edge"],
)
def test_scheduled_time_within_the_window_is_sent_as_it_is(scheduled: datetime) -> None:
    result = schedule_request(request(ScheduledTime=scheduled), now=NOW)

    assert result.request["ScheduledTime"] == scheduled
    assert not result.started_late


def test_a_request_without_scheduled_time_is_sent_as_it_is() -> None:
    assert schedule_request(request(), now=NOW).request == request()


def test_a_passed_scheduled_time_starts_the_task_now_by_default() -> None:
    result = schedule_request(request(ScheduledTime=NOW - timedelta(seconds=1)), now=NOW)

    assert result.request == request()
    assert result.started_late


def test_a_passed_scheduled_time_dead_letters_when_the_rule_says_so() -> None:
    with pytest.raises(LimitViolation) as caught:
        schedule_request(request(ScheduledTime=NOW - timedelta(seconds=1)), now=NOW, past="dead-letter")

    assert caught.value.field == "ScheduledTime"
    assert "in the past" in caught.value.message


def test_scheduled_time_beyond_the_window_is_rejected() -> None:
    with pytest.raises(LimitViolation) as caught:
        schedule_request(request(ScheduledTime=NOW + timedelta(days=6, seconds=1)), now=NOW)

    assert caught.value.field == "ScheduledTime"
    assert "more than 6 days ahead" in caught.value.message


def test_scheduled_time_window_is_the_one_given() -> None:
    in_two_days = request(ScheduledTime=NOW + timedelta(days=2))

    with pytest.raises(LimitViolation):
        schedule_request(in_two_days, now=NOW, window=timedelta(days=1))
    assert schedule_request(in_two_days, now=NOW, window=timedelta(days=3)).request == in_two_days


def test_scheduled_time_in_another_offset_is_compared_as_an_instant() -> None:
    later_in_new_york = datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=-5)))  # 17:00Z
    earlier_in_athens = datetime(2026, 11, 23, 16, 0, tzinfo=timezone(timedelta(hours=2)))  # 14:00Z

    assert not schedule_request(request(ScheduledTime=later_in_new_york), now=NOW).started_late
    assert schedule_request(request(ScheduledTime=earlier_in_athens), now=NOW).started_late
