"""The keys a rule renders from an event: the event identity (``eventId``, hashed into the ClientToken)
and the task key (``taskKey``, the name a task is registered under and its follow-up rules act on).

Either key could merge unrelated events into one task, so either is refused (MappingError naming the
rule and the key) when it renders empty or blank, or only the template's literal text (every placeholder
null, empty or blank), or text that is not valid Unicode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from task_creator.errors import MappingError
from task_creator.mapping.limits import NOT_UNICODE, is_valid_unicode
from task_creator.mapping.rules import MappingRule
from task_creator.mapping.templates import Template, TemplateError, as_text


def render_identity(rule: MappingRule, event: Mapping[str, Any], default_identity: str) -> str:
    """The event identity for the ClientToken: the rule's ``eventId`` if given, else the event's own
    (``CanonicalEvent.identity``: its envelope fingerprint, or the id of a raw payload)."""
    if rule.event_id is None:
        return default_identity
    return render_key(rule.event_id, event, rule=rule.name, key="eventId")


def render_task_key(rule: MappingRule, event: Mapping[str, Any]) -> str | None:
    """The task key the rule registers (create) or acts on (update, reschedule, complete); None when a
    create rule has no ``taskKey``."""
    if rule.task_key is None:
        return None
    return render_key(rule.task_key, event, rule=rule.name, key="taskKey")


def render_key(template: Template, event: Mapping[str, Any], *, rule: str, key: str) -> str:
    """``template`` rendered as text for ``event``; MappingError naming ``rule`` and ``key`` when the
    result could stand for unrelated events."""
    try:
        values = template.placeholder_values(event)
        text = as_text(template.fill(values)) or ""
        blank = all(_is_blank(value) for value in values)
    except TemplateError as error:
        raise MappingError(f"{key}: {error}", rule=rule) from None
    if not text.strip():
        raise MappingError(f"{key} rendered empty or blank for this event", rule=rule)
    if blank:
        raise MappingError(
            f"{key} rendered none of its placeholders for this event (each was null, empty or blank):"
            " its literal text alone would merge unrelated events into one task",
            rule=rule,
        )
    if not is_valid_unicode(text):
        raise MappingError(f"{key} {NOT_UNICODE}", rule=rule)
    return text


def _is_blank(value: Any) -> bool:
    if value is None or (isinstance(value, list | dict) and not value):
        return True
    text = as_text(value)
    return not text or not text.strip()
