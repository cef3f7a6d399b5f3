"""EventBridge filter objects (``{"prefix": "ab"}``, ``{"numeric": [">", 0]}``...) -> value tests.

:func:`compile_filter` validates one filter object from a leaf array, collecting every problem under
its JSON path, and returns a test on one scalar event value. The JSON value helpers it relies on
(:func:`exact_key`, :func:`is_number`, :func:`json_type`) live here too, so :mod:`.patterns`
imports from this module and never the other way round.

``anything-but`` matches every present leaf value its inner filter does not match, including values of
other types and ``null``. Case-insensitive filters compare ``str.casefold()`` forms. The hosted
service's numeric magnitude limits are not enforced.
"""

from __future__ import annotations

import ipaddress
import json
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeGuard

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
_FilterBuilder = Callable[[Any, str, list[str]], ValueTest | None]


# --- JSON value helpers, shared with the structural compiler in patterns.py ------------------------


def exact_key(value: object) -> ExactKey | None:
    """A hashable key equal to another only for the same JSON type and value (``true`` is not ``1``)."""
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("null", None) if value is None else None


def is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number: an int or float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_type(value: object) -> str:
    """The JSON name of ``value``'s type, for problem messages (the Python name if it has none)."""
    names = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


# --- filter objects ---------------------------------------------------------------------------------


def compile_filter(spec: Mapping[Any, Any], path: str, problems: list[str]) -> ValueTest | bool | None:
    """A filter object -> a value test, or the flag of an ``exists`` filter; None after a problem."""
    if len(spec) != 1:
        problems.append(f"{path}: a filter object must have exactly one key, got {sorted(map(str, spec))}")
        return None
    ((name, argument),) = spec.items()
    if name == "exists":
        if isinstance(argument, bool):
            return argument
        problems.append(f"{path}: exists expects true or false, got {json_type(argument)}")
        return None
    builder = _FILTER_BUILDERS.get(name) if isinstance(name, str) else None
    if builder is None:
        problems.append(f"{path}: unknown filter {name!r}; expected one of {sorted(FILTER_NAMES)}")
        return None
    return builder(argument, path, problems)


def _string_argument(name: str, argument: object, path: str, problems: list[str]) -> str | None:
    if isinstance(argument, str):
        return argument
    problems.append(f"{path}: {name} expects a string, got {json_type(argument)}")
    return None


def _affix_builder(name: str) -> _FilterBuilder:
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
        if not (is_number(bound) and math.isfinite(bound)):
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
    return lambda value: is_number(value) and all(compare(value, bound) for compare, bound in checks)


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
    values = [argument] if isinstance(argument, str) or is_number(argument) else argument
    if _is_string_list(values) or _is_number_list(values):
        keys = frozenset(exact_key(value) for value in values)
        return lambda value: exact_key(value) in keys
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
        and all(is_number(item) and math.isfinite(item) for item in value)
    )


# Every filter name except ``exists``, which compile_filter turns into a flag rather than a test.
_FILTER_BUILDERS: Final[Mapping[str, _FilterBuilder]] = {
    "prefix": _affix_builder("prefix"),
    "suffix": _affix_builder("suffix"),
    EQUALS_IGNORE_CASE: _build_equals_ignore_case,
    "wildcard": _build_wildcard,
    "numeric": _build_numeric,
    "cidr": _build_cidr,
    "anything-but": _build_anything_but,
}
