"""The demo's task lifecycle story: which samples are follow-ups, the order they arrive in, and what
became of every task key.

A sample file holding an event that some update, reschedule or complete rule matches is a
**lifecycle sample**. Its messages are published after every other sample has been processed, one at a
time, each once the function has tried the one before (a message waiting out its retry backoff does not
hold the next one back), so the arrival order is the one the files give: the files in the order of
their first event's ``time``, the records of a batch in the order the batch holds them (that is how
``sqs-order-lifecycle-out-of-order.json`` delivers an update before its create, and a complete before
its create).

What happened to each key comes from the function's own log lines (the ``outcome``, and the message
``"<action>: <what was applied>"``), as a CloudWatch Logs Insights query would read them; the task key
of each line is rendered from the event with the mapping's own ``taskKey`` (the function logs only its
hash). The tasks' state and history come from the Connect emulator.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from local.connect_emulator import ConnectEmulator, TaskRecord, UnknownContact
from local.event_source import BatchResult, SqsEventSource, lambda_message_attribute
from local.publish import Publication, Route, SampleMessage
from task_creator.errors import PermanentFailure
from task_creator.mapping.envelope import CanonicalEvent, event_from_eventbridge, event_from_sqs_record
from task_creator.mapping.keys import render_task_key
from task_creator.mapping.rules import MappingRule, TaskMapping
from task_creator.observability import Outcome
from task_creator.observability import logger as function_logger

SETTLE_POLL_SECONDS = 0.05
# What each "<action>: <applied>" the function logs means, in the report's words.
APPLIED_WORDS = {
    "created": "created",
    "duplicate": "duplicate: the same event again",
    "late-create-stopped": "its task key was completed first: its task is stopped at once",
    "completed": "completed",
    "updated": "updated",
    "rescheduled": "rescheduled",
    "completion-recorded": "completion recorded: no task yet (its create comes later)",
    "stale-skipped": "skipped: older than the last event applied to the task",
    "completed-skipped": "skipped: the task is completed",
}
CREATE_WORDS = {
    "duplicate": "duplicate: the task exists already",
    "completed": "created, then stopped at once: its completion had arrived first",
}
APPLIED_OUTCOMES = frozenset({Outcome.UPDATED, Outcome.RESCHEDULED, Outcome.COMPLETED})


# --- which samples are follow-ups, and their arrival order ------------------------------------------------


def split_follow_ups(
    samples: Sequence[SampleMessage], mapping: TaskMapping
) -> tuple[list[SampleMessage], list[SampleMessage]]:
    """(every other message, the lifecycle samples' messages in their arrival order)."""
    files: dict[str, list[SampleMessage]] = {}
    for sample in samples:
        files.setdefault(sample_file(sample), []).append(sample)
    lifecycle = {name for name, messages in files.items() if any(_follows_up(m, mapping) for m in messages)}
    rest = [sample for sample in samples if sample_file(sample) not in lifecycle]
    ordered = sorted(lifecycle, key=lambda name: (_first_time(files[name]), name))
    return rest, [message for name in ordered for message in files[name]]


def sample_file(sample: SampleMessage) -> str:
    return sample.origin.split("#", 1)[0]


def _follows_up(sample: SampleMessage, mapping: TaskMapping) -> bool:
    event = sample_event(sample)
    return event is not None and any(
        rule.action != "create" for rule in mapping.matching_rules(event.as_dict())
    )


def _first_time(messages: Sequence[SampleMessage]) -> str:
    times = [event.time for message in messages[:1] if (event := sample_event(message)) is not None]
    return times[0] if times else ""


def sample_event(sample: SampleMessage, message_id: str | None = None) -> CanonicalEvent | None:
    """The canonical event the function reads from ``sample`` (with the id AWS gave it, when known):
    None when it cannot be read (a poison sample)."""
    try:
        if sample.route is Route.BUS:
            envelope = sample.envelope()
            return event_from_eventbridge({**envelope, "id": message_id or envelope.get("id")})
        record = {
            "messageId": message_id or sample.origin,
            "body": sample.body,
            "attributes": {"MessageGroupId": sample.message_group_id} if sample.message_group_id else {},
            "messageAttributes": {
                name: lambda_message_attribute(value) for name, value in sample.message_attributes.items()
            },
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:demo",
        }
        return event_from_sqs_record(record)
    except (PermanentFailure, json.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def settle(
    sources: Sequence[SqsEventSource],
    *,
    timeout_seconds: float,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> None:
    """Poll until no message is visible on any source: every message sent so far has been tried at
    least once (one waiting out its retry backoff is left for later)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        polled = [result for source in sources if (result := source.poll_once()) is not None]
        if polled:
            for result in polled:
                if on_batch is not None:
                    on_batch(result)
            continue
        if all(source.depth().visible == 0 for source in sources):
            return
        time.sleep(SETTLE_POLL_SECONDS)


# --- what the function logged ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedStep:
    """One outcome line of the function's log, with its message (``"update: updated"``, ...)."""

    outcome: Outcome
    event_id: str
    rule: str | None
    message: str
    contact_id: str | None = None
    error_type: str | None = None

    @property
    def applied(self) -> str | None:
        """What a rule's action did (``updated``, ``late-create-stopped``, ...): the message's tail."""
        action, found, applied = self.message.partition(": ")
        return applied if found and " " not in action else None


class StepLog(logging.Handler):
    """Keeps the function's outcome lines (thread-safe): the demo's view of its logs."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self._steps: list[LoggedStep] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            outcome = Outcome(getattr(record, "outcome", None))
        except ValueError:
            return
        step = LoggedStep(
            outcome=outcome,
            event_id=str(getattr(record, "event_id", "") or ""),
            rule=getattr(record, "rule", None),
            message=record.getMessage(),
            contact_id=getattr(record, "contact_id", None),
            error_type=getattr(record, "error_type", None),
        )
        with self._lock:
            self._steps.append(step)

    def steps(self) -> list[LoggedStep]:
        with self._lock:
            return list(self._steps)

    def clear(self) -> None:
        with self._lock:
            self._steps.clear()


@contextlib.contextmanager
def function_steps() -> Iterator[StepLog]:
    """Record the function's outcome lines until exit (next to ``captured_function_output``)."""
    std_logger = logging.getLogger(function_logger.name)
    log = StepLog()
    std_logger.addHandler(log)
    try:
        yield log
    finally:
        std_logger.removeHandler(log)


# --- the story of each task key --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyStep:
    """One thing the function did about a task key, in the order it did it."""

    key: str
    event_id: str
    detail_type: str
    rule: str
    action: str
    result: str
    contact_id: str | None
    applied: bool  # it changed something: created, updated, rescheduled, completed (or recorded)


def key_steps(
    publications: Sequence[Publication], steps: Sequence[LoggedStep], mapping: TaskMapping
) -> list[KeyStep]:
    """Every logged outcome of a rule with a task key, grouped by key (first seen first), each key's
    steps in the order the function logged them."""
    events = {
        publication.message_id: event
        for publication in publications
        if (event := sample_event(publication.message, publication.message_id)) is not None
    }
    rules = {rule.name: rule for rule in mapping.rules if rule.task_key is not None}
    found: list[KeyStep] = []
    for step in steps:
        rule = rules.get(step.rule or "")
        event = events.get(step.event_id)
        if rule is None or event is None or (key := _key(rule, event)) is None:
            continue
        if step.applied is None and step.outcome not in {Outcome.RETRY, Outcome.DEAD_LETTER}:
            continue  # a warning about the same rule's task (its ScheduledTime had passed), not an outcome
        found.append(
            KeyStep(
                key=key,
                event_id=step.event_id,
                detail_type=event.detail_type,
                rule=rule.name,
                action=rule.action,
                result=describe_step(step, rule),
                contact_id=step.contact_id,
                applied=step.outcome in APPLIED_OUTCOMES or step.applied == "created",
            )
        )
    order = {key: index for index, key in enumerate(dict.fromkeys(step.key for step in found))}
    return sorted(found, key=lambda step: order[step.key])  # stable: each key's steps keep their order


def describe_step(step: LoggedStep, rule: MappingRule) -> str:
    if step.outcome is Outcome.RETRY:
        reason = " (no task for the key yet: its create may still be on its way)"
        return f"retried: {step.error_type}" + (reason if step.error_type == "NoTaskForKey" else "")
    if step.outcome is Outcome.DEAD_LETTER:
        return f"dead-lettered: {step.error_type}"
    applied = step.applied or step.outcome.value
    words = CREATE_WORDS if rule.action == "create" else {}
    return words.get(applied) or APPLIED_WORDS.get(applied, applied)


def _key(rule: MappingRule, event: CanonicalEvent) -> str | None:
    try:
        return render_task_key(rule, event.as_dict())
    except PermanentFailure:
        return None


@dataclass(frozen=True)
class KeyTask:
    """A task key at the end of the demo: the task registered under it (None: none was ever created)."""

    key: str
    task: TaskRecord | None
    state: str  # the emulator's Contact.State, or "no task"


def key_tasks(
    steps: Sequence[KeyStep], connect: ConnectEmulator, *, now: datetime | None = None
) -> list[KeyTask]:
    """Each key's task as the emulator has it now (its state and history)."""
    contacts: dict[str, str | None] = {}
    for step in steps:
        contacts.setdefault(step.key, None)
        if step.contact_id and step.action == "create" and contacts[step.key] is None:
            contacts[step.key] = step.contact_id
    moment = now or datetime.now(UTC)
    tasks = []
    for key, contact_id in contacts.items():
        task = _task(connect, contact_id)
        tasks.append(KeyTask(key=key, task=task, state=task.status_at(moment) if task else "no task"))
    return tasks


def _task(connect: ConnectEmulator, contact_id: str | None) -> TaskRecord | None:
    if contact_id is None:
        return None
    try:
        return connect.task(contact_id)
    except UnknownContact:
        return None


def history_rows(task: TaskRecord) -> list[tuple[str, str, str]]:
    """(time of day, operation, fields written) per history entry, oldest first."""
    return [
        (entry.time.astimezone(UTC).strftime("%H:%M:%S.%f")[:-3], entry.operation, ", ".join(entry.fields))
        for entry in task.history
    ]
