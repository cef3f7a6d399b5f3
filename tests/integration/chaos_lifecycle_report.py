"""The report of a lifecycle chaos run: the figures, and the end state every item must reach.

:meth:`LifecycleReport.problems` holds one list per check in :data:`LIFECYCLE_CHECKS` (empty: the check
holds); each problem names the item and shows its evidence (``chaos_lifecycle_evidence``): the events,
the order they were published in, what the function logged about each, and its tasks' history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from local.connect_emulator import CONNECTION_DROPPED, Counters, TaskRecord
from local.redrive import QueueMessage
from task_creator.adapters.task_registry import RegisteredTask
from tests.integration.chaos_faults import ChaosInvoker
from tests.integration.chaos_lifecycle_events import LifecycleEvent, LifecycleItem, Reorderings
from tests.integration.chaos_lifecycle_evidence import Evidence, FunctionStep, short
from tests.integration.chaos_report import summary_lines

LIFECYCLE_CHECKS = (
    "completed_items_closed",
    "nothing_after_stop",
    "newest_update_wins",
    "one_task_per_item",
    "dead_letters",
    "replay_changes_nothing",
    "harness",
)
# What a replayed event may come to: its task, or its follow-up, was done before (a lease taken by another
# replayed event of the same key is retried).
REPLAY_OUTCOMES = frozenset({"duplicate", "skipped", "retry"})
CHANGES = ("UpdateContact", "UpdateContactAttributes", "UpdateContactSchedule")
STOP = "StopContact"
# What the function's log says a follow-up did (``<action>: <applied>``), as a figure.
FOLLOW_UP_FIGURES = {
    "updates applied": ("update: updated",),
    "stale updates skipped": ("update: stale-skipped",),
    "repeated events skipped": ("create: duplicate", "update: duplicate", "complete: duplicate"),
    "events skipped after completion": ("update: completed-skipped", "complete: completed-skipped"),
    "tasks stopped by their complete": ("complete: completed",),
    "completions recorded before their create": ("complete: completion-recorded",),
    "tasks stopped as they were created (complete first)": ("create: late-create-stopped",),
}


@dataclass(frozen=True)
class ReplayPhase:
    """After the run: every distinct event sent once more as EventBridge replays it (a new ``id`` and
    ``replay-name``), shuffled, under the same faults; what the function did with them."""

    events: int
    replayed_from: dict[str, str]  # a replayed event's new id -> the key of the event it replays
    connect_calls: dict[str, int]  # per operation, made while the replay drained
    steps: list[FunctionStep]  # what the function logged about the replayed events
    dead_letters: int  # messages the replay added to the DLQ
    wall_seconds: float
    drain_error: str | None = None

    def outcomes(self) -> Counter[str]:
        return Counter(step.message for step in self.steps)


@dataclass
class LifecycleReport:
    """What a lifecycle chaos run published, what came of it, the figures, and every problem found."""

    seed: int
    items: list[LifecycleItem]
    order: list[LifecycleEvent]  # every copy, as published
    reorderings: Reorderings
    message_ids: dict[str, list[str]]  # event key -> the SQS message id of each copy
    tasks: list[TaskRecord]
    counters: Counters
    dead_letters: list[QueueMessage]
    steps: list[FunctionStep]
    registry: dict[str, RegisteredTask | None]  # item -> the function's registry record of its key
    started_at: float  # wall clock, epoch seconds: when publishing began
    invoker: ChaosInvoker
    containers: int
    wall_seconds: float
    attempt_budget: int
    redrive_max_receive_count: int
    visibility_timeout_seconds: int
    drain_error: str | None = None
    replay: ReplayPhase | None = None

    # what is where ----------------------------------------------------------------------------------
    def tasks_by_item(self) -> dict[str, list[TaskRecord]]:
        """The tasks of each item, by the ``itemId`` attribute its create rule sets (None: not an item's)."""
        known = {item.item for item in self.items}
        by_item: dict[str, list[TaskRecord]] = {}
        for task in self.tasks:
            item = str(task.request.get("Attributes", {}).get("itemId"))
            by_item.setdefault(item if item in known else "", []).append(task)
        return by_item

    def evidence(self) -> Evidence:
        return Evidence(
            items={item.item: item for item in self.items},
            order=self.order,
            steps=self.steps,
            tasks_by_item=self.tasks_by_item(),
            registry=self.registry,
            started_at=self.started_at,
        )

    def _count(self, messages: Sequence[str]) -> int:
        return sum(step.message in messages for step in self.steps)

    # figures --------------------------------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        operations = self.counters.operations
        injected: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        for counters in operations.values():
            injected.update(counters.injected_faults)
            lost.update(counters.lost_responses)
        retries = Counter(str(step.error_type) for step in self.steps if step.outcome == "retry")
        events = sum(len(item.events) for item in self.items)
        return {
            "items (task keys)": len(self.items),
            "items with a complete": sum(item.completes for item in self.items),
            "items with two updates": sum(len(item.updates) == 2 for item in self.items),
            "events": events,
            "duplicate publishes": len(self.order) - events,
            "messages published": len(self.order),
            **self.reorderings.figures(),
            "concurrent containers": self.containers,
            "invocations": self.invoker.invocations,
            "batch responses lost": self.invoker.lost_responses,
            "records received more than once": sum(n > 1 for n in self.invoker.receive_counts.values()),
            "highest receive count": max(self.invoker.receive_counts.values(), default=0),
            "slowest invocation (s)": round(self.invoker.slowest_invocation_seconds, 1),
            "attempt budget (MAX_RECEIVE_COUNT)": self.attempt_budget,
            "redrive maxReceiveCount": self.redrive_max_receive_count,
            "Connect calls": sum(counters.calls for counters in operations.values()),
            "Connect calls by operation": {name: c.calls for name, c in operations.items() if c.calls},
            "tasks": len(self.tasks),
            "open tasks": sum(task.active for task in self.tasks),
            "throttles injected": injected.get("ThrottlingException", 0),
            "5xx injected": injected.get("InternalServiceException", 0),
            "answers lost after the call took effect (500)": lost.get("InternalServiceException", 0),
            "answers lost after the call took effect (dropped)": lost.get(CONNECTION_DROPPED, 0),
            "NoTaskForKey retries": retries.get("NoTaskForKey", 0),
            **{name: self._count(messages) for name, messages in FOLLOW_UP_FIGURES.items()},
            "retries by error type": dict(sorted(retries.items())),
            "DLQ messages": len(self.dead_letters),
            "wall time (s)": round(self.wall_seconds, 1),
            **self._replay_figures(),
        }

    def _replay_figures(self) -> dict[str, Any]:
        if self.replay is None:
            return {}
        return {
            "replay: events": self.replay.events,
            "replay: Connect calls": sum(self.replay.connect_calls.values()),
            "replay: DLQ messages": self.replay.dead_letters,
            "replay: outcomes": dict(sorted(self.replay.outcomes().items())),
            "replay: wall time (s)": round(self.replay.wall_seconds, 1),
        }

    def summary(self) -> str:
        """One ``name: value`` line per figure, then the problems found per check."""
        return summary_lines(self.figures(), self.problems(), shown=5)

    # checks ---------------------------------------------------------------------------------------
    def problems(self) -> dict[str, list[str]]:
        """Every check in ``LIFECYCLE_CHECKS`` with what it found wrong (an empty list: it holds)."""
        evidence = self.evidence()
        return {
            "completed_items_closed": self._completed_items_closed(evidence),
            "nothing_after_stop": self._nothing_after_stop(evidence),
            "newest_update_wins": self._newest_update_wins(evidence),
            "one_task_per_item": self._one_task_per_item(evidence),
            "dead_letters": self._dead_letters(evidence),
            "replay_changes_nothing": self._replay_changes_nothing(),
            "harness": self._harness(),
        }

    def _completed_items_closed(self, evidence: Evidence) -> list[str]:
        """An item with a complete has no open task: each task it got is stopped, or it got none."""
        return [
            f"{item.item}: task {short(task.contact_id)} is still open after its complete\n"
            f"{evidence.of(item.item)}"
            for item in self.items
            if item.completes
            for task in evidence.tasks_by_item.get(item.item, ())
            if task.active
        ]

    def _nothing_after_stop(self, evidence: Evidence) -> list[str]:
        """No update reaches a task after its StopContact (the emulator's history, in order)."""
        problems = []
        for item_id, tasks in evidence.tasks_by_item.items():
            for task in tasks:
                operations = [entry.operation for entry in task.history]
                if STOP not in operations:
                    continue
                late = [op for op in operations[operations.index(STOP) + 1 :] if op in CHANGES]
                if late:
                    shown = evidence.of(item_id) if item_id else evidence.task_history(task)
                    problems.append(
                        f"{item_id or 'unknown item'}: {', '.join(late)} applied to task "
                        f"{short(task.contact_id)} after its StopContact\n{shown}"
                    )
        return problems

    def _newest_update_wins(self, evidence: Evidence) -> list[str]:
        """An item without a complete has exactly one open task, showing its newest update (by time)."""
        problems = []
        for item in self.items:
            if item.completes:
                continue
            tasks = evidence.tasks_by_item.get(item.item, [])
            open_tasks = [task for task in tasks if task.active]
            if len(open_tasks) != 1:
                problems.append(
                    f"{item.item}: {len(open_tasks)} open task(s) of {len(tasks)}, expected exactly one "
                    f"(it has no complete)\n{evidence.of(item.item)}"
                )
                continue
            state, newest = open_tasks[0].state, item.newest_update
            attributes = dict(state.attributes)
            if state.description == newest.description and attributes == item.expected_attributes():
                continue
            wrote_description = _source(item.events, "description", state.description)
            wrote_attributes = _source(item.events, "revision", attributes.get("revision"))
            problems.append(
                f"{item.item}: the open task's Description is {wrote_description} and its Attributes are "
                f"{wrote_attributes}, not "
                f"all its newest update's ({newest.step} at {newest.time:%H:%M}): Description "
                f"{state.description!r}, Attributes {attributes}, expected {newest.description!r} and "
                f"{item.expected_attributes()}\n{evidence.of(item.item)}"
            )
        return problems

    def _one_task_per_item(self, evidence: Evidence) -> list[str]:
        """Never two tasks for one key, and no task no item asked for."""
        problems = [
            f"{item_id}: {len(tasks)} tasks for one task key\n{evidence.of(item_id)}"
            for item_id, tasks in evidence.tasks_by_item.items()
            if item_id and len(tasks) > 1
        ]
        problems += [
            f"task {short(task.contact_id)} belongs to no item (Name {task.request.get('Name')!r})"
            for task in evidence.tasks_by_item.get("", ())
        ]
        return problems

    def _dead_letters(self, evidence: Evidence) -> list[str]:
        """No poison in this variant: the DLQ stays empty. A NoTaskForKey says why its create was late."""
        by_body = {event.body: event for event in self.order}
        problems = []
        for message in self.dead_letters:
            event = by_body.get(message.body)
            if event is None:
                problems.append(f"DLQ message {message.message_id} has an unknown body ({message.reason})")
            elif message.error_type == "NoTaskForKey":
                problems.append(f"{self._no_task_for_key(event, evidence)}\n{evidence.of(event.item)}")
            else:
                problems.append(f"{event.key} dead-lettered: {message.reason}\n{evidence.of(event.item)}")
        return problems

    def _no_task_for_key(self, event: LifecycleEvent, evidence: Evidence) -> str:
        counts = self.invoker.receive_counts
        receives = max((counts.get(message_id, 0) for message_id in self.message_ids[event.key]), default=0)
        item = evidence.items[event.item]
        creates = [s for s in self.steps if s.event_id == item.create.event_id and s.outcome != "retry"]
        tasks = evidence.tasks_by_item.get(event.item, [])
        if tasks:
            made = min(task.created_at.timestamp() for task in tasks) - self.started_at
            why = f"its create's task exists since +{made:.2f}s: the update gave up on a key with a task"
        elif creates:
            why = f"its create ended as {creates[-1].message!r} without a task"
        else:
            why = "its create was never done (no outcome logged for it)"
        return (
            f"{event.key} dead-lettered as NoTaskForKey after {receives} receive(s) "
            f"(attempt budget {self.attempt_budget}): {why}"
        )

    def _replay_changes_nothing(self) -> list[str]:
        """Every event replayed after the run finds its work done: nothing applied again and, when the run
        gave up on nothing, no Connect call. An event the run dead-lettered is the replay's to recover."""
        replay = self.replay
        if replay is None:
            return []
        by_body = {event.body: event.key for event in self.order}
        recovered = {by_body[message.body] for message in self.dead_letters if message.body in by_body}
        problems = []
        if not recovered:
            problems += [
                f"the replay made {count} {operation} call(s)"
                for operation, count in sorted(replay.connect_calls.items())
                if count
            ]
        for step in replay.steps:
            key = replay.replayed_from.get(step.event_id, f"unknown event {short(step.event_id)}")
            if step.outcome not in REPLAY_OUTCOMES and key not in recovered:
                problems.append(f"{key} replayed was {step.message!r}, not a duplicate or a skip")
        if replay.dead_letters:
            problems.append(f"the replay dead-lettered {replay.dead_letters} message(s)")
        if replay.drain_error:
            problems.append(f"the replay did not drain: {replay.drain_error}")
        return problems

    def _harness(self) -> list[str]:
        """The run was set up as intended: it drained, no handler exception, no record near its budget."""
        problems = [f"the handler raised {error}" for error in self.invoker.handler_errors]
        if self.drain_error:
            problems.append(f"the queue did not drain: {self.drain_error}")
        if self.invoker.slowest_invocation_seconds >= self.visibility_timeout_seconds:
            problems.append(
                f"an invocation took {self.invoker.slowest_invocation_seconds:.1f} s, longer than the "
                f"visibility timeout ({self.visibility_timeout_seconds} s)"
            )
        highest = max(self.invoker.receive_counts.values(), default=0)
        if highest >= self.attempt_budget:
            problems.append(
                f"a record was received {highest} times: the attempt budget ({self.attempt_budget}) is "
                "too small for these faults and this reordering"
            )
        return problems


def _source(events: Sequence[LifecycleEvent], field: str, value: str | None) -> str:
    """Which event wrote this ``description`` (or ``revision``): ``update-1's (13:05)``."""
    for event in events:
        if getattr(event, field) == value:
            return f"{event.step}'s ({event.time:%H:%M})"
    return "no event's"
