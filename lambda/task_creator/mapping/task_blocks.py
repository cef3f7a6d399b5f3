"""Compile a rule's ``task`` block for its action: every value checked for its parameter's kind, every
template compiled, every problem appended naming the rule and the field (``rule 'x': task.Name: ...``).

What each action's block may hold is task_fields.ACTION_FIELDS; what renders from it is render.py's.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import Any

from task_creator.mapping.limits import (
    ATTACHMENTS_MAX,
    ATTACHMENTS_MIN,
    ATTRIBUTE_KEY_PATTERN,
    FLOW_SELECTORS,
    REFERENCE_NAME_MAX_CHARS,
    REFERENCE_TYPES_AT_CREATION,
    SEGMENT_ATTRIBUTE_NAME_MAX_CHARS,
)
from task_creator.mapping.task_fields import (
    ACTION_FIELDS,
    ACTION_OPERATIONS,
    DISCONNECT_REASON_MEMBERS,
    FILLED_BY_THE_FUNCTION,
    SEGMENT_VALUE_KINDS,
    TASK_ACTIONS,
    FieldKind,
    TaskAction,
    a_rule,
)
from task_creator.mapping.templates import Template, TemplateError, compile_template

ATTACHMENT_KEYS = frozenset({"FileName", "S3Url"})
REFERENCE_KEYS = frozenset({"Type", "Value"})
# What the loader says when a rule's block is missing (or is not an object).
TASK_BLOCK_SHAPES: dict[TaskAction, str] = {
    "create": "a StartTaskContact request object",
    "update": "an UpdateContact / UpdateContactAttributes request object"
    " (Name, Description, References, SegmentAttributes, Attributes)",
    "reschedule": 'an UpdateContactSchedule request object ({"ScheduledTime": ...})',
    "complete": 'a StopContact request object ({"DisconnectReason": {"Code": ...}})',
}
_REFERENCES_SET = {"create": "at task creation", "update": "by an update"}


def did_you_mean(key: object, known: Iterable[str]) -> str:
    """`` (did you mean 'eventId'?)`` for a near miss such as ``evntId``; "" when nothing is close."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def compile_task(action: TaskAction, task: dict[str, Any], label: str, problems: list[str]) -> dict[str, Any]:
    """The block's fields, compiled (templates for text, values kept for literals); problems appended."""
    fields = ACTION_FIELDS[action]
    compiled: dict[str, Any] = {}
    for field, value in task.items():
        kind = fields.get(field)
        where = f"{label}: task.{field}"
        if kind is None:
            problems.append(f"{where}: {_not_a_parameter(action, field)}")
        elif kind is FieldKind.REFERENCES:
            compiled[field] = _compile_references(value, where, problems, when=_REFERENCES_SET[action])
        else:
            compiled[field] = _COMPILERS[kind](value, where, problems)
    _BLOCK_CHECKS[action](task, label, problems)
    return compiled


def _not_a_parameter(action: TaskAction, field: str) -> str:
    fields = ACTION_FIELDS[action]
    if action == "create":
        if field == "ClientToken":
            return "not a StartTaskContact parameter (it is derived from the event: see 'eventId')"
        owner = next((other for other in TASK_ACTIONS if field in ACTION_FIELDS[other]), None)
        if owner is not None:
            operations = ", ".join(ACTION_OPERATIONS[owner])
            return f"not a StartTaskContact parameter (it belongs in {a_rule(owner)}: {operations})"
        return f"not a StartTaskContact parameter{did_you_mean(field, fields)}"
    if field in FILLED_BY_THE_FUNCTION:
        return (
            f"not allowed in {a_rule(action)}: the function fills it in (the instance, and the contact"
            " registered under the rule's 'taskKey')"
        )
    operations = ", ".join(ACTION_OPERATIONS[action])
    return f"not a parameter of {a_rule(action)} ({operations}){did_you_mean(field, fields)}"


def _check_create_block(task: dict[str, Any], label: str, problems: list[str]) -> None:
    selectors = [field for field in FLOW_SELECTORS if field in task]
    if len(selectors) > 1:
        problems.append(
            f"{label}: task names {' and '.join(selectors)}: Connect accepts exactly one flow selector"
        )
    if "Name" not in task:
        problems.append(f"{label}: task.Name is required")
    elif isinstance(task["Name"], str) and not task["Name"].strip():
        problems.append(f"{label}: task.Name must not be empty")


def _check_update_block(task: dict[str, Any], label: str, problems: list[str]) -> None:
    if not task:
        problems.append(
            f"{label}: task: {a_rule('update')} sets at least one of {', '.join(ACTION_FIELDS['update'])}"
        )


def _check_reschedule_block(task: dict[str, Any], label: str, problems: list[str]) -> None:
    if "ScheduledTime" not in task:
        problems.append(f"{label}: task.ScheduledTime is required in {a_rule('reschedule')}")


def _check_complete_block(task: dict[str, Any], label: str, problems: list[str]) -> None:
    """Nothing to require: DisconnectReason is optional, and so is the block."""


_BLOCK_CHECKS: dict[TaskAction, Callable[[dict[str, Any], str, list[str]], None]] = {
    "create": _check_create_block,
    "update": _check_update_block,
    "reschedule": _check_reschedule_block,
    "complete": _check_complete_block,
}


def compile_text(value: str, where: str, problems: list[str]) -> Template | None:
    """``value`` compiled as a template; None (and a problem naming ``where``) when it does not compile."""
    try:
        return compile_template(value)
    except TemplateError as error:
        problems.append(f"{where}: {error}")
        return None


