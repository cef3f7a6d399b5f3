"""What the function would do with one event, short of calling Amazon Connect: the tasks it would send,
the dead letter it would write, or that it would ignore the event.

The same steps as ``task_creator.creator.TaskCreator.process``, with the function's own pure code:
reading (``envelope``), planning (``planning.plan_event``), the ``unmatched`` policy, the clock check
of each new task (``planning.preview_at``, i.e. ``schedule.schedule_request``) and the record's fate
(``decision.decide``). What only Connect can say (a rejection, a throttle) and what only the ledger
knows (a task that exists already, the task registered under a task key) are out of reach: every task
is taken to be new, every task key to have its task, open (so a follow-up is applied: no NoTaskForKey
retry, no stale or completed-task skip, and a create is never skipped as late), and every call to
succeed. A follow-up's outcome is the fields its rule renders for its operation; the function adds the
ids (its InstanceId, the ContactId registered under the key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from local.cli.event_files import EventInput
from task_creator.adapters.dead_letter_attributes import NO_VALUE
from task_creator.decision import Action, Attempt, decide
from task_creator.errors import MalformedEvent, PermanentFailure
from task_creator.mapping.planning import (
    PlannedTask,
    PlanningContext,
    RuleFailure,
    plan_event,
    preview_at,
    unmatched_error,
)
from task_creator.mapping.rules import TaskMapping


@dataclass(frozen=True)
class DeadLetterOutcome:
    """The DLQ message's reason attributes, as the function writes them (before SQS's size limits)."""

    error_type: str
    rule: str  # the failed rules, sorted and comma-separated; "-" when no rule failed (unreadable, unmatched)
    error_message: str


@dataclass(frozen=True)
class EventOutcome:
    tasks: tuple[PlannedTask, ...] = ()
    dead_letter: DeadLetterOutcome | None = None
    ignored: bool = False
    clock_dependent: bool = False  # a task carries a ScheduledTime: the outcome depends on "now"
    started_late: frozenset[str] = frozenset()  # rules whose ScheduledTime had passed: sent without it


def event_outcome(
    item: EventInput, mapping: TaskMapping, context: PlanningContext, *, now: datetime, window: timedelta
) -> EventOutcome:
    """The outcome of ``item``'s first delivery at ``now``, Connect accepting every request."""
    if item.event is None:
        return _dead_lettered([RuleFailure("", item.error or MalformedEvent("the event could not be read"))])
    event = item.event
    try:
        plan = plan_event(event, mapping, context)
    except PermanentFailure as error:
        return _dead_lettered([RuleFailure("", error)])
    if plan.unmatched:
        if mapping.unmatched == "ignore":
            return EventOutcome(ignored=True)
        return _dead_lettered([RuleFailure("", unmatched_error(event))])
    sent = preview_at(plan, now=now, window=window)
    scheduled = {task.rule for task in plan.tasks if "ScheduledTime" in task.request}
    return EventOutcome(
        tasks=sent.tasks,
        dead_letter=_dead_lettered(list(sent.failures)).dead_letter,
        clock_dependent=bool(scheduled),
        started_late=frozenset(
            t.rule for t in sent.tasks if t.rule in scheduled and "ScheduledTime" not in t.request
        ),
    )


def _dead_lettered(permanent: list[RuleFailure]) -> EventOutcome:
    decision = decide(permanent=permanent, transient=[], attempt=Attempt())
    if decision.action is Action.DONE:
        return EventOutcome()
    return EventOutcome(
        dead_letter=DeadLetterOutcome(
            error_type=decision.error_type or "PermanentFailure",
            rule=decision.failed_rules or NO_VALUE,
            error_message=decision.error_message,
        )
    )
