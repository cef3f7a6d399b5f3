"""The case file format of ``python -m local test`` (docs/mapping-cases.schema.json): reading a case,
its events, and writing one back with the outcome the mapping has now.

A case file is a JSON object whose keys are the format's own (``$schema``, ``description``, ``now``,
``attributes``, ``event``, ``expect``) and that has ``event`` or ``expect``; any other JSON file is an
event, which ``--update`` turns into a case.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from infra.paths import REPO_ROOT
from local.cli.authoring import json_value
from local.cli.errors import UsageError
from local.cli.event_files import EventInput, events_in, lambda_invocation_kind
from local.cli.event_outcome import EventOutcome
from task_creator.mapping.planning import PlannedTask

CASE_SCHEMA_FILE = REPO_ROOT / "docs" / "mapping-cases.schema.json"
CASE_KEYS = (
    "$schema",
    "description",
    "now",
    "attributes",
    "event",
    "expect",
)  # the order files are written in
DEAD_LETTER_KEYS = ("ErrorType", "Rule", "ErrorMessage")
NEW_DEAD_LETTER_KEYS = ("ErrorType", "Rule")  # what --update pins for a new dead letter: no message text


class CaseError(ValueError):
    """The file is not a valid case: it cannot be run."""


@dataclass(frozen=True)
class Case:
    path: Path
    document: dict[str, Any]
    now: datetime | None
    expectations: list[dict[str, Any]] | None  # None: no "expect" yet

    @property
    def event(self) -> Any:
        return self.document.get("event")


def is_case(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and ("event" in document or "expect" in document)
        and all(key in CASE_KEYS for key in document)
    )


def read_case(path: Path, document: dict[str, Any]) -> Case:
    """``document`` checked against the case schema and for what a schema cannot say."""
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]  # noqa: PLC0415 - slow import

    error = best_match(_validator().iter_errors(document))
    if error is not None:
        where = ".".join(str(part) for part in error.absolute_path) or "the case"
        raise CaseError(f"{where}: {_clip(error.message, 200)} (see docs/mapping-cases.schema.json)")
    expect = document.get("expect")
    expectations = None if expect is None else expect if isinstance(expect, list) else [expect]
    for index, expectation in enumerate(expectations or []):
        where = f"expect.{index}" if isinstance(expect, list) else "expect"
        tasks = expectation.get("tasks", [])
        if len({task["rule"] for task in tasks}) != len(tasks):
            raise CaseError(f"{where}.tasks: a rule creates one task per event: list each rule once")
        for number, task in enumerate(tasks):
            if isinstance(scheduled := task.get("request", {}).get("ScheduledTime"), str):
                moment(scheduled, f"{where}.tasks.{number}.request.ScheduledTime")
    now = document.get("now")
    return Case(
        path=path,
        document=document,
        now=None if now is None else moment(now, "now"),
        expectations=expectations,
    )


def moment(text: str, where: str) -> datetime:
    """ISO-8601 text with a time zone (the schema's pattern) that is also a real moment."""
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise CaseError(f"{where}: {text!r} is not a moment: {error}") from None


def case_events(event: Any, attributes: Mapping[str, str] | None) -> list[EventInput]:
    """The events of a case, read as ``render`` reads them; one SQS record counts as a batch of one."""
    if isinstance(event, dict) and lambda_invocation_kind({"Records": [event]}) is not None:
        event = {"Records": [event]}
    attributes = attributes or {}
    if attributes and lambda_invocation_kind(event) is not None:
        raise CaseError("attributes: apply to a bare payload, not to an SQS record or an EventBridge event")
    return events_in(event, source=attributes.get("source"), detail_type=attributes.get("detail-type"))


# --- writing a case -------------------------------------------------------------------------------------


def expectation_of(outcome: EventOutcome, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """``outcome`` as an ``expect`` entry. What ``previous`` pinned keeps its shape: a task listed by rule
    alone stays so, a request keeps the fields it named (null when no longer sent), ``action`` and
    ``taskKey`` stay pinned where they were, a dead letter keeps the attributes it named. New tasks pin
    their action (unless a create), their task key (if any) and their whole request (and
    ``"ScheduledTime": null`` when it had passed and was dropped); new dead letters ErrorType and Rule."""
    if outcome.ignored:
        return {"ignored": True}
    previous = previous if isinstance(previous, Mapping) else {}
    pinned = {task["rule"]: task for task in previous.get("tasks", []) if isinstance(task, Mapping)}
    expectation: dict[str, Any] = {}
    if outcome.tasks:
        expectation["tasks"] = [
            _task_expectation(task, _sent(task.request, outcome, task.rule), pinned.get(task.rule))
            for task in outcome.tasks
        ]
    if outcome.dead_letter is not None:
        letter = outcome.dead_letter
        values = {"ErrorType": letter.error_type, "Rule": letter.rule, "ErrorMessage": letter.error_message}
        named = previous.get("deadLetter") or {}
        keys = {*named, "ErrorType"} if named else set(NEW_DEAD_LETTER_KEYS)
        expectation["deadLetter"] = {key: values[key] for key in DEAD_LETTER_KEYS if key in keys}
    return expectation


def _sent(request: Mapping[str, Any], outcome: EventOutcome, rule: str) -> dict[str, Any]:
    """The request as sent; ``"ScheduledTime": null`` when it had passed and was dropped, to say so."""
    sent = sent_json(request)
    return {**sent, "ScheduledTime": None} if rule in outcome.started_late else sent


def _task_expectation(
    task: PlannedTask, request: dict[str, Any], previous: Mapping[str, Any] | None
) -> dict[str, Any]:
    identity = {"action": task.action, "taskKey": task.task_key}
    if previous is None:
        pinned = {"action": task.action != "create", "taskKey": task.task_key is not None}
        return {"rule": task.rule, **{k: v for k, v in identity.items() if pinned[k]}, "request": request}
    expectation: dict[str, Any] = {"rule": task.rule}
    expectation.update({key: value for key, value in identity.items() if key in previous})
    if "request" in previous:
        expectation["request"] = {field: request.get(field) for field in previous["request"]}
    return expectation


def case_document(
    path: Path,
    previous: Mapping[str, Any] | None,
    *,
    event: Any,
    expect: list[dict[str, Any]],
    now: datetime | None,
) -> dict[str, Any]:
    """The case to write at ``path``: ``previous``'s keys (if it was a case) with ``expect`` and ``now``."""
    values: dict[str, Any] = dict(previous or {})
    if previous is None and (schema := schema_reference(path)) is not None:
        values["$schema"] = schema
    if now is not None:
        values["now"] = iso_text(now)
    values["event"] = event
    values["expect"] = expect[0] if len(expect) == 1 else expect
    return {key: values[key] for key in CASE_KEYS if key in values}


def write_case(path: Path, document: Mapping[str, Any]) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def schema_reference(path: Path) -> str | None:
    """The schema's path relative to a case inside this repository (for editors); None elsewhere."""
    case_dir = path.resolve().parent
    if not case_dir.is_relative_to(REPO_ROOT):
        return None
    return Path(os.path.relpath(CASE_SCHEMA_FILE, case_dir)).as_posix()


# --- values ---------------------------------------------------------------------------------------------


def sent_json(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request as JSON, ScheduledTime as ISO-8601 text (what ``render --json`` prints)."""
    converted: dict[str, Any] = json.loads(json.dumps(request, default=json_value))
    return converted


def iso_text(moment: datetime) -> str:
    text: str = json_value(moment)
    return text


def show(value: Any) -> str:
    return _clip(json.dumps(value, ensure_ascii=False, default=json_value), 80)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # noqa: PLC0415 - dev-only, no stubs

    try:
        schema = json.loads(CASE_SCHEMA_FILE.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read the case schema {CASE_SCHEMA_FILE}: {error.strerror}") from None
    return Draft202012Validator(schema)
