"""EventBridge event patterns (content filtering): validate once, compile once, match fast.

Semantics follow Amazon EventBridge's documented content filtering and its reference matcher
(aws/event-ruler): fields AND, values in a leaf array OR, nested objects descend, event arrays match
when any element matches (per element for nested objects, so the fields one pattern object matches
never come from different array elements), a missing field matches only ``{"exists": false}``.

Values compare by JSON type: strings never equal numbers, ``true`` is not ``1``, ``null`` only equals
``null``. Numbers compare by value (``5`` equals ``5.0``) as EventBridge's numeric equality does; a
parsed event cannot tell ``300.0`` from ``3.0e2`` anyway.

This module compiles the structure (objects, ``$or``, leaf arrays) and matches it; the filter objects
inside a leaf array (prefix, suffix, equals-ignore-case, wildcard, numeric, cidr, anything-but) are
compiled by :mod:`task_creator.mapping.pattern_filters`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from task_creator.mapping.pattern_filters import (
    FILTER_NAMES,
    ExactKey,
    ValueTest,
    compile_filter,
    exact_key,
    is_number,
    json_type,
)

__all__ = ["EventPattern", "PatternError", "validate_pattern"]

ROOT_PATH: Final = "(root)"
OR_KEY: Final = "$or"

_ABSENT: Final = object()
_NO_FIELDS: Final[Mapping[str, Any]] = {}


class PatternError(ValueError):
    """An event pattern is invalid. ``problems`` lists every problem, each starting with its JSON path."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def validate_pattern(pattern: object) -> list[str]:
    """Every problem in ``pattern``, each naming its JSON path (e.g. ``detail.priority[0]``); [] if valid."""
    problems: list[str] = []
    _compile_root(pattern, problems)
    return problems


@dataclass(frozen=True)
class EventPattern:
    """A compiled, immutable event pattern. Build it with :meth:`compile`."""

    source_json: str
    _matcher: _ObjectMatcher = field(repr=False, compare=False)

    @classmethod
    def compile(cls, pattern: Mapping[str, Any]) -> EventPattern:
        """Validate and compile ``pattern``; raises :class:`PatternError` listing every problem."""
        problems: list[str] = []
        matcher = _compile_root(pattern, problems)
        if problems or matcher is None:
            raise PatternError(problems)
        return cls(source_json=json.dumps(pattern, ensure_ascii=False), _matcher=matcher)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """True when ``event`` (an EventBridge envelope, or any JSON object) satisfies the pattern."""
        return self._matcher.matches(event)

    @property
    def source(self) -> dict[str, Any]:
        """A fresh copy of the pattern as written (for deriving the EventBridge bus rule)."""
        copied: dict[str, Any] = json.loads(self.source_json)
        return copied


# --- matchers: built by the compiler below; matching never re-validates ---------------------------


@dataclass(frozen=True, slots=True)
class _LeafField:
    key: str
    exact: frozenset[ExactKey]
    tests: tuple[ValueTest, ...]
    when_present: bool
    when_absent: bool

    def matches(self, event_object: Mapping[str, Any]) -> bool:
        values = _leaf_values(event_object.get(self.key, _ABSENT))
        if not values:
            return self.when_absent
        return self.when_present or any(self._matches_value(value) for value in values)

    def _matches_value(self, value: object) -> bool:
        return exact_key(value) in self.exact or any(test(value) for test in self.tests)


@dataclass(frozen=True, slots=True)
class _NestedField:
    key: str
    pattern: _ObjectMatcher

    def matches(self, event_object: Mapping[str, Any]) -> bool:
        candidates = _object_candidates(event_object.get(self.key, _ABSENT))
        return any(self.pattern.matches(candidate) for candidate in candidates)


@dataclass(frozen=True, slots=True)
class _ObjectMatcher:
    fields: tuple[_LeafField | _NestedField, ...]
    alternatives: tuple[_ObjectMatcher, ...]

    def matches(self, event_object: Mapping[str, Any]) -> bool:
        if not all(each.matches(event_object) for each in self.fields):
            return False
        return not self.alternatives or any(branch.matches(event_object) for branch in self.alternatives)


