"""What a lifecycle chaos problem is shown with: one item's events, the order they were published in,
what the function logged about each, and each of its tasks' history in the emulator.

    item LC7-0003 [create@08:00, update-1@08:03, update-2@08:07, complete@08:09]
      published: update-2, create, complete, update-2 (copy 2), update-1
      function:  +0.41s update-2 retry NoTaskForKey; +1.02s create "create: created" 5f0c1a2b; ...
      task 5f0c1a2b (stopped, ...): +1.01s StartTaskContact; +2.30s UpdateContact[Description]; ...
      registry: completed, contact 5f0c1a2b, last event 2026-11-23T08:07:00.000000Z

Times are seconds since the first message was published (the function's log records and the emulator's
history are both on the wall clock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from local.connect_emulator import TaskRecord
from task_creator.adapters.task_registry import RegisteredTask
from tests.integration.chaos_lifecycle_events import LifecycleEvent, LifecycleItem


@dataclass(frozen=True)
class FunctionStep:
    """One outcome the function logged (``at``: the log record's wall-clock time, epoch seconds)."""

    at: float
    event_id: str
    outcome: str
    message: str
    error_type: str | None = None
    contact_id: str | None = None

    def describe(self, step: str, started_at: float) -> str:
        what = f"{self.outcome} {self.error_type}" if self.error_type else repr(self.message)
        contact = f" {self.contact_id[:8]}" if self.contact_id else ""
        return f"+{self.at - started_at:.2f}s {step} {what}{contact}"


def short(contact_id: str) -> str:
    return contact_id[:8]


@dataclass(frozen=True)
class Evidence:
    """Everything known about the items of one run, to show one item at a time."""

    items: Mapping[str, LifecycleItem]
    order: Sequence[LifecycleEvent]
    steps: Sequence[FunctionStep]
    tasks_by_item: Mapping[str, Sequence[TaskRecord]]
    registry: Mapping[str, RegisteredTask | None]  # the function's record of each item's key, after the run
    started_at: float

    def of(self, item_id: str) -> str:
        item = self.items[item_id]
        lines = [f"item {item_id} [{', '.join(event.label for event in item.events)}]"]
        lines.append(f"  published: {self.published(item_id)}")
        lines.append(f"  function:  {'; '.join(self.function_steps(item)) or 'nothing logged'}")
        lines += [f"  {self.task_history(task)}" for task in self.tasks_by_item.get(item_id, ())]
        if not self.tasks_by_item.get(item_id):
            lines.append("  no task in Connect")
        lines.append(f"  registry: {self.registered(item_id)}")
        return "\n".join(lines)

    def registered(self, item_id: str) -> str:
        record = self.registry.get(item_id)
        if record is None:
            return "no record"
        contact = short(record.contact_id) if record.contact_id else "none"
        return f"{record.state}, contact {contact}, last event {record.last_event_time}"

    def published(self, item_id: str) -> str:
        seen: dict[str, int] = {}
        shown = []
        for event in self.order:
            if event.item != item_id:
                continue
            seen[event.key] = seen.get(event.key, 0) + 1
            shown.append(event.step if seen[event.key] == 1 else f"{event.step} (copy {seen[event.key]})")
        return ", ".join(shown)

    def function_steps(self, item: LifecycleItem) -> list[str]:
        steps_of = {event.event_id: event.step for event in item.events}
        return [
            step.describe(steps_of[step.event_id], self.started_at)
            for step in self.steps
            if step.event_id in steps_of
        ]

    def task_history(self, task: TaskRecord) -> str:
        state = "open" if task.active else "stopped"
        entries = []
        for entry in task.history:
            written = ",".join(field.split(".", 1)[-1] for field in entry.fields)
            fields = f"[{written}]" if entry.operation.startswith("Update") else ""
            entries.append(f"{self._offset(entry.time)} {entry.operation}{fields}")
        content = task.state
        revision = content.attributes.get("revision")
        return (
            f"task {short(task.contact_id)} ({state}, revision {revision}, Description "
            f"{content.description!r}): {'; '.join(entries)}"
        )

    def _offset(self, moment: datetime) -> str:
        return f"+{moment.timestamp() - self.started_at:.2f}s"
