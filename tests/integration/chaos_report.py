"""The report of a chaos run: what was published, what came of it, the figures and the checks.

:class:`ChaosReport` reads back what a user would see (the tasks Connect holds, the DLQ, the
function's logged outcomes) and :meth:`ChaosReport.problems` checks it against what was published,
one list of problems per check in :data:`CHECKS` (an empty list: the check holds).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from local.connect_emulator import CONNECTION_DROPPED, Counters, TaskRecord
from local.redrive import QueueMessage
from task_creator.observability import Outcome
from tests.integration.chaos_events import ChaosEvent, ExpectedTask
from tests.integration.chaos_faults import ChaosInvoker

CHECKS = ("lost_events", "duplicate_tasks", "dead_letter_set", "dead_letter_reasons", "harness")


@dataclass
class ChaosReport:
    """What a chaos run published, what came of it, the figures, and every problem found."""

    seed: int
    events: list[ChaosEvent]
    message_ids: dict[str, list[str]]  # event key -> the SQS message id of each copy
    expected_tasks: dict[str, ExpectedTask]  # ClientToken -> the task it stands for
    tasks: list[TaskRecord]
    counters: Counters
    dead_letters: list[QueueMessage]
    outcomes: Counter[str]
    retries_by_error_type: Counter[str]
    invoker: ChaosInvoker
    containers: int
    wall_seconds: float
    attempt_budget: int
    redrive_max_receive_count: int
    visibility_timeout_seconds: int
    drain_error: str | None = None

    # figures --------------------------------------------------------------------------------------
    @property
    def good_events(self) -> int:
        return sum(not event.poison for event in self.events)

    @property
    def poison_events(self) -> int:
        return sum(event.poison for event in self.events)

    @property
    def duplicate_publishes(self) -> int:
        return sum(event.copies - 1 for event in self.events)

    @property
    def published_messages(self) -> int:
        return sum(event.copies for event in self.events)

    @property
    def connect_calls(self) -> int:
        return self.counters.calls

    @property
    def calls_per_task(self) -> float:
        return self.connect_calls / len(self.tasks) if self.tasks else float("nan")

    @property
    def ledger_duplicates(self) -> int:
        """Tasks the ledger already knew: the Connect call was skipped."""
        return self.outcomes[Outcome.DUPLICATE.value]

    @property
    def connect_duplicates(self) -> int:
        """Calls Connect answered with an existing task (a repeated ClientToken)."""
        return self.counters.duplicates

    @property
    def max_receive_count_seen(self) -> int:
        return max(self.invoker.receive_counts.values(), default=0)

    @property
    def poison_in_lost_batches(self) -> int:
        """Poison records whose dead letter was written by an invocation whose response was then lost."""
        lost = self.invoker.lost_message_ids
        return sum(
            any(message_id in lost for message_id in self.message_ids.get(event.key, []))
            for event in self.events
            if event.poison
        )

    @property
    def records_received_more_than_once(self) -> int:
        return sum(count > 1 for count in self.invoker.receive_counts.values())

    def figures(self) -> dict[str, Any]:
        injected = self.counters.injected_faults
        lost = self.counters.lost_responses
        return {
            "events": len(self.events),
            "good events": self.good_events,
            "poison events": self.poison_events,
            "duplicate publishes": self.duplicate_publishes,
            "messages published": self.published_messages,
            "concurrent containers": self.containers,
            "invocations": self.invoker.invocations,
            "batch responses lost": self.invoker.lost_responses,
            "poison records in a lost batch response": self.poison_in_lost_batches,
            "records received more than once": self.records_received_more_than_once,
            "highest receive count": self.max_receive_count_seen,
            "slowest invocation (s)": round(self.invoker.slowest_invocation_seconds, 1),
            "attempt budget (MAX_RECEIVE_COUNT)": self.attempt_budget,
            "redrive maxReceiveCount": self.redrive_max_receive_count,
            "Connect calls": self.connect_calls,
            "tasks expected": len(self.expected_tasks),
            "tasks": len(self.tasks),
            "calls per task": round(self.calls_per_task, 3),
            "throttles injected": injected.get("ThrottlingException", 0),
            "5xx injected": injected.get("InternalServiceException", 0),
            "answers lost after creation (500)": lost.get("InternalServiceException", 0),
            "answers lost after creation (dropped)": lost.get(CONNECTION_DROPPED, 0),
            "duplicates suppressed by the ledger": self.ledger_duplicates,
            "duplicates suppressed by Connect (ClientToken)": self.connect_duplicates,
            "retries by error type": dict(sorted(self.retries_by_error_type.items())),
            "DLQ messages": len(self.dead_letters),
            "wall time (s)": round(self.wall_seconds, 1),
        }

    def summary(self) -> str:
        """One ``name: value`` line per figure, then the problems found per check."""
        return summary_lines(self.figures(), self.problems(), shown=10)

    # checks ---------------------------------------------------------------------------------------
    def problems(self) -> dict[str, list[str]]:
        """Every check in ``CHECKS`` with what it found wrong (an empty list: it holds)."""
        return {
            "lost_events": self._lost_events(),
            "duplicate_tasks": self._duplicate_tasks(),
            "dead_letter_set": self._dead_letter_set(),
            "dead_letter_reasons": self._dead_letter_reasons(),
            "harness": self._harness(),
        }

    def _events_by_key(self) -> dict[str, ChaosEvent]:
        return {event.key: event for event in self.events}

    def _lost_events(self) -> list[str]:
        """Every good event has a task for each of its rules."""
        created = {task.client_token for task in self.tasks}
        problems = [
            f"{expected.key} ({expected.kind}) rule {expected.rule}: no task in Connect"
            for token, expected in self.expected_tasks.items()
            if token not in created
        ]
        if self.drain_error:
            problems.append(f"the queue did not drain: {self.drain_error}")
        return problems

    def _duplicate_tasks(self) -> list[str]:
        """One task per ClientToken and per (event, rule); no task Connect got that no event asked for."""
        per_token = Counter(task.client_token for task in self.tasks)
        problems = [
            f"{expected.key} ({expected.kind}) rule {expected.rule}: {per_token[token]} tasks"
            for token, expected in self.expected_tasks.items()
            if per_token[token] > 1
        ]
        per_event_rule = Counter(
            (self.expected_tasks[task.client_token].key, self.expected_tasks[task.client_token].rule)
            for task in self.tasks
            if task.client_token in self.expected_tasks
        )
        problems += [
            f"{key} rule {rule}: {count} tasks for one (event, rule)"
            for (key, rule), count in per_event_rule.items()
            if count > 1 and not any(p.startswith(f"{key} ") for p in problems)
        ]
        for task in self.tasks:
            expected = self.expected_tasks.get(task.client_token)
            if expected is None:
                problems.append(
                    f"task {task.contact_id} has a ClientToken no event should produce "
                    f"({task.client_token}, Name {task.request.get('Name')!r})"
                )
            elif expected.key not in str(task.request.get("Name", "")):
                problems.append(
                    f"task {task.contact_id} for {expected.key} rule {expected.rule} has Name "
                    f"{task.request.get('Name')!r}, which does not name its event"
                )
        return problems

    def _dead_letter_set(self) -> list[str]:
        """The DLQ holds exactly the poison records, each once."""
        by_body = {event.body: event for event in self.events}
        seen: Counter[str] = Counter()
        problems: list[str] = []
        for message in self.dead_letters:
            event = by_body.get(message.body)
            if event is None:
                owner = self._event_of(message)
                what = f"poison {owner.key} ({owner.kind}) with its body changed" if owner else "unknown body"
                problems.append(f"DLQ message {message.message_id}: {what} ({_reason(message)})")
            elif not event.poison:
                problems.append(f"good event {event.key} ({event.kind}) dead-lettered: {_reason(message)}")
            else:
                seen[event.key] += 1
        for event in self.events:
            if event.poison and seen[event.key] == 0:
                problems.append(f"poison {event.key} ({event.kind}) is not in the DLQ")
            elif seen[event.key] > 1:
                problems.append(f"poison {event.key} ({event.kind}) is in the DLQ {seen[event.key]} times")
        return problems

    def _dead_letter_reasons(self) -> list[str]:
        """Each dead letter says why (ErrorType as expected for its kind, ErrorMessage, EventId)."""
        by_body = {event.body: event for event in self.events}
        problems: list[str] = []
        for message in self.dead_letters:
            event = by_body.get(message.body) or self._event_of(message)
            label = (
                f"DLQ message for {event.key} ({event.kind})"
                if event
                else f"DLQ message {message.message_id}"
            )
            for name in ("ErrorType", "ErrorMessage", "EventId"):
                if not (message.attribute(name) or "").strip():
                    problems.append(f"{label} lacks {name}")
            if event is None or not event.poison:
                continue
            if message.error_type and message.error_type not in event.dead_letter_types:
                problems.append(
                    f"{label} has ErrorType {message.error_type} (expected "
                    f"{' or '.join(sorted(event.dead_letter_types))}): {message.error_message!r}"
                )
            expected_ids = [event.event_id] if event.event_id else self.message_ids.get(event.key, [])
            event_id = message.attribute("EventId")
            if event_id and event_id not in expected_ids:
                problems.append(f"{label} has EventId {event_id!r}, expected {' or '.join(expected_ids)}")
        return problems

    def _harness(self) -> list[str]:
        """The run was set up as intended: no handler exception, no record near its attempt budget."""
        problems = [f"the handler raised {error}" for error in self.invoker.handler_errors]
        if self.invoker.slowest_invocation_seconds >= self.visibility_timeout_seconds:
            problems.append(
                f"an invocation took {self.invoker.slowest_invocation_seconds:.1f} s, longer than the "
                f"visibility timeout ({self.visibility_timeout_seconds} s): its records may have been "
                "delivered again while it still worked on them"
            )
        if self.max_receive_count_seen >= self.attempt_budget:
            problems.append(
                f"a record was received {self.max_receive_count_seen} times: the attempt budget "
                f"({self.attempt_budget}) is too small for these faults"
            )
        return problems

    def _event_of(self, message: QueueMessage) -> ChaosEvent | None:
        """The event a dead letter came from, by its EventId (for a body that no longer matches)."""
        event_id = message.attribute("EventId")
        for event in self.events:
            if event_id and (event_id == event.event_id or event_id in self.message_ids.get(event.key, [])):
                return event
        return None


def _reason(message: QueueMessage) -> str:
    return f"ErrorType={message.error_type!r}, ErrorMessage={message.error_message!r}"


def summary_lines(figures: dict[str, Any], problems: dict[str, list[str]], *, shown: int) -> str:
    """A chaos report as text: ``name: value`` per figure, then each check's count and first problems."""
    lines = [f"{name}: {value}" for name, value in figures.items()]
    for check, found in problems.items():
        lines.append(f"problems ({check}): {len(found)}")
        lines += [f"  - {problem}" for problem in found[:shown]]
        if len(found) > shown:
            lines.append(f"  ... and {len(found) - shown} more")
    return "\n".join(lines)