def _is_json_scalar(value: object) -> bool:
    """A value a pattern may hold literally: string, finite number, boolean or null."""
    return value is None or isinstance(value, str | bool) or (is_number(value) and math.isfinite(value))


def _leaf_values(value: object) -> list[object]:
    """The scalar values at a field: none when absent or an object; array elements, flattened."""
    if value is _ABSENT or isinstance(value, Mapping):
        return []
    if not isinstance(value, list):
        return [value]
    return [leaf for element in value for leaf in _leaf_values(element)]


def _object_candidates(value: object) -> list[Mapping[str, Any]]:
    """The objects a nested pattern is tried against; anything that is not an object has no fields."""
    if isinstance(value, Mapping):
        return [value]
    if not isinstance(value, list):
        return [_NO_FIELDS]
    candidates = [candidate for element in value for candidate in _object_candidates(element)]
    return candidates or [_NO_FIELDS]


# --- compiler: one pass that validates (collecting every problem) and builds the matchers ----------


def _compile_root(pattern: object, problems: list[str]) -> _ObjectMatcher | None:
    if not isinstance(pattern, Mapping):
        problems.append(f"{ROOT_PATH}: an event pattern must be a JSON object, got {json_type(pattern)}")
        return None
    return _compile_object(pattern, ROOT_PATH, problems, inside_or=False)


def _compile_object(
    pattern: Mapping[Any, Any], path: str, problems: list[str], *, inside_or: bool
) -> _ObjectMatcher | None:
    if not pattern:
        problems.append(f"{path}: must not be an empty object")
        return None
    before = len(problems)
    fields: list[_LeafField | _NestedField] = []
    alternatives: tuple[_ObjectMatcher, ...] = ()
    for key, value in pattern.items():
        key_path = str(key) if path == ROOT_PATH else f"{path}.{key}"
        if not isinstance(key, str):
            problems.append(f"{key_path}: field names must be strings, got {json_type(key)}")
        elif key == OR_KEY:
            alternatives = _compile_or(value, key_path, problems)
        elif inside_or and key in FILTER_NAMES:
            problems.append(f"{key_path}: {key!r} is a filter name and cannot be a field name inside $or")
        elif isinstance(value, Mapping):
            nested = _compile_object(value, key_path, problems, inside_or=inside_or)
            if nested is not None:
                fields.append(_NestedField(key, nested))
        elif isinstance(value, list):
            leaf = _compile_leaf(key, value, key_path, problems)
            if leaf is not None:
                fields.append(leaf)
        else:
            problems.append(
                f"{key_path}: must be an array of match values or an object, got {json_type(value)}"
            )
    return _ObjectMatcher(tuple(fields), alternatives) if len(problems) == before else None


def _compile_or(value: object, path: str, problems: list[str]) -> tuple[_ObjectMatcher, ...]:
    if not isinstance(value, list) or len(value) < 2:
        problems.append(f"{path}: must be an array of at least 2 pattern objects")
        return ()
    branches: list[_ObjectMatcher] = []
    for index, branch in enumerate(value):
        if not isinstance(branch, Mapping):
            problems.append(f"{path}[{index}]: each $or alternative must be a pattern object")
            continue
        compiled = _compile_object(branch, f"{path}[{index}]", problems, inside_or=True)
        if compiled is not None:
            branches.append(compiled)
    return tuple(branches)


def _compile_leaf(key: str, values: list[Any], path: str, problems: list[str]) -> _LeafField | None:
    if not values:
        problems.append(f"{path}: must not be an empty array")
        return None
    exact: set[ExactKey] = set()
    tests: list[ValueTest] = []
    exists: set[bool] = set()
    for index, value in enumerate(values):
        item_path = f"{path}[{index}]"
        if isinstance(value, Mapping):
            compiled = compile_filter(value, item_path, problems)
            if isinstance(compiled, bool):
                exists.add(compiled)
            elif compiled is not None:
                tests.append(compiled)
        elif _is_json_scalar(value) and (scalar_key := exact_key(value)) is not None:
            exact.add(scalar_key)
        else:
            problems.append(
                f"{item_path}: a match value must be a string, finite number, boolean, null "
                f"or filter object, got {json_type(value)}"
            )
    return _LeafField(key, frozenset(exact), tuple(tests), True in exists, False in exists)
