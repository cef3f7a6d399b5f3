"""Plain mappings for the bus-pattern tests, and an outcome event as EventBridge delivers it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    name: str
    match: dict[str, Any]


@dataclass(frozen=True)
class Mapping:
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def mapping(*matches: dict[str, Any]) -> Mapping:
    """A mapping of one rule per ``match`` (named rule-0, rule-1, ...)."""
    return Mapping(rules=tuple(Rule(f"rule-{index}", match) for index, match in enumerate(matches)))


def outcome_event(detail_type: str, source: str) -> dict[str, Any]:
    """An outcome event as EventBridge delivers it: identifiers only in ``detail``
    (docs/outcome-events.schema.json)."""
    return {
        "version": "0",
        "id": "5f0b8c1e-0000-4000-8000-000000000001",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2025-05-01T10:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {
            "version": "1",
            "eventId": "evt-1",
            "eventSource": "acme.orders",
            "eventDetailType": "OrderDelayed",
            "rule": "order-delayed",
            "action": "create",
            "applied": "created",
            "contactId": "c0ffee00-0000-4000-8000-000000000002",
            "clientToken": "tc1-" + "0" * 64,
        },
    }
