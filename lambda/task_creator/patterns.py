"""EventBridge event patterns (content filtering): validate once, compile once, match fast.

Semantics follow Amazon EventBridge's documented content filtering and its reference matcher
(aws/event-ruler): fields AND, values in a leaf array OR, nested objects descend, event arrays match
when any element matches (per element for nested objects, so the fields one pattern object matches
never come from different array elements), a missing field matches only ``{"exists": false}``.

Values compare by JSON type: strings never equal numbers, ``true`` is not ``1``, ``null`` only equals
``null``. Numbers compare by value (``5`` equals ``5.0``) as EventBridge's numeric equality does; a
parsed event cannot tell ``300.0`` from ``3.0e2`` anyway. ``anything-but`` matches every present leaf
value its inner filter does not match, including values of other types and ``null``. Case-insensitive
filters compare ``str.casefold()`` forms. The hosted service's numeric magnitude limits are not enforced.
"""

from __future__ import annotations

import ipaddress
import json
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

ROOT_PATH: Final = "(root)"
OR_KEY: Final = "$or"
EQUALS_IGNORE_CASE: Final = "equals-ignore-case"
FILTER_NAMES: Final = frozenset(
    {"prefix", "suffix", EQUALS_IGNORE_CASE, "wildcard", "anything-but", "exists", "numeric", "cidr"}
)
NUMERIC_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

ValueTest = Callable[[object], bool]
ExactKey = tuple[str, object]
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
        return _exact_key(value) in self.exact or any(test(value) for test in self.tests)


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


def _exact_key(value: object) -> ExactKey | None:
    """A hashable key equal to another only for the same JSON type and value (``true`` is not ``1``)."""
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("null", None) if value is None else None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_json_scalar(value: object) -> bool:
    """A value a pattern may hold literally: string, finite number, boolean or null."""
    return value is None or isinstance(value, str | bool) or (_is_number(value) and math.isfinite(value))


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
        problems.append(f"{ROOT_PATH}: an event pattern must be a JSON object, got {_json_type(pattern)}")
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
            problems.append(f"{key_path}: field names must be strings, got {_json_type(key)}")
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
                f"{key_path}: must be an array of match values or an object, got {_json_type(value)}"
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
            compiled = _compile_filter(value, item_path, problems)
            if isinstance(compiled, bool):
                exists.add(compiled)
            elif compiled is not None:
                tests.append(compiled)
        elif _is_json_scalar(value) and (scalar_key := _exact_key(value)) is not None:
            exact.add(scalar_key)
        else:
            problems.append(
                f"{item_path}: a match value must be a string, finite number, boolean, null "
                f"or filter object, got {_json_type(value)}"
            )
    return _LeafField(key, frozenset(exact), tuple(tests), True in exists, False in exists)


def _json_type(value: object) -> str:
    names = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _compile_filter(spec: Mapping[Any, Any], path: str, problems: list[str]) -> ValueTest | bool | None:
    """A filter object -> a value test, or the flag of an ``exists`` filter; None after a problem."""
    if len(spec) != 1:
        problems.append(f"{path}: a filter object must have exactly one key, got {sorted(map(str, spec))}")
        return None
    ((name, argument),) = spec.items()
    if name == "exists":
        if isinstance(argument, bool):
            return argument
        problems.append(f"{path}: exists expects true or false, got {_json_type(argument)}")
        return None
    builder = _FILTER_BUILDERS.get(name) if isinstance(name, str) else None
    if builder is None:
        problems.append(f"{path}: unknown filter {name!r}; expected one of {sorted(FILTER_NAMES)}")
        return None
    return builder(argument, path, problems)


def _string_argument(name: str, argument: object, path: str, problems: list[str]) -> str | None:
    if isinstance(argument, str):
        return argument
    problems.append(f"{path}: {name} expects a string, got {_json_type(argument)}")
    return None


def _affix_builder(name: str) -> Callable[[object, str, list[str]], ValueTest | None]:
    """``prefix`` / ``suffix``: a string, or ``{"equals-ignore-case": string}``."""
    at_start = name == "prefix"

    def build(argument: object, path: str, problems: list[str]) -> ValueTest | None:
        ignore_case = isinstance(argument, Mapping) and list(argument) == [EQUALS_IGNORE_CASE]
        raw = argument[EQUALS_IGNORE_CASE] if isinstance(argument, Mapping) and ignore_case else argument
        text = _string_argument(f"{name} (or its {EQUALS_IGNORE_CASE} form)", raw, path, problems)
        if text is None:
            return None
        wanted = text.casefold() if ignore_case else text

        def test(value: object) -> bool:
            if not isinstance(value, str):
                return False
            subject = value.casefold() if ignore_case else value
            return subject.startswith(wanted) if at_start else subject.endswith(wanted)

        return test

    return build


def _build_equals_ignore_case(argument: object, path: str, problems: list[str]) -> ValueTest | None:
    text = _string_argument(EQUALS_IGNORE_CASE, argument, path, problems)
    if text is None:
        return None
    wanted = text.casefold()
    return lambda value: isinstance(value, str) and value.casefold() == wanted


