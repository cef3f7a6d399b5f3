"""The events of a lifecycle chaos run: task keys with a create, updates and maybe a complete.

:func:`lifecycle_mapping` is the run's own mapping (written to a file by the run, so the scenario does
not move when ``lambda/mapping.json`` does): one create, one update and one complete rule over
``chaos.lifecycle`` events, all keyed ``item:{{ detail.itemId }}``. :func:`lifecycle_items` plans, per
item, a create, one or two updates and (for most items) a complete, at distinct event times in that
order; :func:`publication_order` shuffles every copy of every event (a share published twice), and
:class:`Reorderings` counts how far that order is from the events' own.

The envelopes are built here rather than read from ``events/``: what the checks expect of an item is
written in its events (the newest update's Description and Attributes), nothing else.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

LIFECYCLE_SOURCE = "chaos.lifecycle"
OPENED, CHANGED, CLOSED = "ItemOpened", "ItemChanged", "ItemClosed"
CREATE_RULE, UPDATE_RULE, COMPLETE_RULE = "item-opened", "item-changed", "item-closed"
TASK_KEY = "item:{{ detail.itemId }}"
FIRST_EVENT_TIME = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def lifecycle_mapping() -> dict[str, Any]:
    """The run's mapping: create, update (Description and Attributes) and complete, by item."""
    match = {"source": [LIFECYCLE_SOURCE]}
    return {
        "description": "Lifecycle chaos: one task per item, updated until it is closed.",
        "unmatched": "dead-letter",
        "rules": [
            {
                "name": CREATE_RULE,
                "match": {**match, "detail-type": [OPENED]},
                "taskKey": TASK_KEY,
                "task": {
                    "Name": "Item {{ detail.itemId }}",
                    "Description": "{{ detail.description }}",
                    "Attributes": {
                        "itemId": "{{ detail.itemId }}",
                        "revision": "{{ detail.revision }}",
                        "openedBy": "{{ id }}",
                    },
                },
            },
            {
                "name": UPDATE_RULE,
                "action": "update",
                "match": {**match, "detail-type": [CHANGED]},
                "taskKey": TASK_KEY,
                "task": {
                    "Description": "{{ detail.description }}",
                    "Attributes": {"revision": "{{ detail.revision }}", "changedBy": "{{ id }}"},
                },
            },
            {
                "name": COMPLETE_RULE,
                "action": "complete",
                "match": {**match, "detail-type": [CLOSED]},
                "taskKey": TASK_KEY,
            },
        ],
    }


@dataclass(frozen=True)
class LifecycleEvent:
    """One distinct event of an item: ``step`` is create, update-1, update-2 (newer) or complete."""

    key: str  # unique per distinct event: "<item>/<step>"
    item: str
    step: str
    time: datetime
    event_id: str
    body: str
    revision: str | None = None
    description: str | None = None
    copies: int = 1
    attributes: Mapping[str, MessageAttributeValueTypeDef] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.step.split("-", 1)[0]

    @property
    def label(self) -> str:
        return f"{self.step}@{self.time:%H:%M}"


@dataclass(frozen=True)
class LifecycleItem:
    """One task key and its events, in event-time order."""

    item: str
    events: tuple[LifecycleEvent, ...]

    @property
    def task_key(self) -> str:
        return f"item:{self.item}"

    @property
    def create(self) -> LifecycleEvent:
        return self.events[0]

    @property
    def updates(self) -> tuple[LifecycleEvent, ...]:
        return tuple(event for event in self.events if event.action == "update")

    @property
    def completes(self) -> bool:
        return self.events[-1].action == "complete"

    @property
    def newest_update(self) -> LifecycleEvent:
        return max(self.updates, key=lambda event: event.time)

    def expected_attributes(self) -> dict[str, str]:
        """What an open task's attributes must be: the create's, overwritten by the newest update's."""
        newest = self.newest_update
        return {
            "itemId": self.item,
            "revision": str(newest.revision),
            "openedBy": self.create.event_id,
            "changedBy": newest.event_id,
        }


