"""Packs the source / detail-type combinations a mapping needs into as few EventBridge rules as fit.

Pure (no CDK, no AWS). ``infra.event_pattern`` derives the combinations from the mapping rules and this
module turns them into rule patterns that each respect EventBridge's limits, without changing which
events reach the ingest queue:

1. a combination whose constraint is too large on its own is refused (its rule is named);
2. the rest are simplified exactly (``infra.bus_rule_combinations.simplify``);
3. a combination too large for one rule is split along its longest list of values;
4. combinations that one event could match both of are kept in the same rule, so that the bus
   delivers an event once, not once per rule (only a group too large for one rule is spread, and then
   the packing says so);
5. the groups are packed first-fit into rules, those with ``wildcard`` filters first (EventBridge
   counts rules with wildcards against a smaller quota), each rule within the pattern size limit and
   the ``$or`` combination limit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.bus_rule_combinations import Combination, may_share_an_event, normalized, simplify

__all__ = ["Packing", "PackingLimits", "pack", "rule_pattern"]

WILDCARD_FILTER = "wildcard"


@dataclass(frozen=True)
class PackingLimits:
    """What one rule's pattern may hold: characters, and combinations joined by ``$or``."""

    pattern_chars: int
    or_combinations: int


@dataclass(frozen=True)
class Packing:
    """The rules' patterns, how many of them hold a wildcard, whether an event may match two of them,
    and the problems that keep the combinations from fitting (empty when they fit)."""

    patterns: tuple[dict[str, Any], ...]
    wildcard_rules: int
    overlapping: bool
    problems: tuple[str, ...] = ()


def rule_pattern(combinations: Sequence[Combination]) -> dict[str, Any]:
    """One rule's pattern: a lone combination as it is, several joined with ``$or`` (which EventBridge
    reads as an alternative only with two branches or more)."""
    if len(combinations) == 1:
        return combinations[0].pattern
    return {"$or": [combination.pattern for combination in combinations]}


def pack(combinations: Sequence[Combination], limits: PackingLimits) -> Packing:
    """The fewest rules (greedily) whose patterns together forward exactly what ``combinations`` do."""
    problems: list[str] = []
    fitting: list[Combination] = []
    for combination in combinations:  # a constraint too large on its own is its rule's problem alone
        _, problem = _split_to_fit(normalized(combination), limits)
        if problem:
            problems.append(problem)
        else:
            fitting.append(combination)
    pieces: list[Combination] = []
    for combination in simplify(fitting):
        split, problem = _split_to_fit(combination, limits)
        pieces.extend(split)
        if problem:
            problems.append(problem)
    groups = _overlap_groups(pieces)
    ordered = [group for group in groups if _has_wildcard(group)] + [
        group for group in groups if not _has_wildcard(group)
    ]
    rules: list[list[Combination]] = []
    overlapping = False
    for group in ordered:
        if _fits(group, limits):
            _place(group, rules, limits)
        else:
            overlapping = True
            for combination in group:
                _place([combination], rules, limits)
    return Packing(
        patterns=tuple(rule_pattern(rule) for rule in rules),
        wildcard_rules=sum(1 for rule in rules if _has_wildcard(rule)),
        overlapping=overlapping,
        problems=tuple(problems),
    )


# --- splitting what is too large for one rule ---------------------------------------------------------


def _split_to_fit(combination: Combination, limits: PackingLimits) -> tuple[list[Combination], str | None]:
    """``combination`` as pieces that each fit a rule on their own: its longest value list cut into
    chunks, filters first (chunks of different literals share no event; pieces whose filters might are
    kept in one rule by the grouping that follows, when they fit one)."""
    if combination.chars <= limits.pattern_chars:
        return [combination], None
    key = max(combination.constraints, key=lambda name: _values_chars(combination.constraints[name]))
    values = sorted(combination.constraints[key], key=lambda value: not isinstance(value, Mapping))
    empty = combination.replaced(key, []).chars  # "[]": each value adds its JSON, and ", " between
    chunks: list[list[Any]] = [[]]
    size = empty
    for value in values:
        grown = size + len(json.dumps(value)) + (2 if chunks[-1] else 0)
        if chunks[-1] and grown > limits.pattern_chars:
            chunks.append([value])
            size = empty + len(json.dumps(value))
        else:
            chunks[-1].append(value)
            size = grown
    pieces = [combination.replaced(key, chunk) for chunk in chunks]
    too_large = [piece for piece in pieces if piece.chars > limits.pattern_chars]
    if too_large:
        return [], (
            f"mapping rule {_names(combination.rules)}: its source/detail-type constraint alone makes a "
            f"{too_large[0].chars}-character event pattern, more than EventBridge's "
            f"{limits.pattern_chars:,}-character limit: shorten its values or use a prefix filter"
        )
    return pieces, None


def _values_chars(values: Sequence[Any]) -> int:
    return sum(len(json.dumps(value)) for value in values)


# --- grouping combinations one event could match together ---------------------------------------------


def _overlap_groups(combinations: list[Combination]) -> list[list[Combination]]:
    """Connected groups of combinations that may share an event, in first-appearance order."""
    parent = list(range(len(combinations)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for first in range(len(combinations)):
        for second in range(first + 1, len(combinations)):
            if may_share_an_event(combinations[first], combinations[second]):
                parent[root(second)] = root(first)
    groups: dict[int, list[Combination]] = {}
    for index, combination in enumerate(combinations):
        groups.setdefault(root(index), []).append(combination)
    return list(groups.values())


# --- packing ------------------------------------------------------------------------------------------


def _fits(combinations: Sequence[Combination], limits: PackingLimits) -> bool:
    return len(combinations) <= limits.or_combinations and _rule_chars(combinations) <= limits.pattern_chars


def _rule_chars(combinations: Sequence[Combination]) -> int:
    """``pattern_chars(rule_pattern(combinations))`` without serializing: ``{"$or": [`` and ``]}`` around
    the combinations, ``, `` between them."""
    if len(combinations) == 1:
        return combinations[0].chars
    return len('{"$or": [') + sum(each.chars for each in combinations) + 2 * (len(combinations) - 1) + 2


def _place(group: list[Combination], rules: list[list[Combination]], limits: PackingLimits) -> None:
    for rule in rules:
        if _fits([*rule, *group], limits):
            rule.extend(group)
            return
    rules.append(list(group))


def _has_wildcard(combinations: Sequence[Combination]) -> bool:
    return any(_mentions_wildcard(combination.pattern) for combination in combinations)


def _mentions_wildcard(value: object) -> bool:
    if isinstance(value, Mapping):
        return WILDCARD_FILTER in value or any(_mentions_wildcard(each) for each in value.values())
    if isinstance(value, list):
        return any(_mentions_wildcard(each) for each in value)
    return False


def _names(rules: tuple[str, ...]) -> str:
    return ", ".join(repr(name) for name in rules) or "(unnamed)"
