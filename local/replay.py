"""Replay a window of archived events onto the bus, and follow the replay until it ends.

EventBridge replays the events of an archive whose *event time* (the event's ``time``) falls in
``[EventStartTime, EventEndTime)``, in one-minute slices, onto the archive's own bus; with
``Destination.FilterArns`` only the named rules receive them (the Task Creator bus rules: every other
consumer of a shared bus is left alone). ``DescribeReplay`` says how far it got
(``EventLastReplayedTime``) and how it ended (``COMPLETED``, ``FAILED``, ``CANCELLED``).

Which archive and which rules: ``local.replay_targets``.

moto replays synchronously inside ``StartReplay``, to every rule of the bus whatever the window or the
filter, and gives each replayed event a new ``id`` plus ``replay-name``; the function's identity rules
make either answer harmless (``docs/mapping.md``).

Every failure is a ``ReplayError`` whose message is one line saying what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from local.replay_targets import (
    Archive,
    ReplayError,
    call,
    error_code,
    error_message,
    refused,
    unreachable,
)

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
REPLAY_NAME_MAX_CHARS = 64  # StartReplay's ReplayName: 1-64 of [.-_A-Za-z0-9]
DEFAULT_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class ReplayWindow:
    """The event times to replay: ``start`` included, ``end`` excluded (timezone-aware)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a replay window needs timezone-aware times")

    @property
    def valid(self) -> bool:
        return self.start < self.end


@dataclass(frozen=True)
class ReplayStatus:
    """What ``DescribeReplay`` says about a replay."""

    name: str
    state: str
    state_reason: str | None = None
    last_replayed: datetime | None = None  # EventLastReplayedTime: the event time replayed up to

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def completed(self) -> bool:
        return self.state == "COMPLETED"


def coverage_notes(archive: Archive, window: ReplayWindow, now: datetime) -> list[str]:
    """What the archive may not hold of the window (advisory: the archive knows, the caller does not)."""
    notes = []
    if archive.state != "ENABLED":
        notes.append(f"archive {archive.name} is {archive.state}: it may not hold every event of the window")
    if archive.creation_time is not None and window.start < archive.creation_time:
        notes.append(
            f"archive {archive.name} was created at {format_time(archive.creation_time)}: events that "
            "arrived before then are not in it"
        )
    if archive.retention_days and window.start < now - timedelta(days=archive.retention_days):
        notes.append(
            f"archive {archive.name} keeps events {archive.retention_days} days: the start of the window "
            "may have expired from it"
        )
    if window.end > now:
        notes.append(
            f"the window ends in the future ({format_time(window.end)}): later events are not replayed"
        )
    return notes


def default_replay_name(archive: Archive, now: datetime) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{archive.name[: REPLAY_NAME_MAX_CHARS - len(stamp) - 1]}-{stamp}"


def start_replay(
    events: EventBridgeClient,
    *,
    name: str,
    archive: Archive,
    window: ReplayWindow,
    filter_arns: Sequence[str],
) -> str:
    """StartReplay onto the archive's bus, only to ``filter_arns`` (empty: every rule); the ReplayArn."""
    if not window.valid:
        raise ReplayError(
            f"the window is empty: --from ({format_time(window.start)}) must be before --to "
            f"({format_time(window.end)})"
        )
    destination: dict[str, Any] = {"Arn": archive.event_source_arn}
    if filter_arns:
        destination["FilterArns"] = list(filter_arns)
    try:
        started = events.start_replay(
            ReplayName=name,
            Description=f"Task Creator: events from {format_time(window.start)} to {format_time(window.end)}",
            EventSourceArn=archive.arn,
            EventStartTime=window.start,
            EventEndTime=window.end,
            Destination=destination,  # type: ignore[arg-type]
        )
    except ClientError as error:
        code = error_code(error)
        if code == "ResourceAlreadyExistsException":
            raise ReplayError(f"a replay named {name!r} exists already: choose another with --name") from None
        if code == "LimitExceededException":
            raise ReplayError(
                f"EventBridge refused another replay ({error_message(error)}): wait for the running ones "
                "to end (`aws events list-replays --state RUNNING`)"
            ) from None
        raise refused("StartReplay", error) from None
    except BotoCoreError as error:
        raise unreachable("StartReplay", error) from None
    return str(started["ReplayArn"])


def describe_replay(events: EventBridgeClient, name: str) -> ReplayStatus:
    found = call(events.describe_replay, "DescribeReplay", ReplayName=name)
    return ReplayStatus(
        name=name,
        state=str(found.get("State", "STARTING")),
        state_reason=found.get("StateReason") or None,
        last_replayed=found.get("EventLastReplayedTime"),
    )


def follow_replay(
    events: EventBridgeClient,
    name: str,
    *,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    on_progress: Callable[[ReplayStatus], None] = lambda status: None,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplayStatus:
    """DescribeReplay until the replay ends; ``on_progress`` hears each change of state or position."""
    last: tuple[str, datetime | None] | None = None
    while True:
        status = describe_replay(events, name)
        if (status.state, status.last_replayed) != last:
            last = (status.state, status.last_replayed)
            on_progress(status)
        if status.finished:
            return status
        sleep(poll_seconds)


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
