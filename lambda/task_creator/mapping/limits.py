"""Amazon Connect's StartTaskContact constraints, in one place, checked before every call.

Two sources. botocore's Connect service model (``StartTaskContactRequest`` and every shape it reaches):
every length, range, pattern, enum and required member it states, kept here as constants because the
pure core never loads botocore (tests/unit/test_connect_model_constraints.py holds them to the model,
so a botocore upgrade that adds or changes one fails the tests). And Connect's administrator guide,
whose rules are stricter and are kept too: the 32 KB attributes and 4 KB references budgets, the
reference types accepted at creation, exactly one flow selector.

The lifecycle requests (UpdateContact, UpdateContactAttributes, UpdateContactSchedule, StopContact)
share these shapes member for member: lifecycle_limits.py checks them with the same functions.

Lengths are in characters (Unicode code points, as botocore counts them), budgets in UTF-8 bytes. Every
text value must be valid Unicode: an unpaired surrogate (U+D800 to U+DFFF) cannot be encoded to UTF-8,
so such a request could not even be sent; it is refused, naming the field, never quoting the value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from task_creator.errors import LimitViolation, clip
from task_creator.mapping.task_fields import SEGMENT_VALUE_KINDS, TASK_FIELDS


@dataclass(frozen=True)
class Bounds:
    """Inclusive bounds: on a length in characters, a number of items, or an integer's value."""

    min: int
    max: int

    def admits(self, number: int) -> bool:
        return self.min <= number <= self.max


# --- botocore's model: connect 2017-08-08, StartTaskContactRequest ----------------------------------
INSTANCE_ID = Bounds(1, 100)
CONTACT_FLOW_ID = Bounds(0, 500)
TASK_TEMPLATE_ID = Bounds(1, 500)
CONTACT_ID = Bounds(1, 256)  # PreviousContactId and RelatedContactId
CLIENT_TOKEN = Bounds(0, 500)
NAME = Bounds(0, 1024)
DESCRIPTION = Bounds(0, 4096)
ATTRIBUTE_KEY = Bounds(1, 32_767)
ATTRIBUTE_VALUE = Bounds(0, 32_767)
REFERENCE_KEY = Bounds(1, 4096)
REFERENCE_VALUE = Bounds(0, 4096)
SEGMENT_ATTRIBUTE_NAME = Bounds(1, 128)  # the keys of SegmentAttributes and of every ValueMap
SEGMENT_VALUE_STRING = Bounds(0, 1024)  # ValueString and ValueArn (one shape)
SEGMENT_VALUE_INTEGER = Bounds(-(2**31), 2**31 - 1)  # the model's "integer" type is 32-bit signed
ATTACHMENTS = Bounds(1, 5)
ATTACHMENT_FILE_NAME = Bounds(1, 256)
ATTACHMENT_FILE_NAME_PATTERN = r"^\P{C}*$"  # no character of Unicode category C: checked by category
ATTACHMENT_S3_URL = Bounds(1, 2000)
REQUIRED_FIELDS = ("InstanceId", "Name")
ATTACHMENT_MEMBERS = frozenset({"FileName", "S3Url"})  # both required
TEXT_FIELDS: Mapping[str, Bounds | None] = {
    "InstanceId": INSTANCE_ID,
    "ContactFlowId": CONTACT_FLOW_ID,
    "TaskTemplateId": TASK_TEMPLATE_ID,
    "QuickConnectId": None,  # the model states no length
    "PreviousContactId": CONTACT_ID,
    "RelatedContactId": CONTACT_ID,
    "ClientToken": CLIENT_TOKEN,
}

# --- Connect's documented rules, stricter than the model -------------------------------------------
ATTRIBUTES_MAX_BYTES = 32_768
ATTRIBUTE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+")  # used with fullmatch
REFERENCES_MAX_BYTES = 4_096
# The model's ReferenceType enum also lists ATTACHMENT, CONTACT_ANALYSIS and the EMAIL_MESSAGE types,
# which Connect sets itself; Status, Arn and StatusReason are Connect's to set too.
REFERENCE_TYPES_AT_CREATION = frozenset({"URL", "NUMBER", "STRING", "DATE", "EMAIL"})
REFERENCE_MEMBERS_AT_CREATION = frozenset({"Type", "Value"})  # both required
FLOW_SELECTORS = ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
TRUNCATION_MARKER = " [truncated]"

# The names the rest of the code and the docs already use.
NAME_MAX_CHARS = NAME.max
DESCRIPTION_MAX_CHARS = DESCRIPTION.max
REFERENCE_NAME_MAX_CHARS = REFERENCE_KEY.max
SEGMENT_ATTRIBUTE_NAME_MAX_CHARS = SEGMENT_ATTRIBUTE_NAME.max
ATTACHMENTS_MIN, ATTACHMENTS_MAX = ATTACHMENTS.min, ATTACHMENTS.max
ID_MAX_CHARS = {field: bounds.max for field, bounds in TEXT_FIELDS.items() if bounds is not None}

