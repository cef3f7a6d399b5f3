"""A matched rule + the canonical event -> the request of the rule's action (create: StartTaskContact,
without ClientToken; update, reschedule, complete: the block's fields only, without the ids).

Rendered values take the type of the parameter they fill: text for ids, Name, Description, attribute
and reference values; a timezone-aware datetime for ScheduledTime (ISO-8601 or epoch seconds in the
event); typed segment attribute values. An optional field that renders to null or empty is left out;
what a request cannot do without is a MappingError: a create's Name, a reschedule's ScheduledTime, an
update left with no field. InstanceId and ContactFlowId default from the settings (create only); the
default flow is added only when the rule names no TaskTemplateId or QuickConnectId.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from task_creator.errors import MappingError
from task_creator.mapping.limits import FLOW_SELECTORS
from task_creator.mapping.rules import MappingRule
from task_creator.mapping.task_fields import ACTION_FIELDS, FieldKind
from task_creator.mapping.templates import Template, TemplateError, as_text

REQUIRED_TEXT = frozenset({"Name", "InstanceId"})
_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*")  # used with fullmatch; parsed exactly, not as a float


@dataclass(frozen=True)
class TaskDefaults:
    """What the function settings supply when a rule leaves it out."""

    instance_id: str
    contact_flow_id: str | None = None


def render_request(rule: MappingRule, event: Mapping[str, Any], defaults: TaskDefaults) -> dict[str, Any]:
    """The request for ``rule`` and ``event``; raise MappingError naming the rule and field.

    A create rule's is the StartTaskContact request but its ClientToken; another action's is the fields
    its block renders (``render_lifecycle_fields``): the function adds the ids."""
    if rule.action != "create":
        return render_lifecycle_fields(rule, event)
    request = _render_fields(rule, event)
    request.setdefault("InstanceId", defaults.instance_id)
    named = [selector for selector in FLOW_SELECTORS if selector in rule.compiled_task]
    for selector in named:
        if not request.get(selector):
            # Falling back to the default flow would route the task somewhere the rule did not ask for.
            raise MappingError(f"{selector} rendered empty for this event", rule=rule.name)
    if not named:
        if not defaults.contact_flow_id:
            raise MappingError(
                "no flow selector: the rule names no ContactFlowId, TaskTemplateId or QuickConnectId"
                " and CONNECT_CONTACT_FLOW_ID is not set",
                rule=rule.name,
            )
        request["ContactFlowId"] = defaults.contact_flow_id
    for field in sorted(REQUIRED_TEXT):
        if not request.get(field):
            raise MappingError(f"{field} rendered empty for this event", rule=rule.name)
    return request


def render_lifecycle_fields(rule: MappingRule, event: Mapping[str, Any]) -> dict[str, Any]:
    """An update's, reschedule's or complete's fields for ``event``: each left out when it renders null
    or empty, as for a create. An update left with none, or a reschedule without its ScheduledTime, is a
    MappingError: Connect's call needs them. A complete may render none (StopContact needs only ids)."""
    fields = _render_fields(rule, event)
    if rule.action == "update" and not fields:
        raise MappingError(
            "nothing to update: every field of the task rendered null or empty for this event",
            rule=rule.name,
        )
    if rule.action == "reschedule" and "ScheduledTime" not in fields:
        raise MappingError(
            "ScheduledTime rendered empty for this event: a reschedule needs a time", rule=rule.name
        )
    return fields


def _render_fields(rule: MappingRule, event: Mapping[str, Any]) -> dict[str, Any]:
    renderer = _Renderer(rule.name, event)
    kinds = ACTION_FIELDS[rule.action]
    rendered: dict[str, Any] = {}
    for field, compiled in rule.compiled_task.items():
        value = renderer.field(field, kinds[field], compiled)
        if value is not None:
            rendered[field] = value
    return rendered


