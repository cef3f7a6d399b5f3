"""Amazon Connect's documented StartTaskContact limits, in one place, checked before every call.

Sources: the StartTaskContact API reference and the botocore service model (lengths), and the Connect
administrator guide (task attributes and references budgets, scheduling window, flow selectors).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from task_creator.errors import LimitViolation

NAME_MAX_CHARS = 1024
DESCRIPTION_MAX_CHARS = 4096
TRUNCATION_MARKER = " [truncated]"
ATTRIBUTES_MAX_BYTES = 32_768
ATTRIBUTE_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+")  # used with fullmatch
REFERENCES_MAX_BYTES = 4_096
REFERENCE_NAME_MAX_CHARS = 4_096
SEGMENT_ATTRIBUTE_NAME_MAX_CHARS = 128
REFERENCE_TYPES_AT_CREATION = frozenset({"URL", "NUMBER", "STRING", "DATE", "EMAIL"})
ATTACHMENTS_MIN, ATTACHMENTS_MAX = 1, 5
FLOW_SELECTORS = ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
ID_MAX_CHARS = {
    "InstanceId": 100,
    "ContactFlowId": 500,
    "TaskTemplateId": 500,
    "PreviousContactId": 256,
    "RelatedContactId": 256,
    "ClientToken": 500,
}

Oversize = Literal["truncate", "fail"]


@dataclass(frozen=True)
class LimitPolicy:
    """How to treat a request that is too big."""

    oversize: Oversize = "truncate"


def enforce_limits(request: Mapping[str, Any], *, policy: LimitPolicy) -> dict[str, Any]:
    """The request, with over-long Name/Description truncated (or LimitViolation), checked in full.

    Everything but the clock: ``ScheduledTime`` against now is ``schedule.schedule_request``'s, applied
    after the ledger."""
    checked = dict(request)
    for field, limit in (("Name", NAME_MAX_CHARS), ("Description", DESCRIPTION_MAX_CHARS)):
        if field in checked:
            checked[field] = _fit_text(field, checked[field], limit, policy.oversize)
    _check_ids(checked)
    _check_flow_selectors(checked)
    _check_attributes(checked.get("Attributes"))
    _check_references(checked.get("References"))
    _check_attachments(checked.get("Attachments"))
    return checked


def _fit_text(field: str, text: str, limit: int, oversize: Oversize) -> str:
    if len(text) <= limit:
        return text
    if oversize == "fail":
        raise LimitViolation(field, f"{len(text)} characters, the limit is {limit}")
    return text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER


def _check_ids(request: Mapping[str, Any]) -> None:
    for field, limit in ID_MAX_CHARS.items():
        value = request.get(field)
        if value is not None and len(value) > limit:
            raise LimitViolation(field, f"{len(value)} characters, the limit is {limit}")


def _check_flow_selectors(request: Mapping[str, Any]) -> None:
    present = [field for field in FLOW_SELECTORS if request.get(field)]
    if len(present) > 1:
        raise LimitViolation(
            "ContactFlowId", f"Connect accepts exactly one of {', '.join(FLOW_SELECTORS)}; got {present}"
        )
    if not present:
        raise LimitViolation("ContactFlowId", f"one of {', '.join(FLOW_SELECTORS)} is required")


def _check_attributes(attributes: Mapping[str, Any] | None) -> None:
    if not attributes:
        return
    total = 0
    for key, value in attributes.items():
        if not ATTRIBUTE_KEY_PATTERN.fullmatch(key):
            raise LimitViolation(f"Attributes.{key}", "keys may contain only letters, digits, '_' and '-'")
        if not isinstance(value, str):
            raise LimitViolation(f"Attributes.{key}", "values must be strings")
        total += len(key.encode("utf-8")) + len(value.encode("utf-8"))
    if total > ATTRIBUTES_MAX_BYTES:
        raise LimitViolation("Attributes", f"{total} UTF-8 bytes in all, the limit is {ATTRIBUTES_MAX_BYTES}")


def _check_references(references: Mapping[str, Any] | None) -> None:
    if not references:
        return
    total = 0
    for name, reference in references.items():
        kind = reference.get("Type")
        value = reference.get("Value", "")
        if kind not in REFERENCE_TYPES_AT_CREATION:
            allowed = ", ".join(sorted(REFERENCE_TYPES_AT_CREATION))
            raise LimitViolation(
                f"References.{name}.Type", f"{kind!r} is not allowed at creation ({allowed})"
            )
        if kind == "DATE" and not str(value).isdigit():
            raise LimitViolation(f"References.{name}.Value", "a DATE reference must be epoch seconds")
        total += len(name.encode("utf-8")) + len(str(value).encode("utf-8"))
    if total > REFERENCES_MAX_BYTES:
        raise LimitViolation("References", f"{total} UTF-8 bytes in all, the limit is {REFERENCES_MAX_BYTES}")


def _check_attachments(attachments: list[Any] | None) -> None:
    if attachments is None:
        return
    if not ATTACHMENTS_MIN <= len(attachments) <= ATTACHMENTS_MAX:
        raise LimitViolation(
            "Attachments", f"{len(attachments)} given, Connect accepts {ATTACHMENTS_MIN} to {ATTACHMENTS_MAX}"
        )
