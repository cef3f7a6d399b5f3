"""EventBridge event patterns (content filtering): validate once, compile once, match fast.

Semantics follow Amazon EventBridge's documented content filtering and the matcher it runs
(aws/event-ruler). A pattern is read the way event-ruler compiles it: field names are joined with
"." into one flattened name per leaf (``{"state": {"status": [...]}}`` and ``{"state.status": [...]}``
are the same field), each ``$or`` multiplies the pattern into sub-patterns (one per alternative, in
document order), and a flattened name given twice in one sub-pattern keeps its last value array.
An event is flattened the same way, so ``{"state.status": "x"}`` and ``{"state": {"status": "x"}}``
both hold the field ``state.status``.

A sub-pattern matches when all its fields do: a field matches when any value in its array matches
(values in an event array each count), a missing field matches only ``{"exists": false}``. Event
arrays of objects are matched per element, so the fields one pattern object matches never come
from different elements of the same array. Values compare by JSON type: strings never equal
numbers, ``true`` is not ``1``, ``null`` only equals ``null``; numbers compare by value (``5``
equals ``5.0``).

This module validates and compiles the structure (objects, ``$or``, leaf arrays) into a tree per
sub-pattern, which :mod:`task_creator.mapping.pattern_matching` walks over an event; the filter
objects inside a leaf array (prefix, suffix, equals-ignore-case, wildcard, numeric, cidr,
anything-but, exists) are compiled by :mod:`task_creator.mapping.pattern_filters`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from task_creator.mapping.pattern_filters import OR_RESERVED_NAMES, compile_filter
from task_creator.mapping.pattern_matching import PatternLeaf, PatternNode, event_matches
from task_creator.mapping.pattern_numbers import parse_json_float
from task_creator.mapping.pattern_values import (
    ExactKey,
    ValueTest,
    WildcardShape,
    exact_key,
    is_number,
    json_type,
)
from task_creator.mapping.pattern_wildcards import WILDCARD_COMPLEXITY_LIMIT, wildcard_complexity

__all__ = ["EventPattern", "PatternError", "parse_json_float", "validate_pattern"]

ROOT_PATH: Final = "(root)"
OR_KEY: Final = "$or"
# This matcher's own bound (EventBridge documents none): every $or multiplies the sub-patterns.
MAX_SUB_PATTERNS: Final = 1000

FieldPath = tuple[str, ...]


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
    """A compiled, immutable event pattern. Build it with :meth:`compile` or :meth:`from_json`."""

    source_json: str
    _sub_patterns: tuple[PatternNode, ...] = field(repr=False, compare=False)

    @classmethod
    def compile(cls, pattern: Mapping[str, Any]) -> EventPattern:
        """Validate and compile ``pattern``; raises :class:`PatternError` listing every problem."""
        problems: list[str] = []
        sub_patterns = _compile_root(pattern, problems)
        if problems or sub_patterns is None:
            raise PatternError(problems)
        return cls(source_json=json.dumps(pattern, ensure_ascii=False), _sub_patterns=sub_patterns)

    @classmethod
    def from_json(cls, text: str) -> EventPattern:
        """Parse and compile a pattern written as JSON, checking numbers as written (``1E-325``)."""
        try:
            pattern = json.loads(text, parse_float=parse_json_float)
        except ValueError as error:
            raise PatternError([f"{ROOT_PATH}: not valid JSON: {error}"]) from None
        return cls.compile(pattern)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """True when ``event`` (an EventBridge envelope, or any JSON object) satisfies the pattern."""
        return event_matches(self._sub_patterns, event)

    @property
    def source(self) -> dict[str, Any]:
        """A fresh copy of the pattern as written (for deriving the EventBridge bus rule)."""
        copied: dict[str, Any] = json.loads(self.source_json)
        return copied


# --- compiler: one pass that validates (collecting every problem) and builds the sub-patterns -------

# One sub-pattern while compiling: flattened field name -> its leaf, in document order.
_SubPattern = dict[FieldPath, PatternLeaf]


def _compile_root(pattern: object, problems: list[str]) -> tuple[PatternNode, ...] | None:
    if not isinstance(pattern, Mapping):
        problems.append(f"{ROOT_PATH}: an event pattern must be a JSON object, got {json_type(pattern)}")
        return None
    sub_patterns = _compile_object(pattern, ROOT_PATH, (), [{}], problems, inside_or=False)
    _check_wildcard_complexity(sub_patterns, problems)
    if problems:
        return None
    return tuple(_trie(sub_pattern) for sub_pattern in sub_patterns)


def _compile_object(
    pattern: Mapping[Any, Any],
    path: str,
    prefix: FieldPath,
    sub_patterns: list[_SubPattern],
    problems: list[str],
    *,
    inside_or: bool,
) -> list[_SubPattern]:
    if not pattern:
        problems.append(f"{path}: must not be an empty object")
        return sub_patterns
    for key, value in pattern.items():
        key_path = str(key) if path == ROOT_PATH else f"{path}.{key}"
        if not isinstance(key, str):
            problems.append(f"{key_path}: field names must be strings, got {json_type(key)}")
        elif key == OR_KEY:
            sub_patterns = _compile_or(value, key_path, prefix, sub_patterns, problems)
        elif inside_or and key in OR_RESERVED_NAMES:
            problems.append(
                f"{key_path}: {key!r} is a filter name or an EventBridge reserved word and cannot be a"
                " field name inside $or"
            )
        elif isinstance(value, Mapping):
            steps = (*prefix, *key.split("."))
            sub_patterns = _compile_object(
                value, key_path, steps, sub_patterns, problems, inside_or=inside_or
            )
        elif isinstance(value, list):
            leaf = _compile_leaf(value, key_path, problems)
            if leaf is not None:
                for sub_pattern in sub_patterns:
                    sub_pattern[(*prefix, *key.split("."))] = leaf
        else:
            problems.append(
                f"{key_path}: must be an array of match values or an object, got {json_type(value)}"
            )
    return sub_patterns


def _compile_or(
    value: object, path: str, prefix: FieldPath, sub_patterns: list[_SubPattern], problems: list[str]
) -> list[_SubPattern]:
    """Each alternative extends a copy of every sub-pattern so far (event-ruler's expansion)."""
    if not isinstance(value, list) or len(value) < 2:
        problems.append(f"{path}: must be an array of at least 2 pattern objects")
        return sub_patterns
    expanded: list[_SubPattern] = []
    for index, branch in enumerate(value):
        if not isinstance(branch, Mapping):
            problems.append(f"{path}[{index}]: each $or alternative must be a pattern object")
            continue
        copies = [dict(sub_pattern) for sub_pattern in sub_patterns]
        expanded += _compile_object(branch, f"{path}[{index}]", prefix, copies, problems, inside_or=True)
    if len(expanded) > MAX_SUB_PATTERNS:
        problems.append(
            f"{path}: the pattern's $or alternatives combine into more than {MAX_SUB_PATTERNS} sub-patterns"
            " (each $or multiplies them): split the rule into several rules"
        )
        return expanded[:MAX_SUB_PATTERNS]
    return expanded or sub_patterns


def _compile_leaf(values: list[Any], path: str, problems: list[str]) -> PatternLeaf | None:
    if not values:
        problems.append(f"{path}: must not be an empty array")
        return None
    before = len(problems)
    exact: set[ExactKey] = set()
    tests: list[ValueTest] = []
    exists: set[bool] = set()
    wildcards: list[WildcardShape] = []
    for index, value in enumerate(values):
        item_path = f"{path}[{index}]"
        if isinstance(value, Mapping):
            compiled = compile_filter(value, item_path, problems)
            if compiled is None:
                continue
            if compiled.exists is not None:
                exists.add(compiled.exists)
            if compiled.test is not None:
                tests.append(compiled.test)
            wildcards += compiled.wildcards
        elif _is_json_scalar(value) and (scalar_key := exact_key(value)) is not None:
            exact.add(scalar_key)
        else:
            problems.append(
                f"{item_path}: a match value must be a string, finite number, boolean, null "
                f"or filter object, got {json_type(value)}"
            )
    if len(problems) > before:
        return None
    return PatternLeaf(
        path, frozenset(exact), tuple(tests), True in exists, False in exists, tuple(wildcards)
    )


def _is_json_scalar(value: object) -> bool:
    """A value a pattern may hold literally: string, finite number, boolean or null."""
    return value is None or isinstance(value, str | bool) or (is_number(value) and math.isfinite(value))


def _check_wildcard_complexity(sub_patterns: list[_SubPattern], problems: list[str]) -> None:
    """EventBridge refuses a rule whose wildcards on one field are too complex (see wildcard_complexity).

    A field's wildcards are weighed together across every ``$or`` alternative, as EventBridge does
    when the alternatives share the field's matcher (it counts each distinct wildcard once).
    """
    leaves: dict[FieldPath, dict[int, PatternLeaf]] = {}
    for sub_pattern in sub_patterns:
        for steps, leaf in sub_pattern.items():
            if leaf.wildcards:
                leaves.setdefault(steps, {})[id(leaf)] = leaf
    for steps, by_id in leaves.items():
        shapes = [shape for leaf in by_id.values() for shape in leaf.wildcards]
        if wildcard_complexity(shapes) > WILDCARD_COMPLEXITY_LIMIT:
            first = next(iter(by_id.values()))
            problems.append(
                f"{first.json_path}: EventBridge refuses the wildcard patterns on field {'.'.join(steps)!r}"
                f" as too complex: one value could match more than {WILDCARD_COMPLEXITY_LIMIT} of their"
                " prefixes at once; use fewer '*' characters, or fewer repeated character sequences"
                " after a '*'"
            )


def _trie(sub_pattern: _SubPattern) -> PatternNode:
    """The sub-pattern's flattened field names as a tree of name steps."""
    leaves: dict[FieldPath, PatternLeaf] = dict(sub_pattern)
    return _trie_at((), leaves)


def _trie_at(prefix: FieldPath, leaves: dict[FieldPath, PatternLeaf]) -> PatternNode:
    depth = len(prefix)
    steps = dict.fromkeys(path[depth] for path in leaves if len(path) > depth and path[:depth] == prefix)
    children = tuple((step, _trie_at((*prefix, step), leaves)) for step in steps)
    return PatternNode(leaves.get(prefix) if prefix else None, children)
