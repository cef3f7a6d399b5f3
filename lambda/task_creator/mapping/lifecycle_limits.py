"""Connect's constraints on the lifecycle requests, checked before every call like StartTaskContact's.

botocore's model gives the members a rule may set the very shapes StartTaskContact's have: UpdateContact's
Name, Description, References and SegmentAttributes, UpdateContactAttributes' Attributes and
UpdateContactSchedule's ScheduledTime (tests/unit/test_lifecycle_model_constraints.py holds them to the
model), so they are checked by limits.py's own functions, with Connect's stricter documented rules too
(the attributes and references budgets, the reference types a rule may set). StopContact's
DisconnectReason is ``{"Code": text}``, a code of no stated length. The ids (InstanceId, ContactId) are
not part of these fields: the function adds them, from its settings and the task registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from task_creator.errors import LimitViolation
from task_creator.mapping.limits import (
    DESCRIPTION,
    NAME,
    LimitPolicy,
    check_attributes,
    check_references,
    check_scheduled_time,
    check_segment_attributes,
    check_text,
    field_label,
    fit_text,
)
from task_creator.mapping.task_fields import (
    ACTION_FIELDS,
    ACTION_OPERATIONS,
    DISCONNECT_REASON_MEMBERS,
    TaskAction,
    a_rule,
)

DISCONNECT_REASON_CODE = None  # the model states no length for DisconnectReason.Code


def enforce_lifecycle_limits(
    action: TaskAction, fields: Mapping[str, Any], *, policy: LimitPolicy
) -> dict[str, Any]:
    """The fields of an update, reschedule or complete, over-long Name/Description truncated (or
    LimitViolation), checked in full. The clock (a reschedule's ScheduledTime against now) is
    ``schedule.schedule_request``'s, as for a create."""
    checked = dict(fields)
    _check_members(action, checked)
    if action == "update":
        _check_update(checked, policy)
    elif action == "reschedule":
        check_scheduled_time(checked["ScheduledTime"])
    elif "DisconnectReason" in checked:
        _check_disconnect_reason(checked["DisconnectReason"])
    return checked


def _check_members(action: TaskAction, fields: Mapping[str, Any]) -> None:
    allowed = ACTION_FIELDS[action]
    for field in fields:
        if field not in allowed:
            operations = ", ".join(ACTION_OPERATIONS[action])
            raise LimitViolation(field_label(field), f"is not a parameter of {a_rule(action)} ({operations})")
    if action == "update" and not fields:
        raise LimitViolation("task", f"{a_rule(action)} needs at least one of {', '.join(allowed)}")
    if action == "reschedule" and "ScheduledTime" not in fields:
        raise LimitViolation("ScheduledTime", "is required")


def _check_update(fields: dict[str, Any], policy: LimitPolicy) -> None:
    for field, bounds in (("Name", NAME), ("Description", DESCRIPTION)):
        if field in fields:
            fields[field] = fit_text(field, fields[field], bounds, policy.oversize)
    check_attributes(fields.get("Attributes"))
    check_references(fields.get("References"), when="by an update")
    check_segment_attributes(fields.get("SegmentAttributes"))


def _check_disconnect_reason(reason: Any) -> None:
    if not isinstance(reason, Mapping) or reason.keys() != DISCONNECT_REASON_MEMBERS:
        raise LimitViolation("DisconnectReason", 'must be {"Code": text}')
    check_text("DisconnectReason.Code", reason["Code"], DISCONNECT_REASON_CODE)
