"""An event's outcome against a case's expectation: every difference, each named for the author.

Expected request fields compare exactly with what the function would send: JSON values by type and value
(``"5"`` is not ``5``, ``true`` is not ``1``), objects and lists whole; ``ScheduledTime`` as the same
moment (ISO-8601 text, any offset); ``null`` means the field is not sent. A task's ``action`` and
``taskKey``, when given, must be the rule's action and the key it renders (``null``: no key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from local.cli.event_outcome import DeadLetterOutcome, EventOutcome
from local.cli.mapping_cases import sent_json, show
from task_creator.mapping.planning import PlannedTask


def mismatches(expected: Mapping[str, Any], outcome: EventOutcome) -> list[str]:
    """What differs between ``expected`` (one ``expect`` entry) and ``outcome``; empty when it passes."""
    if expected.get("ignored") or outcome.ignored:
        if expected.get("ignored") and outcome.ignored:
            return []
        return [f"expected {describe_expected(expected)}, got {describe(outcome)}"]
    return [
        *_task_mismatches(expected.get("tasks", []), outcome.tasks),
        *_dead_letter_mismatches(expected.get("deadLetter"), outcome.dead_letter),
    ]


def batch_mismatches(expected: Sequence[Mapping[str, Any]], outcomes: Sequence[EventOutcome]) -> list[str]:
    """One expectation per event of the case, in order."""
    if len(expected) != len(outcomes):
        return [f"expect lists {len(expected)} outcome(s), the event holds {len(outcomes)} record(s)"]
    if len(outcomes) == 1:
        return mismatches(expected[0], outcomes[0])
    return [
        f"record {index}: {problem}"
        for index, (want, outcome) in enumerate(zip(expected, outcomes, strict=True))
        for problem in mismatches(want, outcome)
    ]


def describe(outcome: EventOutcome) -> str:
    """``tasks a, b``, ``update c (key order:1)``, ``dead-letter MappingError (d)``, or ``ignored``."""
    if outcome.ignored:
        return "ignored"
    created = [task.rule for task in outcome.tasks if task.action == "create"]
    parts = [f"tasks {', '.join(created)}"] if created else []
    parts += [
        f"{task.action} {task.rule} (key {task.task_key})"
        for task in outcome.tasks
        if task.action != "create"
    ]
    if outcome.dead_letter is not None:
        parts.append(_describe_letter(outcome.dead_letter.error_type, outcome.dead_letter.rule))
    return "; ".join(parts)


def describe_expected(expected: Mapping[str, Any]) -> str:
    if expected.get("ignored"):
        return "ignored"
    parts = [f"tasks {', '.join(t['rule'] for t in expected['tasks'])}"] if expected.get("tasks") else []
    if letter := expected.get("deadLetter"):
        parts.append(_describe_letter(letter["ErrorType"], letter.get("Rule", "-")))
    return "; ".join(parts) or "nothing"


def _describe_letter(error_type: str, rule: str) -> str:
    return f"dead-letter {error_type}" + (f" ({rule})" if rule != "-" else "")


def _task_mismatches(expected: Sequence[Mapping[str, Any]], tasks: Sequence[PlannedTask]) -> list[str]:
    sent = {task.rule: task for task in tasks}
    wanted = {task["rule"]: task for task in expected}
    problems = [f"expected a task of rule {rule}, none is sent" for rule in wanted if rule not in sent]
    problems += [f"unexpected task of rule {rule}" for rule in sent if rule not in wanted]
    for rule, want in wanted.items():
        if rule in sent:
            problems += _identity_mismatches(rule, want, sent[rule])
            problems += _request_mismatches(rule, want.get("request", {}), sent[rule].request)
    return problems


def _identity_mismatches(rule: str, expected: Mapping[str, Any], task: PlannedTask) -> list[str]:
    """The rule's action and the task key it rendered, where the case pins them."""
    values = {"action": task.action, "taskKey": task.task_key}
    return [
        f"{rule}.{name}: expected {show(expected[name])}, got {show(value)}"
        for name, value in values.items()
        if name in expected and expected[name] != value
    ]


def _request_mismatches(rule: str, expected: Mapping[str, Any], request: Mapping[str, Any]) -> list[str]:
    sent = sent_json(request)
    problems = []
    for field, want in expected.items():
        have = sent.get(field)
        if want is None and have is None:
            continue
        if want is None:
            problems.append(f"{rule}.{field}: expected not sent, got {show(have)}")
        elif have is None:
            problems.append(f"{rule}.{field}: expected {show(want)}, not sent")
        elif not _same_value(field, want, request[field], have):
            problems.append(f"{rule}.{field}: expected {show(want)}, got {show(have)}")
    return problems


def _same_value(field: str, want: Any, value: Any, have: Any) -> bool:
    if field == "ScheduledTime" and isinstance(value, datetime):
        return datetime.fromisoformat(want) == value
    return same_json(want, have)


def same_json(left: Any, right: Any) -> bool:
    """Equal as JSON values: by type (a boolean is not a number) and value (``5`` equals ``5.0``)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    return type(left) is type(right) and left == right


def _dead_letter_mismatches(
    expected: Mapping[str, Any] | None, letter: DeadLetterOutcome | None
) -> list[str]:
    if letter is None:
        if expected is None:
            return []
        return [f"expected dead-letter {expected['ErrorType']}, the event is not dead-lettered"]
    if expected is None:
        return [f"unexpected dead letter: {letter.error_type}: {letter.error_message}"]
    problems = []
    values = {"ErrorType": letter.error_type, "Rule": letter.rule, "ErrorMessage": letter.error_message}
    for key, value in values.items():
        if key in expected and expected[key] != value:
            reason = f" ({letter.error_message})" if key == "ErrorType" else ""
            problems.append(f"deadLetter.{key}: expected {show(expected[key])}, got {show(value)}{reason}")
    return problems