def lifecycle_items(
    count: int,
    seed: int,
    *,
    complete_share: float = 0.7,
    two_updates_share: float = 0.5,
    duplicate_share: float = 0.15,
) -> list[LifecycleItem]:
    """``count`` items: a create, one or two updates, and (``complete_share`` of them) a complete, at
    distinct times in that order, ten minutes apart per item; ``duplicate_share`` of the events to be
    published twice."""
    rng = random.Random(f"{seed}:lifecycle-events")
    items = []
    for index in range(count):
        item = f"LC{seed}-{index:04d}"
        start = FIRST_EVENT_TIME + timedelta(minutes=10 * index)
        update_minutes = sorted(rng.sample(range(1, 9), 2 if rng.random() < two_updates_share else 1))
        steps = [("create", 0)]
        steps += [(f"update-{n}", minute) for n, minute in enumerate(update_minutes, start=1)]
        if rng.random() < complete_share:
            steps.append(("complete", 9))
        events = []
        for revision, (step, minute) in enumerate(steps):
            event = _event(item, step, start + timedelta(minutes=minute), revision, rng)
            if rng.random() < duplicate_share:
                event = replace(event, copies=2)
            events.append(event)
        items.append(LifecycleItem(item, tuple(events)))
    return items


def _event(item: str, step: str, moment: datetime, revision: int, rng: random.Random) -> LifecycleEvent:
    event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    detail_type = {"create": OPENED, "update": CHANGED, "complete": CLOSED}[step.split("-", 1)[0]]
    detail: dict[str, Any] = {"itemId": item}
    description = None
    if step != "complete":
        description = f"{item} revision r{revision} ({step}, {moment:%H:%M})"
        detail.update(revision=f"r{revision}", description=description)
    body = {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": LIFECYCLE_SOURCE,
        "account": "123456789012",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    return LifecycleEvent(
        key=f"{item}/{step}",
        item=item,
        step=step,
        time=moment,
        event_id=event_id,
        body=json.dumps(body),
        revision=detail.get("revision"),
        description=description,
    )


def publication_order(items: Sequence[LifecycleItem], rng: random.Random) -> list[LifecycleEvent]:
    """Every copy of every event, shuffled across items."""
    copies = [event for item in items for event in item.events for _ in range(event.copies)]
    rng.shuffle(copies)
    return copies


@dataclass(frozen=True)
class Reorderings:
    """How far the publication order is from the events' own (first copies; a duplicate counts where it
    was first sent)."""

    items_out_of_order: int
    inverted_pairs: int  # pairs of one item's events published newer first
    updates_before_create: int
    completes_before_create: int
    older_update_after_newer: int
    follow_ups_after_complete: int

    @classmethod
    def of(cls, items: Sequence[LifecycleItem], order: Sequence[LifecycleEvent]) -> Reorderings:
        position: dict[str, int] = {}
        for index, event in enumerate(order):
            position.setdefault(event.key, index)
        out_of_order = inverted = updates_first = completes_first = older_after = after_complete = 0
        for item in items:
            places = [position[event.key] for event in item.events]
            pairs = sum(places[i] > places[j] for i in range(len(places)) for j in range(i + 1, len(places)))
            inverted += pairs
            out_of_order += pairs > 0
            create = position[item.create.key]
            updates = [position[event.key] for event in item.updates]
            updates_first += sum(place < create for place in updates)
            older_after += len(updates) == 2 and updates[0] > updates[1]
            if item.completes:
                complete = position[item.events[-1].key]
                completes_first += complete < create
                after_complete += sum(place > complete for place in [create, *updates])
        return cls(out_of_order, inverted, updates_first, completes_first, older_after, after_complete)

    def figures(self) -> dict[str, int]:
        return {
            "items published out of order": self.items_out_of_order,
            "event pairs published newer first": self.inverted_pairs,
            "updates published before their create": self.updates_before_create,
            "completes published before their create": self.completes_before_create,
            "older updates published after the newer one": self.older_update_after_newer,
            "events published after their item's complete": self.follow_ups_after_complete,
        }
