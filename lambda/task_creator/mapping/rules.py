"""Mapping rules: load a mapping file, validate it as a whole, and find the rules an event matches.

The file format is documented in docs/mapping.md, with a JSON Schema (docs/mapping.schema.json) that
the tests hold this loader to. Every problem is reported at once, each naming the rule and the field.
A rule's ``task`` block is compiled for its ``action`` by task_blocks.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from task_creator.errors import MappingFileError
from task_creator.mapping.limits import Oversize
from task_creator.mapping.pattern_numbers import parse_json_float
from task_creator.mapping.patterns import EventPattern, PatternError
from task_creator.mapping.schedule import PAST_SCHEDULED_TIME_CHOICES, PastScheduledTime
from task_creator.mapping.task_blocks import TASK_BLOCK_SHAPES, compile_task, compile_text, did_you_mean
from task_creator.mapping.task_fields import TASK_ACTIONS, TaskAction, a_rule
from task_creator.mapping.templates import Template

__all__ = [
    "MappingRule",
    "TaskAction",
    "TaskMapping",
    "Unmatched",
    "load_mapping",
    "parse_mapping",
]

Unmatched = Literal["dead-letter", "ignore"]
RULE_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch
TOP_LEVEL_KEYS = frozenset({"$schema", "description", "rules", "unmatched"})
RULE_KEYS = frozenset(
    {"name", "description", "match", "action", "taskKey", "eventId", "task", "oversize", "pastScheduledTime"}
)
UNMATCHED_CHOICES: tuple[Unmatched, ...] = ("dead-letter", "ignore")
OVERSIZE_CHOICES: tuple[Oversize, ...] = ("truncate", "fail")
# Which actions each option means something for (a rule setting it for another action is refused).
OVERSIZE_ACTIONS = frozenset({"create", "update"})  # the actions that set a Name or Description
# A reschedule cannot "start now" (UpdateContactSchedule only takes a time to come): it dead-letters.
PAST_SCHEDULED_TIME_BY_ACTION: dict[TaskAction, tuple[PastScheduledTime, ...]] = {
    "create": PAST_SCHEDULED_TIME_CHOICES,
    "reschedule": ("dead-letter",),
}


@dataclass(frozen=True)
class MappingRule:
    """One validated rule: when ``pattern`` matches, render ``compiled_task`` into the request of its
    ``action``; ``task_key`` names the task it registers (create) or acts on (the other actions)."""

    name: str
    match: dict[str, Any]
    pattern: EventPattern
    task: dict[str, Any]
    compiled_task: dict[str, Any]
    event_id: Template | None
    oversize: Oversize
    past_scheduled_time: PastScheduledTime = "start-now"
    action: TaskAction = "create"
    task_key: Template | None = None

    def matches(self, event: AbcMapping[str, Any]) -> bool:
        return self.pattern.matches(event)

    @property
    def is_lifecycle(self) -> bool:
        """It needs the task registry: it registers its task under a key, or acts on one."""
        return self.task_key is not None or self.action != "create"


@dataclass(frozen=True)
class TaskMapping:
    """The whole mapping file: its rules, in file order, and what to do with unmatched events."""

    rules: tuple[MappingRule, ...]
    unmatched: Unmatched
    origin: str
    _by_source: SourceIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_source", SourceIndex.of(self.rules))

    def matching_rules(self, event: AbcMapping[str, Any]) -> list[MappingRule]:
        """Every rule whose pattern matches (fan-out: each has its own outcome), in file order. Only the
        rules that could match the event's ``source`` are evaluated (``SourceIndex``)."""
        return [rule for rule in self._by_source.candidates(event) if rule.matches(event)]

    @property
    def has_lifecycle_rules(self) -> bool:
        """Some rule has a ``taskKey`` or an action other than create: the ledger table is required."""
        return any(rule.is_lifecycle for rule in self.rules)