def _compile_text(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, str):
        problems.append(f"{where}: must be a string (it may contain {{{{ placeholders }}}})")
        return None
    return compile_text(value, where, problems)


def _compile_timestamp(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _compile_text(value, where, problems)


def _compile_attributes(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{where}: must be an object of string values")
        return None
    compiled = {}
    for key, item in value.items():
        if not ATTRIBUTE_KEY_PATTERN.fullmatch(key):
            problems.append(f"{where}.{key}: attribute keys may contain only letters, digits, '_' and '-'")
        compiled[key] = _compile_text(item, f"{where}.{key}", problems)
    return compiled


def _compile_references(value: Any, where: str, problems: list[str], *, when: str) -> Any:
    if not isinstance(value, dict):
        problems.append(f'{where}: must be an object of {{"Type": ..., "Value": ...}} references')
        return None
    compiled = {}
    for name, reference in value.items():
        at = f"{where}.{name}"
        if not isinstance(reference, dict) or set(reference) != REFERENCE_KEYS:
            problems.append(f"{at}: a reference is an object with exactly 'Type' and 'Value'")
            continue
        if not 1 <= len(name) <= REFERENCE_NAME_MAX_CHARS:
            problems.append(f"{at}: a reference name has 1 to {REFERENCE_NAME_MAX_CHARS} characters")
        if not isinstance(reference["Type"], str) or reference["Type"] not in REFERENCE_TYPES_AT_CREATION:
            allowed = ", ".join(sorted(REFERENCE_TYPES_AT_CREATION))
            problems.append(f"{at}.Type: {reference['Type']!r} cannot be set {when} (allowed: {allowed})")
        compiled[name] = {
            "Type": reference["Type"],
            "Value": _compile_text(reference["Value"], f"{at}.Value", problems),
        }
    return compiled


def _compile_segment_attributes(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{where}: must be an object of typed segment attribute values")
        return None
    for key in value:
        if not 1 <= len(key) <= SEGMENT_ATTRIBUTE_NAME_MAX_CHARS:
            problems.append(
                f"{where}: segment attribute names have 1 to {SEGMENT_ATTRIBUTE_NAME_MAX_CHARS} characters"
            )
    return {key: _compile_segment_value(item, f"{where}.{key}", problems) for key, item in value.items()}


def _compile_segment_value(value: Any, where: str, problems: list[str]) -> Any:  # noqa: PLR0911 - one per kind
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in SEGMENT_VALUE_KINDS:
        kinds = ", ".join(SEGMENT_VALUE_KINDS)
        problems.append(f"{where}: a segment attribute value is an object with exactly one of {kinds}")
        return None
    kind, item = next(iter(value.items()))
    if kind == "ValueMap":
        if not isinstance(item, dict):
            problems.append(f"{where}.ValueMap: must be an object of segment attribute values")
            return None
        return {
            kind: {k: _compile_segment_value(v, f"{where}.ValueMap.{k}", problems) for k, v in item.items()}
        }
    if kind == "ValueList":
        if not isinstance(item, list):
            problems.append(f"{where}.ValueList: must be a list of segment attribute values")
            return None
        return {
            kind: [_compile_segment_value(v, f"{where}.ValueList[{i}]", problems) for i, v in enumerate(item)]
        }
    if kind == "ValueInteger":
        if isinstance(item, float) and not item.is_integer():
            problems.append(f"{where}.ValueInteger: must be a whole number")
        return {kind: _compile_timestamp(item, f"{where}.{kind}", problems)}
    return {kind: _compile_text(item, f"{where}.{kind}", problems)}


def _compile_attachments(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, str):
        template = compile_text(value, where, problems)
        if template is not None and not template.is_single_expression:
            problems.append(f"{where}: as a string it must be one {{{{ expression }}}} yielding a list")
        return template
    if not isinstance(value, list) or not ATTACHMENTS_MIN <= len(value) <= ATTACHMENTS_MAX:
        problems.append(
            f"{where}: must be a list of {ATTACHMENTS_MIN} to {ATTACHMENTS_MAX}"
            ' {"FileName", "S3Url"} objects'
        )
        return None
    compiled = []
    for index, item in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(item, dict) or set(item) != ATTACHMENT_KEYS:
            problems.append(f"{at}: an attachment is an object with exactly 'FileName' and 'S3Url'")
            continue
        compiled.append(
            {key: _compile_text(item[key], f"{at}.{key}", problems) for key in sorted(ATTACHMENT_KEYS)}
        )
    return compiled


def _compile_disconnect_reason(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, dict) or set(value) != DISCONNECT_REASON_MEMBERS:
        problems.append(f'{where}: must be an object with exactly "Code" ({{"Code": template}})')
        return None
    return {"Code": _compile_text(value["Code"], f"{where}.Code", problems)}


_COMPILERS: dict[FieldKind, Callable[[Any, str, list[str]], Any]] = {
    FieldKind.TEXT: _compile_text,
    FieldKind.TIMESTAMP: _compile_timestamp,
    FieldKind.ATTRIBUTES: _compile_attributes,
    FieldKind.SEGMENT_ATTRIBUTES: _compile_segment_attributes,
    FieldKind.ATTACHMENTS: _compile_attachments,
    FieldKind.DISCONNECT_REASON: _compile_disconnect_reason,
}