NOT_UNICODE = "is not valid Unicode: it contains an unpaired surrogate (U+D800 to U+DFFF)"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LABEL_MAX_CHARS = 64

Oversize = Literal["truncate", "fail"]


@dataclass(frozen=True)
class LimitPolicy:
    """How to treat a Name or Description that is too long."""

    oversize: Oversize = "truncate"


def enforce_limits(request: Mapping[str, Any], *, policy: LimitPolicy) -> dict[str, Any]:
    """The request, with over-long Name/Description truncated (or LimitViolation), checked in full.

    Everything but the clock: ``ScheduledTime`` against now is ``schedule.schedule_request``'s, applied
    after the ledger."""
    checked = dict(request)
    _check_members(checked)
    for field, bounds in (("Name", NAME), ("Description", DESCRIPTION)):
        if field in checked:
            checked[field] = fit_text(field, checked[field], bounds, policy.oversize)
    for field, maybe_bounds in TEXT_FIELDS.items():
        if field in checked:
            check_text(field, checked[field], maybe_bounds)
    _check_flow_selectors(checked)
    check_scheduled_time(checked.get("ScheduledTime"))
    check_attributes(checked.get("Attributes"))
    check_references(checked.get("References"))
    check_segment_attributes(checked.get("SegmentAttributes"))
    _check_attachments(checked.get("Attachments"))
    return checked


def check_text(field: str, value: Any, bounds: Bounds | None = None) -> str:
    """``value`` if it is valid Unicode text within ``bounds``; else LimitViolation naming ``field``."""
    if not isinstance(value, str):
        raise LimitViolation(field, "must be text")
    if not is_valid_unicode(value):
        raise LimitViolation(field, NOT_UNICODE)
    if bounds is not None and not bounds.admits(len(value)):
        raise LimitViolation(field, _out_of_bounds(len(value), bounds, "characters"))
    return value


def is_valid_unicode(text: str) -> bool:
    """False when ``text`` holds an unpaired surrogate, which no UTF-8 encoder accepts."""
    return text.isascii() or _SURROGATE.search(text) is None


def has_no_control_characters(text: str) -> bool:
    """``^\\P{C}*$``: no control, format, surrogate, private-use or unassigned character."""
    return not any(unicodedata.category(character).startswith("C") for character in text)


def _out_of_bounds(number: int, bounds: Bounds, unit: str) -> str:
    if number > bounds.max:
        return f"{number} {unit}, the limit is {bounds.max}"
    return f"{number} {unit}, at least {bounds.min} required"


def field_label(key: Any) -> str:
    """A key of the request as it may appear in a field name: printable, escaped otherwise, clipped."""
    text = key if isinstance(key, str) and key.isprintable() else ascii(key)
    return clip(text, _LABEL_MAX_CHARS)


def _check_members(request: Mapping[str, Any]) -> None:
    for field in request:
        if field not in TASK_FIELDS and field != "ClientToken":
            raise LimitViolation(field_label(field), "is not a StartTaskContact parameter")
    for field in REQUIRED_FIELDS:
        if field not in request:
            raise LimitViolation(field, "is required")


