"""The source / detail-type combinations a mapping needs on the bus, and the exact algebra on them.

Pure (no CDK, no AWS). A combination is one alternative the bus must forward: constraints on ``source``
and/or ``detail-type`` (each a list of alternatives: literals and filter objects). :func:`simplify`
rewrites a list of combinations into an equivalent, shorter one, every step exact:

1. each value list is normalized: duplicates go, and so do literals that a filter of the same list
   already matches (``["acme.a", {"prefix": "acme."}]`` is ``[{"prefix": "acme."}]``);
2. a combination that another one covers goes (``{"source": ["a"]}`` covers
   ``{"source": ["a"], "detail-type": ["X"]}``);
3. combinations that differ in one field merge into one (same source: their detail-types are joined;
   same detail-types: their sources are joined), since a field's values are alternatives.

:func:`may_share_an_event` tells whether one event could match two combinations (the packer keeps such
combinations in one rule). Filters are evaluated with the function's own matcher
(``task_creator.mapping.patterns``), so "this filter matches that literal" means exactly what it means
at run time; what cannot be proven (two filters that might overlap) is assumed to overlap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from task_creator.mapping.patterns import EventPattern

__all__ = [
    "BUS_LEVEL_FIELDS",
    "Combination",
    "canonical",
    "covers",
    "filter_matches",
    "joined_names",
    "may_share_an_event",
    "normalized",
    "normalized_values",
    "pattern_chars",
    "simplify",
]

BUS_LEVEL_FIELDS = ("source", "detail-type")


@dataclass(frozen=True)
class Combination:
    """One alternative the bus must forward: constraints on ``source`` and/or ``detail-type``, and the
    mapping rules that need it (for messages)."""

    constraints: Mapping[str, Sequence[Any]]
    rules: tuple[str, ...] = ()

    @property
    def pattern(self) -> dict[str, Any]:
        """The constraints as an event pattern, fields in a fixed order."""
        return {key: list(self.constraints[key]) for key in BUS_LEVEL_FIELDS if key in self.constraints}

    def replaced(self, key: str, values: Sequence[Any]) -> Combination:
        return Combination({**self.constraints, key: list(values)}, self.rules)

    @cached_property
    def chars(self) -> int:
        """The size of this combination's pattern (``pattern_chars``)."""
        return pattern_chars(self.pattern)

    @cached_property
    def index(self) -> dict[str, _Values]:
        """Each field's values, indexed for the comparisons simplification and grouping make."""
        return {key: _Values.of(values) for key, values in self.constraints.items()}


@dataclass(frozen=True)
class _Values:
    """One field's values: literals by canonical JSON, and the filter objects."""

    literals: dict[str, Any]
    filters: tuple[Mapping[str, Any], ...]

    @classmethod
    def of(cls, values: Sequence[Any]) -> _Values:
        return cls(
            literals={canonical(value): value for value in values if not isinstance(value, Mapping)},
            filters=tuple(value for value in values if isinstance(value, Mapping)),
        )

    @cached_property
    def filter_keys(self) -> frozenset[str]:
        return frozenset(canonical(each) for each in self.filters)


def pattern_chars(pattern: Mapping[str, Any]) -> int:
    """A pattern's size as EventBridge's limit counts it, at its most verbose: Python's default JSON
    separators (a space after ``,`` and ``:``) and non-ASCII characters escaped, never shorter than
    the compact JSON CloudFormation sends."""
    return len(json.dumps(pattern))


def simplify(combinations: Iterable[Combination]) -> list[Combination]:
    """Normalized, uncovered, merged combinations forwarding exactly the events the input does."""
    current = _without_covered([normalized(each) for each in combinations])
    for key in reversed(BUS_LEVEL_FIELDS):  # join detail-types per source first, then sources
        current = _without_covered([normalized(each) for each in _merged_on(current, key)])
    return current


def normalized(combination: Combination) -> Combination:
    constraints = {key: normalized_values(values) for key, values in combination.constraints.items()}
    return Combination(constraints, combination.rules)


