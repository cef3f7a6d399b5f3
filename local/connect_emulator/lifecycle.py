"""Connect's documented rules for the task lifecycle operations, and the changes they make.

Pure: each function takes a (model-valid) request and a task snapshot and returns the task's next state,
or raises a modelled error. `state.TaskStore` applies them under its lock, so "read, check, write" is
atomic. Sources, from botocore's Connect model and the Connect API reference:

- UpdateContact: "Adds or updates user-defined contact information ... At least one field to be updated
  must be present"; it works "for both ongoing and completed contacts"; QueueInfo, UserInfo,
  CustomerEndpoint and SystemEndpoint "can only be updated for external audio contacts" (endpoints also
  for email drafts), AdditionalRecipients are an outbound email's; of SegmentAttributes, "Contact Expiry,
  and user-defined attributes (String - String) ... can be updated". References are added or updated by
  name; "up to 4,096 UTF-8 bytes across all references for a contact".
- UpdateContactAttributes: "Creates or updates user-defined contact attributes", for ongoing and
  completed contacts, "up to 32,768 UTF-8 bytes across all attributes for a contact"; and (StartTaskContact)
  "updates to user-defined task contact attributes on any contact linked through the same
  PreviousContactId will affect every contact in the chain".
- UpdateContactSchedule: "Updates the scheduled time of a task contact that is already scheduled ... The
  scheduled time cannot be in the past. It must be within up to 6 days in future."
- StopContact: "Chat and task contacts can be terminated in any state"; ContactNotFoundException "applies
  to Voice calls only, not to Chat or Task contacts". Stopping a task that has already ended is not
  documented: the emulator answers InvalidRequestException.

Messages name members, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from local.connect_emulator.errors import InvalidParameter, InvalidRequest
from local.connect_emulator.records import ContactState, TaskRecord
from local.connect_emulator.semantics import (
    ATTRIBUTE_KEY,
    ATTRIBUTES_MAX_BYTES,
    REFERENCE_TYPES_AT_CREATION,
    REFERENCES_MAX_BYTES,
    RuleContext,
    check_attribute_keys,
    check_known_resources,
    check_reference_values,
    check_scheduled_time,
    utf8_size,
)

Request = Mapping[str, Any]
UPDATABLE_ON_A_TASK = ("Name", "Description", "References", "SegmentAttributes")
NOT_FOR_A_TASK = {
    "QueueInfo": "external audio contacts",
    "UserInfo": "external audio contacts",
    "CustomerEndpoint": "external audio contacts and email drafts",
    "SystemEndpoint": "external audio contacts and email drafts",
    "AdditionalRecipients": "outbound email contacts",
}
CONTACT_EXPIRY = "connect:ContactExpiry"
STOPPED_BY_API = "API"  # the contact record's DisconnectReason for a task ended with StopContact


# requests, before the task is looked up -----------------------------------------------------------------
def check_update_contact_request(request: Request, context: RuleContext) -> None:
    for member, channels in NOT_FOR_A_TASK.items():
        if member in request:
            raise InvalidRequest(
                f"{member} can only be updated for {channels}, not for a task", rule="update_contact_channel"
            )
    if not any(member in request for member in UPDATABLE_ON_A_TASK):
        raise InvalidRequest(
            f"At least one field to be updated must be present ({', '.join(UPDATABLE_ON_A_TASK)})",
            rule="update_contact_fields",
        )
    _check_reference_types(request)
    check_reference_values(request, context)
    _check_segment_attribute_updates(request)
    check_known_resources(request, context)


def check_update_attributes_request(request: Request, context: RuleContext) -> None:
    check_attribute_keys(request, context)
    check_known_resources(request, context)


def check_update_schedule_request(request: Request, context: RuleContext) -> None:
    check_scheduled_time(request, context)
    check_known_resources(request, context)


def check_contact_request(request: Request, context: RuleContext) -> None:
    """StopContact and DescribeContact: the instance must exist."""
    check_known_resources(request, context)


# changes, given the task -------------------------------------------------------------------------------
def updated_contact(
    task: TaskRecord, request: Request, now: datetime
) -> tuple[ContactState, tuple[str, ...]]:
    """The task after UpdateContact, and the fields it wrote."""
    state = task.state
    changes: dict[str, Any] = {}
    written: list[str] = []
    for member, attribute in (("Name", "name"), ("Description", "description")):
        if member in request:
            changes[attribute] = request[member]
            written.append(member)
    if "References" in request:
        references = {**state.references, **request["References"]}
        size = sum(utf8_size(name) + utf8_size(ref.get("Value", "")) for name, ref in references.items())
        if size > REFERENCES_MAX_BYTES:
            raise InvalidParameter(
                f"References: the contact's names and values would total {size} UTF-8 bytes, "
                f"more than {REFERENCES_MAX_BYTES}",
                rule="references_size",
            )
        changes["references"] = references
        written.extend(f"References.{name}" for name in request["References"])
    if "SegmentAttributes" in request:
        changes["segment_attributes"] = {**state.segment_attributes, **request["SegmentAttributes"]}
        written.extend(f"SegmentAttributes.{key}" for key in request["SegmentAttributes"])
    return replace(state, **changes, last_updated_at=now), tuple(written)


def updated_attributes(
    task: TaskRecord, attributes: Mapping[str, str], now: datetime
) -> tuple[ContactState, tuple[str, ...]]:
    """The task after UpdateContactAttributes merged `attributes` into its own."""
    state = task.state
    merged = {**state.attributes, **attributes}
    size = sum(utf8_size(key) + utf8_size(value) for key, value in merged.items())
    if size > ATTRIBUTES_MAX_BYTES:
        raise InvalidParameter(
            f"Attributes: the contact's keys and values would total {size} UTF-8 bytes, "
            f"more than {ATTRIBUTES_MAX_BYTES}",
            rule="attributes_size",
        )
    written = tuple(f"Attributes.{key}" for key in attributes)
    return replace(state, attributes=merged, last_updated_at=now), written


def rescheduled(
    task: TaskRecord, scheduled_time: float, now: datetime
) -> tuple[ContactState, tuple[str, ...]]:
    """The task after UpdateContactSchedule: only a scheduled task that has not started or ended."""
    state = task.state
    if not task.active:
        raise InvalidRequest(
            "The task has ended: only a scheduled task that has not started can be rescheduled",
            rule="schedule_state",
        )
    if state.scheduled_time is None:
        raise InvalidRequest(
            "The task is not scheduled (it was created without ScheduledTime): only a scheduled task "
            "can be rescheduled",
            rule="schedule_state",
        )
    if state.scheduled_time <= now:
        raise InvalidRequest(
            "The task's scheduled time has passed and its flow has started: only a scheduled task that "
            "has not started can be rescheduled",
            rule="schedule_state",
        )
    moved = datetime.fromtimestamp(scheduled_time, UTC)
    return replace(state, scheduled_time=moved, last_updated_at=now), ("ScheduledTime",)


def stopped(task: TaskRecord, request: Request, now: datetime) -> tuple[ContactState, tuple[str, ...]]:
    """The task after StopContact: any state but ended."""
    if not task.active:
        raise InvalidRequest("The contact has already ended", rule="contact_ended")
    code = request.get("DisconnectReason", {}).get("Code") or STOPPED_BY_API
    state = replace(task.state, disconnect_reason=code, ended_by="StopContact", last_updated_at=now)
    return state, ("State", "DisconnectReason")


def _check_reference_types(request: Request) -> None:
    for name, reference in request.get("References", {}).items():
        if reference["Type"] not in REFERENCE_TYPES_AT_CREATION:
            raise InvalidParameter(
                f"References.{name}.Type: a task's references can only be of type "
                f"{', '.join(REFERENCE_TYPES_AT_CREATION)}",
                rule="reference_type",
            )


def _check_segment_attribute_updates(request: Request) -> None:
    for position, (key, value) in enumerate(request.get("SegmentAttributes", {}).items(), start=1):
        if key == CONTACT_EXPIRY:
            if not _is_expiry(value):
                raise InvalidParameter(
                    f"SegmentAttributes.{CONTACT_EXPIRY} must be "
                    '{"ValueMap": {"ExpiryDuration": {"ValueInteger": <minutes, at least 1>}}}',
                    rule="segment_attributes",
                )
        elif key.startswith("connect:"):
            raise InvalidParameter(
                f"SegmentAttributes.{key}: UpdateContact can update {CONTACT_EXPIRY} and user-defined "
                "attributes only",
                rule="segment_attributes",
            )
        elif not ATTRIBUTE_KEY.fullmatch(key):
            raise InvalidParameter(
                f"SegmentAttributes: key #{position} may only contain letters, digits, '_' and '-'",
                rule="segment_attributes",
            )
        elif set(value) != {"ValueString"}:
            raise InvalidParameter(
                f"SegmentAttributes.{key}: a user-defined attribute takes a ValueString only",
                rule="segment_attributes",
            )


def _is_expiry(value: Mapping[str, Any]) -> bool:
    if set(value) != {"ValueMap"} or set(value["ValueMap"]) != {"ExpiryDuration"}:
        return False
    duration = value["ValueMap"]["ExpiryDuration"]
    minutes = duration.get("ValueInteger")
    return set(duration) == {"ValueInteger"} and isinstance(minutes, int) and minutes >= 1
