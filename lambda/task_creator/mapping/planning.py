"""One canonical event -> the planned task actions (one per matching rule) and the rules that cannot render.

Pure: matching, rendering, the ClientToken, the task key and Connect's limits, with no I/O. The order of
work per rule is identity, ClientToken, task key, request, static limits; what depends on the clock (a
create's or a reschedule's ``ScheduledTime``) is left to ``schedule.schedule_request``, right before the
call. The handler, the CLI's ``render`` command and the tests all go through here, so what users preview
is what the function sends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from task_creator.errors import PermanentFailure, TaskCreatorError, UnmatchedEvent
from task_creator.mapping.envelope import CanonicalEvent
from task_creator.mapping.keys import render_identity, render_task_key
from task_creator.mapping.lifecycle_limits import enforce_lifecycle_limits
from task_creator.mapping.limits import LimitPolicy, enforce_limits
from task_creator.mapping.render import TaskDefaults, render_request
from task_creator.mapping.rules import MappingRule, TaskAction, TaskMapping
from task_creator.mapping.schedule import DEFAULT_SCHEDULE_WINDOW, PastScheduledTime, schedule_request
from task_creator.mapping.token import client_token


@dataclass(frozen=True)
class PlanningContext:
    """Everything planning needs besides the event and the mapping."""

    defaults: TaskDefaults
    token_namespace: str


@dataclass(frozen=True)
class PlannedTask:
    """One rule's action for one event, and where it came from.

    ``request``: for a create, the StartTaskContact request ready for Connect (ClientToken included);
    for an update, reschedule or complete, the rendered fields of the rule's block only (no ids, no
    ClientToken): Name, Description, References, SegmentAttributes and Attributes (UpdateContact and
    UpdateContactAttributes), ScheduledTime (UpdateContactSchedule), DisconnectReason ``{"Code": ...}``
    or nothing (StopContact). A ScheduledTime is still to be checked against the clock
    (``past_scheduled_time`` says what to do when it has passed: always "dead-letter" for a reschedule).
    ``client_token`` is derived for every action (namespace, rule, identity): the idempotency key.
    ``task_key``: the rendered ``taskKey`` (None for a create rule without one)."""

    rule: str
    event_id: str
    identity: str
    client_token: str
    request: dict[str, Any]
    past_scheduled_time: PastScheduledTime = "start-now"
    action: TaskAction = "create"
    task_key: str | None = None


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
    identity = render_identity(rule, envelope, event.identity)
    token = client_token(context.token_namespace, rule.name, identity)
    task_key = render_task_key(rule, envelope)
    request = render_request(rule, envelope, context.defaults)
    policy = LimitPolicy(oversize=rule.oversize)
    if rule.action == "create":
        request = {**enforce_limits(request, policy=policy), "ClientToken": token}
    else:
        request = enforce_lifecycle_limits(rule.action, request, policy=policy)
    return PlannedTask(
        rule=rule.name,
        event_id=event.id,
        identity=identity,
        client_token=token,
        request=request,
        past_scheduled_time=rule.past_scheduled_time,
        action=rule.action,
        task_key=task_key,
    )


def preview_at(plan: EventPlan, *, now: datetime, window: timedelta = DEFAULT_SCHEDULE_WINDOW) -> EventPlan:
    """``plan`` as the function would send it at ``now`` if none of its tasks existed yet (and every
    task key had its task): each ScheduledTime, a create's or a reschedule's, checked against the clock
    as the function checks it, a task that may not be sent moved to the failures. A reschedule whose
    time has passed, or is more than ``window`` ahead, is a LimitViolation."""
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