def _build_wildcard(argument: object, path: str, problems: list[str]) -> ValueTest | None:
    text = _string_argument("wildcard", argument, path, problems)
    segments = _wildcard_segments(text, path, problems) if text is not None else None
    if segments is None:
        return None
    return lambda value: isinstance(value, str) and _wildcard_matches(segments, value)


def _wildcard_segments(text: str, path: str, problems: list[str]) -> tuple[str, ...] | None:
    """The literal pieces between unescaped ``*``; ``\\*`` is a literal star, ``\\\\`` a backslash."""
    segments: list[str] = []
    current: list[str] = []
    index, previous_was_star = 0, False
    while index < len(text):
        char = text[index]
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            if escaped not in ("*", "\\"):
                problems.append(f"{path}: wildcard allows a backslash only before '*' or another backslash")
                return None
            current.append(escaped)
            index, previous_was_star = index + 2, False
            continue
        if char == "*":
            if previous_was_star:
                problems.append(f"{path}: wildcard must not contain consecutive '*' characters")
                return None
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index, previous_was_star = index + 1, char == "*"
    segments.append("".join(current))
    return tuple(segments)


def _wildcard_matches(segments: tuple[str, ...], value: str) -> bool:
    """Linear-time glob: anchored first and last pieces, middle pieces found leftmost, in order."""
    if len(segments) == 1:
        return value == segments[0]
    first, last = segments[0], segments[-1]
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    position = len(first)
    for segment in segments[1:-1]:
        found = value.find(segment, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True


def _build_numeric(argument: object, path: str, problems: list[str]) -> ValueTest | None:
    """``[op, n]`` with op in = < <= > >=, or a range ``['>' or '>=', low, '<' or '<=', high]``."""
    shape = "numeric expects [operator, number] or ['>' or '>=', number, '<' or '<=', number]"
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        problems.append(f"{path}: {shape}, got {json.dumps(argument, default=repr)}")
        return None
    comparisons = list(zip(argument[0::2], argument[1::2], strict=True))
    before = len(problems)
    for operator_name, bound in comparisons:
        if operator_name not in NUMERIC_OPERATORS:
            problems.append(
                f"{path}: numeric operator must be one of {list(NUMERIC_OPERATORS)}, got {operator_name!r}"
            )
        if not (_is_number(bound) and math.isfinite(bound)):
            problems.append(f"{path}: numeric expects a finite number after each operator, got {bound!r}")
    if len(problems) > before:
        return None
    if len(comparisons) == 2:
        (low_name, low), (high_name, high) = comparisons
        if low_name not in (">", ">=") or high_name not in ("<", "<="):
            problems.append(f"{path}: {shape}, got {json.dumps(argument)}")
            return None
        if not low < high:
            problems.append(f"{path}: numeric lower bound {low!r} must be less than upper bound {high!r}")
            return None
    checks = tuple((NUMERIC_OPERATORS[name], bound) for name, bound in comparisons)
    return lambda value: _is_number(value) and all(compare(value, bound) for compare, bound in checks)


def _build_cidr(argument: object, path: str, problems: list[str]) -> ValueTest | None:
    text = _string_argument("cidr", argument, path, problems)
    if text is None:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as error:
        problems.append(f"{path}: cidr expects an IPv4 or IPv6 network like '10.0.0.0/24': {error}")
        return None

    def test(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return test


def _build_anything_but(argument: object, path: str, problems: list[str]) -> ValueTest | None:
    excluded = _excluded_values(argument, path, problems)
    return None if excluded is None else lambda value: not excluded(value)


def _excluded_values(argument: object, path: str, problems: list[str]) -> ValueTest | None:
    """The filter an ``anything-but`` negates."""
    if isinstance(argument, Mapping) and len(argument) == 1:
        ((name, inner),) = argument.items()
        if name in ("prefix", "suffix", "wildcard") and isinstance(inner, str) and inner:
            return _FILTER_BUILDERS[name](inner, path, problems)
        if name == EQUALS_IGNORE_CASE and (isinstance(inner, str) or _is_string_list(inner)):
            folded = frozenset(text.casefold() for text in ([inner] if isinstance(inner, str) else inner))
            return lambda value: isinstance(value, str) and value.casefold() in folded
    values = [argument] if isinstance(argument, str) or _is_number(argument) else argument
    if _is_string_list(values) or _is_number_list(values):
        keys = frozenset(_exact_key(value) for value in values)
        return lambda value: _exact_key(value) in keys
    problems.append(
        f"{path}: anything-but expects a string, a number, a non-empty array of only strings or only "
        f"numbers, {{prefix|suffix|wildcard: non-empty string}} or {{{EQUALS_IGNORE_CASE}: string(s)}}"
    )
    return None


def _is_string_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _is_number_list(value: object) -> TypeGuard[list[int | float]]:
    return (
        isinstance(value, list)
        and bool(value)
        and all(_is_number(item) and math.isfinite(item) for item in value)
    )


_FILTER_BUILDERS: Final[Mapping[str, Callable[[Any, str, list[str]], ValueTest | None]]] = {
    "prefix": _affix_builder("prefix"),
    "suffix": _affix_builder("suffix"),
    EQUALS_IGNORE_CASE: _build_equals_ignore_case,
    "wildcard": _build_wildcard,
    "numeric": _build_numeric,
    "cidr": _build_cidr,
    "anything-but": _build_anything_but,
}
