"""The event bus rule's pattern, derived from the mapping rules: an event reaches the ingest queue only
if some rule could match it.

Pure (no CDK, no AWS): the stack and the offline runtime both call ``bus_event_pattern`` so the bus
rule on AWS and the one provisioned on moto are the same.

Each mapping rule contributes its ``source`` / ``detail-type`` constraints as written (exact values or
content filters such as ``{"prefix": "acme."}``); a rule whose pattern is an ``$or`` contributes one
combination per branch. The combinations are deduplicated, in rule order; one combination is the
pattern itself, several are joined with ``$or``. A rule (or ``$or`` branch) that constrains neither
``source`` nor ``detail-type`` could match any event, so the bus rule then forwards every event on the
bus (``{"source": [{"prefix": ""}]}``) and the function's own matching decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

BUS_LEVEL_FIELDS = ("source", "detail-type")
MATCH_EVERY_EVENT: dict[str, Any] = {"source": [{"prefix": ""}]}


class PatternRule(Protocol):
    """What this module needs from a mapping rule (``task_creator.mapping.rules.MappingRule`` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def match(self) -> Mapping[str, Any]: ...


class PatternMapping(Protocol):
    """What this module needs from a mapping (``task_creator.mapping.rules.TaskMapping`` fits)."""

    @property
    def rules(self) -> Sequence[PatternRule]: ...


def bus_event_pattern(mapping: PatternMapping) -> dict[str, Any]:
    """The EventBridge pattern that forwards exactly the events some mapping rule could match."""
    combinations = _deduplicated(
        combination for rule in mapping.rules for combination in bus_constraints(rule.match)
    )
    if not combinations or any(not combination for combination in combinations):
        return {key: list(value) for key, value in MATCH_EVERY_EVENT.items()}
    if len(combinations) == 1:
        return combinations[0]
    return {"$or": combinations}


def unconstrained_rules(mapping: PatternMapping) -> list[str]:
    """Names of the rules that constrain neither source nor detail-type (they open the bus rule wide)."""
    return [rule.name for rule in mapping.rules if any(not c for c in bus_constraints(rule.match))]


def bus_constraints(pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The source / detail-type combinations one rule's pattern requires (one per ``$or`` branch)."""
    own = {field: pattern[field] for field in BUS_LEVEL_FIELDS if field in pattern}
    branches = pattern.get("$or")
    if not isinstance(branches, list) or not branches:
        return [own]
    combinations: list[dict[str, Any]] = []
    for branch in branches:
        if not isinstance(branch, Mapping):
            continue
        for combination in bus_constraints(branch):
            combinations.append({**combination, **own})
    return combinations or [own]


def _deduplicated(combinations: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    unique: dict[str, dict[str, Any]] = {}
    for combination in combinations:
        ordered = {field: combination[field] for field in BUS_LEVEL_FIELDS if field in combination}
        unique.setdefault(json.dumps(ordered, sort_keys=True), ordered)
    return list(unique.values())
