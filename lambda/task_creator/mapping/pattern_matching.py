"""Matching an event against compiled sub-patterns (built by :mod:`.patterns`; never re-validated).

A compiled sub-pattern is a tree of flattened field-name steps (:class:`PatternNode`) whose ends hold
a field's value array (:class:`PatternLeaf`). :func:`event_matches` walks it over the event: a field
matches when any value in its array matches (values in an event array each count), a missing field
matches only ``{"exists": false}``, and event arrays of objects are matched per element, so the fields
one pattern object matches never come from different elements of the same array.

Events may use dotted field names: ``{"a.b": 1}`` holds the same field as ``{"a": {"b": 1}}``. Each
event object is viewed by first name steps, and the values found under one flattened name are merged
only when the matcher goes there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from task_creator.mapping.pattern_values import ExactKey, ValueTest, WildcardShape, exact_key

_ABSENT: Final = object()
_NO_FIELDS: Final[Mapping[str, Any]] = {}


@dataclass(frozen=True, slots=True)
class PatternLeaf:
    """One field's value array: literal values, filter tests and ``exists`` flags, any of which may match."""

    json_path: str
    exact: frozenset[ExactKey]
    tests: tuple[ValueTest, ...]
    when_present: bool
    when_absent: bool
    wildcards: tuple[WildcardShape, ...]

    def matches(self, values: list[object]) -> bool:
        if not values:
            return self.when_absent
        return self.when_present or any(self._matches_value(value) for value in values)

    def _matches_value(self, value: object) -> bool:
        return exact_key(value) in self.exact or any(test(value) for test in self.tests)


@dataclass(frozen=True, slots=True)
class PatternNode:
    """A step of a flattened field name: the leaf ending here (if any) and the steps below."""

    leaf: PatternLeaf | None
    children: tuple[tuple[str, PatternNode], ...]


def event_matches(sub_patterns: Sequence[PatternNode], event: Mapping[str, Any]) -> bool:
    """True when ``event`` satisfies any of ``sub_patterns`` (the roots of compiled sub-patterns)."""
    views: _Views = {}
    return any(_object_matches(node, event, views) for node in sub_patterns)


# id(event object or _Deferred) -> (it, kept alive while cached; its view, or its merged value)
_Views = dict[int, tuple[object, Any]]


def _object_matches(node: PatternNode, event_object: Mapping[str, Any], views: _Views) -> bool:
    fields = _view(event_object, views)
    return all(_value_matches(child, _field(fields, step, views), views) for step, child in node.children)


def _field(fields: Mapping[str, Any], step: str, views: _Views) -> object:
    value = fields.get(step, _ABSENT)
    return _resolved(value, views) if isinstance(value, _Deferred) else value


def _value_matches(node: PatternNode, value: object, views: _Views) -> bool:
    if node.leaf is not None and not node.leaf.matches(_leaf_values(value)):
        return False
    if not node.children:
        return True
    return any(_object_matches(node, candidate, views) for candidate in _object_candidates(value))


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


# --- events with dotted field names: {"a.b": 1} holds the same field as {"a": {"b": 1}} -------------


@dataclass(frozen=True, slots=True)
class _Deferred:
    """Several event values under one flattened name, merged only if the matcher goes there."""

    values: tuple[object, ...]


def _view(event_object: Mapping[str, Any], views: _Views) -> Mapping[str, Any]:
    """``event_object`` keyed by first name steps: a dotted name is split, and what it holds merged."""
    cached = views.get(id(event_object))
    if cached is not None:
        view: Mapping[str, Any] = cached[1]
        return view
    view = event_object
    if _has_dotted_name(event_object):
        found: dict[Any, list[object]] = {}
        for key, value in event_object.items():
            head, *rest = key.split(".") if isinstance(key, str) else (key,)
            nested = value
            for step in reversed(rest):
                nested = {step: nested}
            found.setdefault(head, []).append(nested)
        view = {head: _deferred(values) for head, values in found.items()}
    views[id(event_object)] = (event_object, view)
    return view


def _has_dotted_name(event_object: Mapping[str, Any]) -> bool:
    try:
        return "." in "".join(event_object)  # one C-level pass: objects can hold thousands of fields
    except TypeError:  # a non-string key: not from JSON, but a Mapping may hold one
        return any(isinstance(key, str) and "." in key for key in event_object)


def _deferred(values: list[object]) -> object:
    return values[0] if len(values) == 1 else _Deferred(tuple(values))


def _resolved(deferred: _Deferred, views: _Views) -> object:
    cached = views.get(id(deferred))
    if cached is None:
        cached = views[id(deferred)] = (deferred, _merge(deferred.values, views))
    return cached[1]


def _merge(values: Sequence[object], views: _Views) -> object:
    """The event values found under one flattened name, as one value the matcher can walk.

    Objects merge field by field (one level now, deeper when the matcher gets there); arrays join
    into one. The merged object then joins each object in the array, since a field outside an array
    is compatible with every element of it; anything else is one more array element, whose values all
    count for a leaf.
    """
    fields: dict[str, list[object]] = {}
    items: list[object] = []
    for value in (_resolved(each, views) if isinstance(each, _Deferred) else each for each in values):
        if isinstance(value, Mapping):
            for key, field_value in _view(value, views).items():
                fields.setdefault(key, []).append(field_value)
        elif isinstance(value, list):
            items += value
        else:
            items.append(value)
    if not fields:
        return items
    merged = {key: _deferred(group) for key, group in fields.items()}
    if not items:
        return merged
    return _spread(items, merged, views) if _holds_objects(items) else [*items, merged]


def _holds_objects(items: list[Any]) -> bool:
    return any(
        isinstance(item, Mapping) or (isinstance(item, list) and _holds_objects(item)) for item in items
    )


def _spread(items: list[Any], extra: Mapping[str, Any], views: _Views) -> list[Any]:
    return [
        _spread(item, extra, views)
        if isinstance(item, list)
        else _merge([item, extra], views)
        if isinstance(item, Mapping)
        else item
        for item in items
    ]
