"""One canonical event -> the tasks to create (one per matching rule) and the rules that cannot render.

Pure: matching, rendering, the ClientToken and Connect's limits, with no I/O. The order of work per rule
is identity, ClientToken, request, static limits; what depends on the clock (``ScheduledTime``) is left
to ``schedule.schedule_request``, after the ledger has said the task is new. The handler, the CLI's
``render`` command and the tests all go through here, so what users preview is what the function sends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from task_creator.errors import PermanentFailure, TaskCreatorError, UnmatchedEvent
from task_creator.mapping.envelope import CanonicalEvent
from task_creator.mapping.limits import LimitPolicy, enforce_limits
from task_creator.mapping.render import TaskDefaults, render_identity, render_request
from task_creator.mapping.rules import MappingRule, TaskMapping
from task_creator.mapping.schedule import DEFAULT_SCHEDULE_WINDOW, PastScheduledTime, schedule_request
from task_creator.mapping.token import client_token


@dataclass(frozen=True)
class PlanningContext:
    """Everything planning needs besides the event and the mapping."""

    defaults: TaskDefaults
    token_namespace: str


@dataclass(frozen=True)
class PlannedTask:
    """A request ready for Connect (ClientToken included) and where it came from; its ScheduledTime is
    still to be checked against the clock (``past_scheduled_time`` says what to do when it has passed)."""

    rule: str
    event_id: str
    identity: str
    client_token: str
    request: dict[str, Any]
    past_scheduled_time: PastScheduledTime = "start-now"


@dataclass(frozen=True)
class RuleFailure:
    """A rule whose task failed for this event: it could not render, or Connect refused it."""

    rule: str
    error: TaskCreatorError


@dataclass(frozen=True)
class EventPlan:
    event_id: str
    tasks: tuple[PlannedTask, ...]
    failures: tuple[RuleFailure, ...]
    matched_rules: tuple[str, ...]

    @property
    def unmatched(self) -> bool:
        return not self.matched_rules


def plan_event(event: CanonicalEvent, mapping: TaskMapping, context: PlanningContext) -> EventPlan:
    """Match every rule and plan its task; a rule that fails does not stop the others."""
    envelope = event.as_dict()
    rules = mapping.matching_rules(envelope)
    tasks: list[PlannedTask] = []
    failures: list[RuleFailure] = []
    for rule in rules:
        try:
            tasks.append(plan_task(rule, event, envelope, context))
        except PermanentFailure as error:
            error.rule = rule.name
            failures.append(RuleFailure(rule=rule.name, error=error))
    return EventPlan(
        event_id=event.id,
        tasks=tuple(tasks),
        failures=tuple(failures),
        matched_rules=tuple(rule.name for rule in rules),
    )


def plan_task(
    rule: MappingRule, event: CanonicalEvent, envelope: dict[str, Any], context: PlanningContext
) -> PlannedTask:
    identity = render_identity(rule, envelope, event.id)
    token = client_token(context.token_namespace, rule.name, identity)
    request = render_request(rule, envelope, context.defaults)
    request = enforce_limits(request, policy=LimitPolicy(oversize=rule.oversize))
    return PlannedTask(
        rule=rule.name,
        event_id=event.id,
        identity=identity,
        client_token=token,
        request={**request, "ClientToken": token},
        past_scheduled_time=rule.past_scheduled_time,
    )


def preview_at(plan: EventPlan, *, now: datetime, window: timedelta = DEFAULT_SCHEDULE_WINDOW) -> EventPlan:
    """``plan`` as the function would send it at ``now`` if none of its tasks existed yet: each task's
    ScheduledTime checked against the clock, a task that may not be sent moved to the failures."""
    tasks: list[PlannedTask] = []
    failures = list(plan.failures)
    for task in plan.tasks:
        try:
            scheduled = schedule_request(task.request, now=now, window=window, past=task.past_scheduled_time)
        except PermanentFailure as error:
            error.rule = task.rule
            failures.append(RuleFailure(rule=task.rule, error=error))
            continue
        tasks.append(replace(task, request=scheduled.request))
    return replace(plan, tasks=tuple(tasks), failures=tuple(failures))


def unmatched_error(event: CanonicalEvent) -> UnmatchedEvent:
    """Why an event no rule matches is dead-lettered (``"unmatched": "dead-letter"``)."""
    return UnmatchedEvent(
        f"no mapping rule matches source {event.source!r} detail-type {event.detail_type!r}"
    )