@dataclass(frozen=True)
class SourceIndex:
    """The rules by the ``source`` values their pattern names exactly (``"source": ["acme.orders"]``):
    a rule whose pattern says nothing exact about ``source`` (no ``source``, or a prefix, a wildcard,
    anything-but) is a candidate for every event. Nearly every rule names its source, so an event is
    matched against its source's few rules instead of all of them. Each source's candidates are kept in
    file order, ready to use."""

    rules: tuple[MappingRule, ...]
    by_source: dict[str, tuple[MappingRule, ...]]
    always: tuple[MappingRule, ...]

    @staticmethod
    def of(rules: tuple[MappingRule, ...]) -> SourceIndex:
        named = [_exact_sources(rule) for rule in rules]  # None: a candidate for every event
        every_source = sorted({source for sources in named if sources for source in sources})
        by_source = {
            source: tuple(
                rule for rule, sources in zip(rules, named, strict=True) if not sources or source in sources
            )
            for source in every_source
        }
        always = tuple(rule for rule, sources in zip(rules, named, strict=True) if not sources)
        return SourceIndex(rules, by_source, always)

    def candidates(self, event: AbcMapping[str, Any]) -> tuple[MappingRule, ...]:
        source = event.get("source")
        if not isinstance(source, str):  # an array (matched element by element) or nothing: try all
            return self.rules
        return self.by_source.get(source, self.always)