def normalized_values(values: Sequence[Any]) -> list[Any]:
    """``values`` without duplicates and without the literals a filter among them already matches."""
    unique: dict[str, Any] = {}
    for value in values:
        unique.setdefault(canonical(value), value)
    filters = [value for value in unique.values() if isinstance(value, Mapping)]
    return [
        value
        for value in unique.values()
        if isinstance(value, Mapping) or not any(filter_matches(each, value) for each in filters)
    ]


def _without_covered(combinations: list[Combination]) -> list[Combination]:
    """``combinations`` less those another one covers (of equivalent ones, the first stays)."""
    kept: list[Combination] = []
    for combination in combinations:
        if any(covers(other, combination) for other in kept):
            continue
        kept = [other for other in kept if not covers(combination, other)]
        kept.append(combination)
    return kept


def covers(broad: Combination, narrow: Combination) -> bool:
    """Every event ``narrow`` matches, ``broad`` matches (decided on what can be proven; False otherwise)."""
    for key, values in broad.index.items():
        other = narrow.index.get(key)
        if other is None or not _values_cover(values, other):
            return False
    return True


def _values_cover(broad: _Values, narrow: _Values) -> bool:
    if not narrow.filter_keys <= broad.filter_keys:
        return False
    return all(
        key in broad.literals or any(filter_matches(each, value) for each in broad.filters)
        for key, value in narrow.literals.items()
    )


def _merged_on(combinations: list[Combination], key: str) -> list[Combination]:
    """Combinations equal in every field but ``key`` joined into one, in first-appearance order."""
    merged: dict[str, Combination] = {}
    for combination in combinations:
        if key not in combination.constraints:
            merged[f"as-is:{len(merged)}"] = combination
            continue
        rest = {name: values for name, values in combination.constraints.items() if name != key}
        group = canonical(sorted(rest.items()))
        if group in merged:
            existing = merged[group]
            values = [*existing.constraints[key], *combination.constraints[key]]
            merged[group] = Combination(
                {**existing.constraints, key: values}, joined_names(existing.rules, combination.rules)
            )
        else:
            merged[group] = combination
    return list(merged.values())


# --- could one event match both? -------------------------------------------------------------------


def may_share_an_event(first: Combination, second: Combination) -> bool:
    """False only when no event can match both (some field both constrain has no value in common)."""
    return all(
        _values_may_intersect(values, second.constraints[key])
        for key, values in first.constraints.items()
        if key in second.constraints
    )


def _values_may_intersect(first: Sequence[Any], second: Sequence[Any]) -> bool:
    literals_first = {canonical(value) for value in first if not isinstance(value, Mapping)}
    if any(canonical(value) in literals_first for value in second if not isinstance(value, Mapping)):
        return True
    for filters, literals in ((first, second), (second, first)):
        for each in (value for value in filters if isinstance(value, Mapping)):
            if any(filter_matches(each, value) for value in literals if not isinstance(value, Mapping)):
                return True
    return any(
        not _provably_disjoint(one, other)
        for one in first
        if isinstance(one, Mapping)
        for other in second
        if isinstance(other, Mapping)
    )


def _provably_disjoint(first: Mapping[str, Any], second: Mapping[str, Any]) -> bool:
    """Two plain prefixes neither of which starts the other match no common value; nothing else is proven."""
    one, other = first.get("prefix"), second.get("prefix")
    if len(first) == len(second) == 1 and isinstance(one, str) and isinstance(other, str):
        return not (one.startswith(other) or other.startswith(one))
    return False


# --- helpers --------------------------------------------------------------------------------------------


def filter_matches(filter_object: Mapping[str, Any], value: object) -> bool:
    """Whether one filter object (``{"prefix": "acme."}``) matches one literal, as the function decides."""
    return _compiled_filter(canonical(filter_object)).matches({"value": value})


@lru_cache(maxsize=4096)
def _compiled_filter(filter_json: str) -> EventPattern:
    return EventPattern.compile({"value": [json.loads(filter_json)]})


def canonical(value: object) -> str:
    """A value's JSON with sorted keys and no spaces: equal for equal values."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def joined_names(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))
