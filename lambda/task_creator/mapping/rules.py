"""Mapping rules: load a mapping file, validate it as a whole, and find the rules an event matches.

The file format is documented in docs/mapping.md, with a JSON Schema (docs/mapping.schema.json) that
the tests hold this loader to. Every problem is reported at once, each naming the rule and the field.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable as AbcIterable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from task_creator.errors import MappingFileError
from task_creator.mapping.limits import (
    ATTACHMENTS_MAX,
    ATTACHMENTS_MIN,
    ATTRIBUTE_KEY_PATTERN,
    FLOW_SELECTORS,
    REFERENCE_NAME_MAX_CHARS,
    REFERENCE_TYPES_AT_CREATION,
    SEGMENT_ATTRIBUTE_NAME_MAX_CHARS,
    Oversize,
)
from task_creator.mapping.pattern_filters import parse_json_float
from task_creator.mapping.patterns import EventPattern, PatternError
from task_creator.mapping.schedule import PAST_SCHEDULED_TIME_CHOICES, PastScheduledTime
from task_creator.mapping.task_fields import SEGMENT_VALUE_KINDS, TASK_FIELDS, FieldKind
from task_creator.mapping.templates import Template, TemplateError, compile_template

Unmatched = Literal["dead-letter", "ignore"]
RULE_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch
TOP_LEVEL_KEYS = frozenset({"$schema", "description", "rules", "unmatched"})
RULE_KEYS = frozenset({"name", "description", "match", "eventId", "task", "oversize", "pastScheduledTime"})
UNMATCHED_CHOICES: tuple[Unmatched, ...] = ("dead-letter", "ignore")
OVERSIZE_CHOICES: tuple[Oversize, ...] = ("truncate", "fail")
ATTACHMENT_KEYS = frozenset({"FileName", "S3Url"})
REFERENCE_KEYS = frozenset({"Type", "Value"})


@dataclass(frozen=True)
class MappingRule:
    """One validated rule: when ``pattern`` matches, render ``compiled_task`` into a request."""

    name: str
    match: dict[str, Any]
    pattern: EventPattern
    task: dict[str, Any]
    compiled_task: dict[str, Any]
    event_id: Template | None
    oversize: Oversize
    past_scheduled_time: PastScheduledTime = "start-now"

    def matches(self, event: AbcMapping[str, Any]) -> bool:
        return self.pattern.matches(event)


@dataclass(frozen=True)
class TaskMapping:
    """The whole mapping file: its rules, in file order, and what to do with unmatched events."""

    rules: tuple[MappingRule, ...]
    unmatched: Unmatched
    origin: str

    def matching_rules(self, event: AbcMapping[str, Any]) -> list[MappingRule]:
        """Every rule whose pattern matches (fan-out: each creates its own task)."""
        return [rule for rule in self.rules if rule.matches(event)]


def load_mapping(path: str | Path) -> TaskMapping:
    """Read and validate a mapping file; raise MappingFileError listing every problem."""
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise MappingFileError(origin, [f"cannot read the file: {error.strerror or error}"]) from None
    try:
        # Numbers keep their written text: a bound EventBridge cannot compare (1E-325) is refused.
        document = json.loads(text, parse_float=parse_json_float)
    except json.JSONDecodeError as error:
        raise MappingFileError(
            origin, [f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    return parse_mapping(document, origin=origin)


def parse_mapping(document: Any, *, origin: str = "<mapping>") -> TaskMapping:
    """Validate a decoded mapping document; raise MappingFileError listing every problem."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise MappingFileError(origin, ["the file must hold a JSON object with a 'rules' list"])
    problems += [
        f"unknown top-level key {key!r}{_did_you_mean(key, TOP_LEVEL_KEYS)}"
        for key in sorted(document.keys() - TOP_LEVEL_KEYS)
    ]
    if not isinstance(document.get("description", ""), str):
        problems.append("'description' must be a string")
    unmatched = document.get("unmatched", "dead-letter")
    if unmatched not in UNMATCHED_CHOICES:
        problems.append(f"'unmatched' must be one of {list(UNMATCHED_CHOICES)}, got {unmatched!r}")
    raw_rules = document.get("rules")
    rules: list[MappingRule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("'rules' must be a non-empty list of rules")
    else:
        seen: set[str] = set()
        for index, raw_rule in enumerate(raw_rules):
            rule, rule_problems = _parse_rule(raw_rule, index)
            problems += rule_problems
            name = raw_rule.get("name") if isinstance(raw_rule, dict) else None
            if isinstance(name, str):
                if name in seen:
                    problems.append(f"rule {name!r}: duplicate rule name")
                seen.add(name)
            if rule is not None:
                rules.append(rule)
    if problems:
        raise MappingFileError(origin, problems)
    return TaskMapping(rules=tuple(rules), unmatched=unmatched, origin=origin)


def _parse_rule(raw: Any, index: int) -> tuple[MappingRule | None, list[str]]:
    if not isinstance(raw, dict):
        return None, [f"rules[{index}]: a rule must be a JSON object"]
    name = raw.get("name")
    label = f"rule {name!r}" if isinstance(name, str) and name else f"rules[{index}]"
    problems = [
        f"{label}: unknown key {key!r}{_did_you_mean(key, RULE_KEYS)}"
        for key in sorted(raw.keys() - RULE_KEYS)
    ]
    if not isinstance(raw.get("description", ""), str):
        problems.append(f"{label}: 'description' must be a string")
    if not isinstance(name, str) or not RULE_NAME_PATTERN.fullmatch(name):
        problems.append(
            f"{label}: 'name' is required: 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    match = raw.get("match")
    pattern: EventPattern | None = None
    if not isinstance(match, dict):
        problems.append(f"{label}: 'match' is required: an EventBridge event pattern object")
    else:
        try:
            pattern = EventPattern.compile(match)
        except PatternError as error:
            problems += [f"{label}: {_pattern_path(problem)}" for problem in error.problems]
    oversize = raw.get("oversize", "truncate")
    if oversize not in OVERSIZE_CHOICES:
        problems.append(f"{label}: 'oversize' must be one of {list(OVERSIZE_CHOICES)}, got {oversize!r}")
    past_scheduled_time = raw.get("pastScheduledTime", "start-now")
    if past_scheduled_time not in PAST_SCHEDULED_TIME_CHOICES:
        problems.append(
            f"{label}: 'pastScheduledTime' must be one of {list(PAST_SCHEDULED_TIME_CHOICES)},"
            f" got {past_scheduled_time!r}"
        )
    event_id = _compile_event_id(raw["eventId"], label, problems) if "eventId" in raw else None
    task = raw.get("task")
    compiled_task: dict[str, Any] = {}
    if not isinstance(task, dict):
        problems.append(f"{label}: 'task' is required: a StartTaskContact request object")
    else:
        compiled_task = _compile_task(task, label, problems)
    if problems or pattern is None:
        return None, problems
    return (
        MappingRule(
            name=cast(str, name),
            match=cast(dict[str, Any], match),
            pattern=pattern,
            task=cast(dict[str, Any], task),
            compiled_task=compiled_task,
            event_id=event_id,
            oversize=oversize,
            past_scheduled_time=past_scheduled_time,
        ),
        [],
    )


def _did_you_mean(key: object, known: AbcIterable[str]) -> str:
    """`` (did you mean 'eventId'?)`` for a near miss such as ``evntId``; "" when nothing is close."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _pattern_path(problem: str) -> str:
    """'(root): ...' -> 'match: ...'; 'detail.x: ...' -> 'match.detail.x: ...'."""
    return "match" + problem.removeprefix("(root)") if problem.startswith("(root)") else f"match.{problem}"


def _compile_event_id(raw: Any, label: str, problems: list[str]) -> Template | None:
    if not isinstance(raw, str) or not raw.strip():
        problems.append(f"{label}: 'eventId' must be a non-empty template string")
        return None
    compiled = _compile(raw, f"{label}: eventId", problems)
    if compiled is not None and not compiled.has_placeholders:
        # A constant identity would make every event one task: the first would win, the rest be duplicates.
        problems.append(
            f"{label}: 'eventId' must contain a {{{{ placeholder }}}}: a constant makes every event one task"
        )
        return None
    return compiled


def _compile_task(task: dict[str, Any], label: str, problems: list[str]) -> dict[str, Any]:
    compiled: dict[str, Any] = {}
    for field, value in task.items():
        kind = TASK_FIELDS.get(field)
        where = f"{label}: task.{field}"
        if kind is None:
            hint = (
                " (it is derived from the event: see 'eventId')"
                if field == "ClientToken"
                else _did_you_mean(field, TASK_FIELDS)
            )
            problems.append(f"{where}: not a StartTaskContact parameter{hint}")
            continue
        compiled[field] = _COMPILERS[kind](value, where, problems)
    selectors = [field for field in FLOW_SELECTORS if field in task]
    if len(selectors) > 1:
        problems.append(
            f"{label}: task names {' and '.join(selectors)}: Connect accepts exactly one flow selector"
        )
    if "Name" not in task:
        problems.append(f"{label}: task.Name is required")
    elif isinstance(task["Name"], str) and not task["Name"].strip():
        problems.append(f"{label}: task.Name must not be empty")
    return compiled


def _compile(value: str, where: str, problems: list[str]) -> Template | None:
    try:
        return compile_template(value)
    except TemplateError as error:
        problems.append(f"{where}: {error}")
        return None


def _compile_text(value: Any, where: str, problems: list[str]) -> Any:
    if not isinstance(value, str):
        problems.append(f"{where}: must be a string (it may contain {{{{ placeholders }}}})")
        return None
    return _compile(value, where, problems)


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


def _compile_references(value: Any, where: str, problems: list[str]) -> Any:
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
            problems.append(
                f"{at}.Type: {reference['Type']!r} cannot be set at task creation (allowed: {allowed})"
            )
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
        template = _compile(value, where, problems)
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


_COMPILERS = {
    FieldKind.TEXT: _compile_text,
    FieldKind.TIMESTAMP: _compile_timestamp,
    FieldKind.ATTRIBUTES: _compile_attributes,
    FieldKind.REFERENCES: _compile_references,
    FieldKind.SEGMENT_ATTRIBUTES: _compile_segment_attributes,
    FieldKind.ATTACHMENTS: _compile_attachments,
}