def _exact_sources(rule: MappingRule) -> frozenset[str] | None:
    """The sources a rule's pattern matches exactly, or None when it names none (or not only exact ones)."""
    sources = rule.match.get("source")
    if isinstance(sources, list) and sources and all(isinstance(value, str) for value in sources):
        return frozenset(sources)
    return None


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
        f"unknown top-level key {key!r}{did_you_mean(key, TOP_LEVEL_KEYS)}"
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
        f"{label}: unknown key {key!r}{did_you_mean(key, RULE_KEYS)}"
        for key in sorted(raw.keys() - RULE_KEYS)
    ]
    if not isinstance(raw.get("description", ""), str):
        problems.append(f"{label}: 'description' must be a string")
    if not isinstance(name, str) or not RULE_NAME_PATTERN.fullmatch(name):
        problems.append(
            f"{label}: 'name' is required: 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    pattern = _compile_match(raw.get("match"), label, problems)
    action = _parse_action(raw, label, problems)
    oversize = _parse_oversize(raw, action, label, problems)
    past_scheduled_time = _parse_past_scheduled_time(raw, action, label, problems)
    event_id = (
        _compile_key(raw["eventId"], "eventId", "a constant makes every event one task", label, problems)
        if "eventId" in raw
        else None
    )
    task_key = _parse_task_key(raw, action, label, problems)
    task, compiled_task = _parse_task(raw, action, label, problems)
    if task_key is not None and isinstance(task, dict) and "InstanceId" in task:
        # Follow-ups reach the task in the function's instance (CONNECT_INSTANCE_ID): one instance per key.
        problems.append(
            f"{label}: task.InstanceId: a rule with a 'taskKey' creates its task in CONNECT_INSTANCE_ID,"
            " where its follow-ups find it; remove InstanceId or the taskKey"
        )
    if problems or pattern is None or action is None:
        return None, problems
    return (
        MappingRule(
            name=cast(str, name),
            match=cast(dict[str, Any], raw["match"]),
            pattern=pattern,
            task=task,
            compiled_task=compiled_task,
            event_id=event_id,
            oversize=oversize,
            past_scheduled_time=past_scheduled_time,
            action=action,
            task_key=task_key,
        ),
        [],
    )


def _compile_match(match: Any, label: str, problems: list[str]) -> EventPattern | None:
    if not isinstance(match, dict):
        problems.append(f"{label}: 'match' is required: an EventBridge event pattern object")
        return None
    try:
        return EventPattern.compile(match)
    except PatternError as error:
        problems += [f"{label}: {_pattern_path(problem)}" for problem in error.problems]
        return None


def _pattern_path(problem: str) -> str:
    """'(root): ...' -> 'match: ...'; 'detail.x: ...' -> 'match.detail.x: ...'."""
    return "match" + problem.removeprefix("(root)") if problem.startswith("(root)") else f"match.{problem}"


def _parse_action(raw: dict[str, Any], label: str, problems: list[str]) -> TaskAction | None:
    """The rule's action (default "create"); None when it is not one (its task block is then not read)."""
    action = raw.get("action", "create")
    if action not in TASK_ACTIONS:
        problems.append(f"{label}: 'action' must be one of {list(TASK_ACTIONS)}, got {action!r}")
        return None
    return cast(TaskAction, action)


def _parse_oversize(
    raw: dict[str, Any], action: TaskAction | None, label: str, problems: list[str]
) -> Oversize:
    oversize = raw.get("oversize", "truncate")
    if oversize not in OVERSIZE_CHOICES:
        problems.append(f"{label}: 'oversize' must be one of {list(OVERSIZE_CHOICES)}, got {oversize!r}")
    elif "oversize" in raw and action is not None and action not in OVERSIZE_ACTIONS:
        problems.append(
            f"{label}: 'oversize' does not apply to {a_rule(action)}: it sets no Name or Description"
        )
    return cast(Oversize, oversize)


def _parse_past_scheduled_time(
    raw: dict[str, Any], action: TaskAction | None, label: str, problems: list[str]
) -> PastScheduledTime:
    allowed = PAST_SCHEDULED_TIME_BY_ACTION.get(action or "create")
    default: PastScheduledTime = allowed[0] if allowed else "start-now"
    value = raw.get("pastScheduledTime", default)
    if value not in PAST_SCHEDULED_TIME_CHOICES:
        problems.append(
            f"{label}: 'pastScheduledTime' must be one of {list(PAST_SCHEDULED_TIME_CHOICES)}, got {value!r}"
        )
    elif action is None or "pastScheduledTime" not in raw:
        pass
    elif allowed is None:
        problems.append(
            f"{label}: 'pastScheduledTime' does not apply to {a_rule(action)}: it sets no ScheduledTime"
        )
    elif value not in allowed:
        problems.append(
            f"{label}: 'pastScheduledTime': {value!r} cannot apply to {a_rule(action)}: UpdateContactSchedule"
            " only takes a time to come, so a ScheduledTime that has passed dead-letters the event"
            " (leave 'pastScheduledTime' out, or write \"dead-letter\")"
        )
    return cast(PastScheduledTime, value)


def _parse_task_key(
    raw: dict[str, Any], action: TaskAction | None, label: str, problems: list[str]
) -> Template | None:
    if "taskKey" in raw:
        reason = "a constant makes every event act on one task"
        return _compile_key(raw["taskKey"], "taskKey", reason, label, problems)
    if action is not None and action != "create":
        problems.append(
            f"{label}: 'taskKey' is required in {a_rule(action)}: a template naming the task it acts on,"
            ' e.g. "order:{{ detail.orderId }}"'
        )
    return None


def _compile_key(raw: Any, key: str, constant: str, label: str, problems: list[str]) -> Template | None:
    """``eventId`` or ``taskKey``: a template with at least one placeholder."""
    if not isinstance(raw, str) or not raw.strip():
        problems.append(f"{label}: {key!r} must be a non-empty template string")
        return None
    compiled = compile_text(raw, f"{label}: {key}", problems)
    if compiled is not None and not compiled.has_placeholders:
        # A constant would make every event one task: the first would win, the rest be duplicates.
        problems.append(f"{label}: {key!r} must contain a {{{{ placeholder }}}}: {constant}")
        return None
    return compiled


def _parse_task(
    raw: dict[str, Any], action: TaskAction | None, label: str, problems: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rule's task block as written, and compiled for its action (a complete rule may have none)."""
    if action == "complete" and "task" not in raw:
        return {}, {}
    task = raw.get("task")
    if not isinstance(task, dict):
        shape = TASK_BLOCK_SHAPES[action or "create"]
        problems.append(
            f"{label}: 'task' must be {shape}"
            if action == "complete"
            else f"{label}: 'task' is required: {shape}"
        )
        return {}, {}
    if action is None:
        return task, {}
    return task, compile_task(action, task, label, problems)
