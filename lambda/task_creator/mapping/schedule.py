"""The clock-dependent check of a planned task: its ``ScheduledTime`` against now and the window.

Applied only after the ledger has said the task does not exist yet, right before the Connect call, so a
task that exists is never re-validated against a clock that has moved on (a retry after ``followUpAt``
must not dead-letter an event whose task was already created). A ``ScheduledTime`` that has passed
by then starts the task now (``"pastScheduledTime": "start-now"``, the default: the request is sent
without it) or dead-letters the event (``"dead-letter"``). One too far ahead is a LimitViolation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from task_creator.errors import LimitViolation

PastScheduledTime = Literal["start-now", "dead-letter"]
PAST_SCHEDULED_TIME_CHOICES: tuple[PastScheduledTime, ...] = ("start-now", "dead-letter")
DEFAULT_SCHEDULE_WINDOW = timedelta(days=6)


@dataclass(frozen=True)
class ScheduledRequest:
    """The request to send now, and whether its ScheduledTime had passed and was dropped."""

    request: dict[str, Any]
    started_late: bool = False


def schedule_request(
    request: Mapping[str, Any],
    *,
    now: datetime,
    window: timedelta = DEFAULT_SCHEDULE_WINDOW,
    past: PastScheduledTime = "start-now",
) -> ScheduledRequest:
    """``request`` as it may be sent at ``now``; raise LimitViolation when it may not be sent at all."""
    scheduled = request.get("ScheduledTime")
    if scheduled is None:
        return ScheduledRequest(dict(request))
    if scheduled > now + window:
        raise LimitViolation("ScheduledTime", f"is more than {window.days:g} days ahead")
    if scheduled >= now:
        return ScheduledRequest(dict(request))
    if past == "dead-letter":
        raise LimitViolation(
            "ScheduledTime", 'is in the past (the rule says "pastScheduledTime": "dead-letter")'
        )
    return ScheduledRequest(
        {field: value for field, value in request.items() if field != "ScheduledTime"}, started_late=True
    )
