"""Connect's documented StartTaskContact rules beyond the model, one named check each.

Each check takes the (model-valid) request and a `RuleContext` and raises a modelled error or returns.
The stateful rules (idempotency, linked-task chain, active-task quota) live in `state.py`, because they
must be decided atomically with the creation of the task. Messages name members, never their values:
Name, Description, Attributes and References carry customer data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from local.connect_emulator.config import EmulatorConfig
from local.connect_emulator.errors import InvalidParameter, InvalidRequest, ResourceNotFound

FLOW_SELECTORS = ("ContactFlowId", "QuickConnectId", "TaskTemplateId")
ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_-]+")
ATTRIBUTES_MAX_BYTES = 32_768
REFERENCE_TYPES_AT_CREATION = ("URL", "NUMBER", "STRING", "DATE", "EMAIL")
REFERENCES_MAX_BYTES = 4_096
_EPOCH_DIGITS = re.compile(r"[0-9]{1,13}")
_DECIMAL_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

Request = Mapping[str, Any]


@dataclass(frozen=True)
class RuleContext:
    config: EmulatorConfig
    now: float  # epoch seconds


def check_single_flow_selector(request: Request, context: RuleContext) -> None:
    """Exactly one of ContactFlowId, QuickConnectId, TaskTemplateId (empty strings do not count)."""
    chosen = [name for name in FLOW_SELECTORS if request.get(name)]
    if len(chosen) != 1:
        given = ", ".join(chosen) if chosen else "none"
        raise InvalidRequest(
            f"Exactly one of {', '.join(FLOW_SELECTORS)} must be provided (given: {given})",
            rule="flow_selector",
        )


def check_attribute_keys(request: Request, context: RuleContext) -> None:
    for position, key in enumerate(request.get("Attributes", {}), start=1):
        if not ATTRIBUTE_KEY.fullmatch(key):
            raise InvalidParameter(
                f"Attributes: key #{position} may only contain letters, digits, '_' and '-'",
                rule="attribute_keys",
            )


def check_attributes_size(request: Request, context: RuleContext) -> None:
    attributes: Mapping[str, str] = request.get("Attributes", {})
    size = sum(utf8_size(key) + utf8_size(value) for key, value in attributes.items())
    if size > ATTRIBUTES_MAX_BYTES:
        raise InvalidParameter(
            f"Attributes: keys and values total {size} UTF-8 bytes, more than {ATTRIBUTES_MAX_BYTES}",
            rule="attributes_size",
        )


def check_reference_types(request: Request, context: RuleContext) -> None:
    for name, reference in request.get("References", {}).items():
        if reference["Type"] not in REFERENCE_TYPES_AT_CREATION:
            raise InvalidParameter(
                f"References.{name}.Type: a task can only be created with references of type "
                f"{', '.join(REFERENCE_TYPES_AT_CREATION)}",
                rule="reference_type",
            )


def check_reference_values(request: Request, context: RuleContext) -> None:
    for name, reference in request.get("References", {}).items():
        value = reference.get("Value", "")
        kind = reference["Type"]
        if not value:
            raise InvalidParameter(f"References.{name}.Value must not be empty", rule="reference_value")
        if not _REFERENCE_VALUE_CHECKS[kind](value):
            raise InvalidParameter(
                f"References.{name}.Value is not a valid {kind} ({_REFERENCE_VALUE_FORMS[kind]})",
                rule="reference_value",
            )


def check_references_size(request: Request, context: RuleContext) -> None:
    references: Mapping[str, Mapping[str, str]] = request.get("References", {})
    size = sum(utf8_size(name) + utf8_size(ref.get("Value", "")) for name, ref in references.items())
    if size > REFERENCES_MAX_BYTES:
        raise InvalidParameter(
            f"References: names and values total {size} UTF-8 bytes, more than {REFERENCES_MAX_BYTES}",
            rule="references_size",
        )


def check_scheduled_time(request: Request, context: RuleContext) -> None:
    scheduled = request.get("ScheduledTime")
    if scheduled is None:
        return
    skew = context.config.clock_skew_tolerance.total_seconds()
    ahead = context.config.scheduled_time_max_ahead
    if scheduled < context.now - skew:
        raise InvalidParameter("ScheduledTime must not be in the past", rule="scheduled_time")
    if scheduled > context.now + ahead.total_seconds() + skew:
        raise InvalidParameter(
            f"ScheduledTime must be at most {_describe(ahead.total_seconds())} in the future",
            rule="scheduled_time",
        )


def check_known_resources(request: Request, context: RuleContext) -> None:
    config = context.config
    known = (
        ("InstanceId", config.instance_ids, "instance"),
        ("ContactFlowId", config.contact_flow_ids, "contact_flow"),
        ("TaskTemplateId", config.task_template_ids, "task_template"),
        ("QuickConnectId", config.quick_connect_ids, "quick_connect"),
    )
    for member, existing, rule in known:
        resource_id = request.get(member)
        if existing is not None and resource_id and resource_id not in existing:
            raise ResourceNotFound(f"{member} {resource_id} does not exist", rule=rule)


RequestRule = Callable[[Request, RuleContext], None]

REQUEST_RULES: tuple[RequestRule, ...] = (
    check_single_flow_selector,
    check_attribute_keys,
    check_attributes_size,
    check_reference_types,
    check_reference_values,
    check_references_size,
    check_scheduled_time,
    check_known_resources,
)


def check_request_rules(request: Request, context: RuleContext) -> None:
    """Run every stateless rule in order; the first violation is raised."""
    for rule in REQUEST_RULES:
        rule(request, context)


def _is_number(value: str) -> bool:
    return bool(_DECIMAL_NUMBER.fullmatch(value)) and math.isfinite(float(value))


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c.isspace() for c in value)


_REFERENCE_VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "URL": _is_http_url,
    "NUMBER": _is_number,
    "STRING": lambda value: True,
    "DATE": lambda value: bool(_EPOCH_DIGITS.fullmatch(value)),
    "EMAIL": lambda value: bool(_EMAIL_ADDRESS.fullmatch(value)),
}
_REFERENCE_VALUE_FORMS = {
    "URL": "an http or https URL",
    "NUMBER": "a decimal number",
    "STRING": "any text",
    "DATE": "epoch seconds or milliseconds, digits only",
    "EMAIL": "an email address",
}


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogatepass"))


def _describe(seconds: float) -> str:
    days, remainder = divmod(seconds, 86_400)
    if remainder == 0:
        return f"{int(days)} day{'s' if days != 1 else ''}"
    return f"{seconds:g} seconds"
