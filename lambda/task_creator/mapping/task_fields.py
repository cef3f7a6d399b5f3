"""The StartTaskContact parameters a rule's ``task`` block may set, and what kind of value each takes."""

from __future__ import annotations

from enum import Enum


class FieldKind(Enum):
    TEXT = "text"
    TIMESTAMP = "timestamp"
    ATTRIBUTES = "attributes"
    REFERENCES = "references"
    SEGMENT_ATTRIBUTES = "segment-attributes"
    ATTACHMENTS = "attachments"


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

SEGMENT_VALUE_KINDS = ("ValueString", "ValueInteger", "ValueArn", "ValueMap", "ValueList")