def fit_text(field: str, value: Any, bounds: Bounds, oversize: Oversize) -> str:
    text = check_text(field, value)
    if len(text) <= bounds.max:
        return check_text(field, text, bounds)
    if oversize == "fail":
        raise LimitViolation(field, _out_of_bounds(len(text), bounds, "characters"))
    return text[: bounds.max - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


def _check_flow_selectors(request: Mapping[str, Any]) -> None:
    present = [field for field in FLOW_SELECTORS if request.get(field)]
    if len(present) > 1:
        raise LimitViolation(
            "ContactFlowId", f"Connect accepts exactly one of {', '.join(FLOW_SELECTORS)}; got {present}"
        )
    if not present:
        raise LimitViolation("ContactFlowId", f"one of {', '.join(FLOW_SELECTORS)} is required")


def check_scheduled_time(value: Any) -> None:
    if value is not None and not (isinstance(value, datetime) and value.utcoffset() is not None):
        raise LimitViolation("ScheduledTime", "must be a timezone-aware timestamp")


def check_attributes(attributes: Any) -> None:
    if attributes is None:
        return
    if not isinstance(attributes, Mapping):
        raise LimitViolation("Attributes", "must be an object of text values")
    total = 0
    for key, value in attributes.items():
        at = f"Attributes.{field_label(key)}"
        check_text(at, key)
        if not ATTRIBUTE_KEY_PATTERN.fullmatch(key):
            raise LimitViolation(at, "keys may contain only letters, digits, '_' and '-'")
        check_text(at, key, ATTRIBUTE_KEY)
        if not isinstance(value, str):
            raise LimitViolation(at, "values must be strings")
        check_text(at, value, ATTRIBUTE_VALUE)
        total += len(key.encode("utf-8")) + len(value.encode("utf-8"))
    if total > ATTRIBUTES_MAX_BYTES:
        raise LimitViolation("Attributes", f"{total} UTF-8 bytes in all, the limit is {ATTRIBUTES_MAX_BYTES}")


def check_references(references: Any, *, when: str = "at task creation") -> None:
    """References as Connect takes them ``when`` (at task creation, or by an update: the same rules)."""
    if references is None:
        return
    if not isinstance(references, Mapping):
        raise LimitViolation("References", 'must be an object of {"Type": ..., "Value": ...} references')
    total = 0
    for name, reference in references.items():
        at = f"References.{field_label(name)}"
        check_text(at, name, REFERENCE_KEY)
        if not isinstance(reference, Mapping):
            raise LimitViolation(at, 'must be a {"Type": ..., "Value": ...} reference')
        others = sorted(reference.keys() - REFERENCE_MEMBERS_AT_CREATION, key=str)
        if others:
            raise LimitViolation(f"{at}.{field_label(others[0])}", f"cannot be set {when} (Type, Value)")
        kind = reference.get("Type")
        if not isinstance(kind, str) or kind not in REFERENCE_TYPES_AT_CREATION:
            allowed = ", ".join(sorted(REFERENCE_TYPES_AT_CREATION))
            shown = clip(repr(kind), _LABEL_MAX_CHARS)
            raise LimitViolation(f"{at}.Type", f"{shown} is not allowed {when} ({allowed})")
        value = check_text(f"{at}.Value", reference.get("Value"), REFERENCE_VALUE)
        if kind == "DATE" and not (value.isascii() and value.isdigit()):
            raise LimitViolation(f"{at}.Value", "a DATE reference must be epoch seconds")
        total += len(name.encode("utf-8")) + len(value.encode("utf-8"))
    if total > REFERENCES_MAX_BYTES:
        raise LimitViolation("References", f"{total} UTF-8 bytes in all, the limit is {REFERENCES_MAX_BYTES}")


def check_segment_attributes(attributes: Any) -> None:
    if attributes is None:
        return
    _check_segment_map("SegmentAttributes", attributes)


def _check_segment_map(where: str, entries: Any) -> None:
    if not isinstance(entries, Mapping):
        raise LimitViolation(where, "must be an object of segment attribute values")
    for key, value in entries.items():
        at = f"{where}.{field_label(key)}"
        check_text(at, key, SEGMENT_ATTRIBUTE_NAME)
        _check_segment_value(at, value)


def _check_segment_value(where: str, value: Any) -> None:
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in SEGMENT_VALUE_KINDS:
        raise LimitViolation(where, f"must have exactly one of {', '.join(SEGMENT_VALUE_KINDS)}")
    kind, item = next(iter(value.items()))
    at = f"{where}.{kind}"
    if kind == "ValueMap":
        _check_segment_map(at, item)
    elif kind == "ValueList":
        if not isinstance(item, list):
            raise LimitViolation(at, "must be a list of segment attribute values")
        for index, element in enumerate(item):
            _check_segment_value(f"{at}[{index}]", element)
    elif kind == "ValueInteger":
        if not isinstance(item, int) or isinstance(item, bool):
            raise LimitViolation(at, "must be an integer")
        if not SEGMENT_VALUE_INTEGER.admits(item):
            bounds = SEGMENT_VALUE_INTEGER
            raise LimitViolation(at, f"must be a 32-bit signed integer ({bounds.min} to {bounds.max})")
    else:
        check_text(at, item, SEGMENT_VALUE_STRING)


def _check_attachments(attachments: Any) -> None:
    if attachments is None:
        return
    if not isinstance(attachments, list):
        raise LimitViolation("Attachments", "must be a list of attachments")
    if not ATTACHMENTS.admits(len(attachments)):
        raise LimitViolation(
            "Attachments", f"{len(attachments)} given, Connect accepts {ATTACHMENTS.min} to {ATTACHMENTS.max}"
        )
    for index, attachment in enumerate(attachments):
        at = f"Attachments[{index}]"
        if not isinstance(attachment, Mapping) or attachment.keys() != ATTACHMENT_MEMBERS:
            raise LimitViolation(at, "must have exactly FileName and S3Url")
        file_name = check_text(f"{at}.FileName", attachment["FileName"], ATTACHMENT_FILE_NAME)
        if not has_no_control_characters(file_name):
            raise LimitViolation(
                f"{at}.FileName", "must not contain control or format characters (Unicode category C)"
            )
        check_text(f"{at}.S3Url", attachment["S3Url"], ATTACHMENT_S3_URL)
