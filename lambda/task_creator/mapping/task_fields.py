"""What a rule's ``task`` block may set, per action, and what kind of value each parameter takes.

A ``create`` rule's block is a StartTaskContact request. The other actions act on the task registered
under the rule's ``taskKey``, so their blocks hold only the fields of their own Connect operations; the
ids (InstanceId, and the ContactId the task key resolves to) are the function's to fill in.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

TaskAction = Literal["create", "update", "reschedule", "complete"]
TASK_ACTIONS: tuple[TaskAction, ...] = ("create", "update", "reschedule", "complete")


class FieldKind(Enum):
    TEXT = "text"
    TIMESTAMP = "timestamp"
    ATTRIBUTES = "attributes"
    REFERENCES = "references"
    SEGMENT_ATTRIBUTES = "segment-attributes"
    ATTACHMENTS = "attachments"
    DISCONNECT_REASON = "disconnect-reason"


# Every parameter of the current API but ClientToken, which is always derived (see token.py).
TASK_FIELDS: dict[str, FieldKind] = {
    "InstanceId": FieldKind.TEXT,
    "ContactFlowId": FieldKind.TEXT,
    "TaskTemplateId": FieldKind.TEXT,
    "QuickConnectId": FieldKind.TEXT,
    "PreviousContactId": FieldKind.TEXT,
    "RelatedContactId": FieldKind.TEXT,
    "Name": FieldKind.TEXT,
    "Description": FieldKind.TEXT,
    "Attributes": FieldKind.ATTRIBUTES,
    "References": FieldKind.REFERENCES,
    "ScheduledTime": FieldKind.TIMESTAMP,
    "SegmentAttributes": FieldKind.SEGMENT_ATTRIBUTES,
    "Attachments": FieldKind.ATTACHMENTS,
}

# An update is two calls: UpdateContact for these fields, UpdateContactAttributes for Attributes.
UPDATE_CONTACT_FIELDS: dict[str, FieldKind] = {
    "Name": FieldKind.TEXT,
    "Description": FieldKind.TEXT,
    "References": FieldKind.REFERENCES,
    "SegmentAttributes": FieldKind.SEGMENT_ATTRIBUTES,
}
UPDATE_CONTACT_ATTRIBUTES_FIELDS: dict[str, FieldKind] = {"Attributes": FieldKind.ATTRIBUTES}

ACTION_FIELDS: dict[TaskAction, dict[str, FieldKind]] = {
    "create": TASK_FIELDS,
    "update": {**UPDATE_CONTACT_FIELDS, **UPDATE_CONTACT_ATTRIBUTES_FIELDS},
    "reschedule": {"ScheduledTime": FieldKind.TIMESTAMP},
    "complete": {"DisconnectReason": FieldKind.DISCONNECT_REASON},
}
ACTION_OPERATIONS: dict[TaskAction, tuple[str, ...]] = {
    "create": ("StartTaskContact",),
    "update": ("UpdateContact", "UpdateContactAttributes"),
    "reschedule": ("UpdateContactSchedule",),
    "complete": ("StopContact",),
}
# The ids of the lifecycle operations: the function's instance and the task registered under taskKey.
FILLED_BY_THE_FUNCTION = frozenset({"InstanceId", "ContactId", "InitialContactId"})
DISCONNECT_REASON_MEMBERS = frozenset({"Code"})

SEGMENT_VALUE_KINDS = ("ValueString", "ValueInteger", "ValueArn", "ValueMap", "ValueList")


def a_rule(action: TaskAction) -> str:
    """'an "update" rule', 'a "create" rule': how messages name a rule by its action."""
    return f'{"an" if action == "update" else "a"} "{action}" rule'