class _Renderer:
    def __init__(self, rule: str, event: Mapping[str, Any]) -> None:
        self.rule = rule
        self.event = event

    def field(self, field: str, kind: FieldKind, compiled: Any) -> Any:
        renderers: dict[FieldKind, Callable[[Any, str], Any]] = {
            FieldKind.TEXT: self.text,
            FieldKind.TIMESTAMP: self.timestamp,
            FieldKind.ATTRIBUTES: self.attributes,
            FieldKind.REFERENCES: self.references,
            FieldKind.SEGMENT_ATTRIBUTES: self.segment_attributes,
            FieldKind.ATTACHMENTS: self.attachments,
            FieldKind.DISCONNECT_REASON: self.disconnect_reason,
        }
        return renderers[kind](compiled, field)

    def value(self, compiled: Any, where: str) -> Any:
        return _render(compiled, self.event, self.rule, where) if isinstance(compiled, Template) else compiled

    def text(self, compiled: Any, where: str) -> str | None:
        value = self.value(compiled, where)
        try:
            return as_text(value) or None
        except TemplateError as error:
            raise MappingError(f"{where}: {error}", rule=self.rule) from None

    def timestamp(self, compiled: Any, where: str) -> datetime | None:
        value = self.value(compiled, where)
        if value is None or value == "":
            return None
        moment = _to_datetime(value)
        if moment is None:
            raise MappingError(f"{where} must render to ISO-8601 or epoch seconds", rule=self.rule)
        return moment

    def attributes(self, compiled: Mapping[str, Any], where: str) -> dict[str, str] | None:
        rendered = {key: self.text(value, f"{where}.{key}") for key, value in compiled.items()}
        kept = {key: value for key, value in rendered.items() if value}
        return kept or None

    def references(self, compiled: Mapping[str, Any], where: str) -> dict[str, dict[str, str]] | None:
        kept: dict[str, dict[str, str]] = {}
        for name, reference in compiled.items():
            kind = reference["Type"]
            at = f"{where}.{name}.Value"
            value = (
                self.timestamp(reference["Value"], at)
                if kind == "DATE"
                else self.text(reference["Value"], at)
            )
            if isinstance(value, datetime):
                kept[name] = {"Type": kind, "Value": str(int(value.timestamp()))}
            elif value:
                kept[name] = {"Type": kind, "Value": value}
        return kept or None

    def segment_attributes(self, compiled: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        kept = {}
        for key, value in compiled.items():
            rendered = self.segment_value(value, f"{where}.{key}")
            if rendered is not None:
                kept[key] = rendered
        return kept or None

    def segment_value(self, compiled: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        kind, item = next(iter(compiled.items()))
        at = f"{where}.{kind}"
        if kind == "ValueMap":
            entries = {k: self.segment_value(v, f"{at}.{k}") for k, v in item.items()}
            kept = {k: v for k, v in entries.items() if v is not None}
            return {kind: kept} if kept else None
        if kind == "ValueList":
            items = [self.segment_value(v, f"{at}[{i}]") for i, v in enumerate(item)]
            present = [v for v in items if v is not None]
            return {kind: present} if present else None
        if kind == "ValueInteger":
            number = self.integer(item, at)
            return None if number is None else {kind: number}
        text = self.text(item, at)
        return {kind: text} if text else None

    def integer(self, compiled: Any, where: str) -> int | None:
        value = self.value(compiled, where)
        if value is None or value == "":
            return None
        number = _to_integer(value)
        if number is None:
            raise MappingError(f"{where} must render to an integer", rule=self.rule)
        return number

    def disconnect_reason(self, compiled: Mapping[str, Any], where: str) -> dict[str, str] | None:
        code = self.text(compiled["Code"], f"{where}.Code")
        return {"Code": code} if code else None

    def attachments(self, compiled: Any, where: str) -> list[dict[str, str]] | None:
        items = self.value(compiled, where) if isinstance(compiled, Template) else compiled
        if items is None or items == []:
            return None
        if not isinstance(items, list):
            raise MappingError(f"{where} must render to a list of attachments", rule=self.rule)
        rendered = []
        for index, item in enumerate(items):
            at = f"{where}[{index}]"
            if not isinstance(item, Mapping) or not {"FileName", "S3Url"} <= item.keys():
                raise MappingError(f"{at} must have FileName and S3Url", rule=self.rule)
            file_name = self.text(item["FileName"], f"{at}.FileName")
            url = self.text(item["S3Url"], f"{at}.S3Url")
            if not file_name or not url:
                raise MappingError(f"{at} rendered without FileName or S3Url", rule=self.rule)
            rendered.append({"FileName": file_name, "S3Url": url})
        return rendered


def _render(template: Template, event: Mapping[str, Any], rule: str, where: str) -> Any:
    try:
        return template.render(event)
    except TemplateError as error:
        raise MappingError(f"{where}: {error}", rule=rule) from None


def _to_datetime(value: Any) -> datetime | None:
    """ISO-8601 or epoch seconds -> an aware datetime; None for anything else, or out of range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            return _from_iso(text)
        return _from_epoch(seconds)
    return None


def _from_epoch(seconds: int | float) -> datetime | None:
    try:
        number = float(seconds)  # OverflowError for an integer beyond a float's range (10**400)
        if not math.isfinite(number):  # 1e400 reads as infinity
            return None
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)  # 9999-12-31T23:00:00-05:00 is past the last moment a datetime holds
    except OverflowError:
        return None
    return moment


def _to_integer(value: Any) -> int | None:
    """A whole number (3, 3.0, "3", "3.0") as an exact int; None for anything else."""
    if isinstance(value, str):
        value = _number_from_text(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():  # never true for infinity or NaN
        return int(value)
    return None


def _number_from_text(text: str) -> int | float | None:
    try:
        return int(text) if _INTEGER_TEXT.fullmatch(text) else float(text)
    except ValueError:  # not a number, or more digits than Python reads (sys.get_int_max_str_digits())
        return None
