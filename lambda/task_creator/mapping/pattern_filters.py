"""EventBridge filter objects (``{"prefix": "ab"}``, ``{"numeric": [">", 0]}``...) -> value tests.

:func:`compile_filter` validates one filter object from a leaf array, collecting every problem under
its JSON path, and returns a :class:`CompiledFilter`: a test on one scalar event value (or the flag of
an ``exists`` filter) and the wildcard shapes it holds, which :mod:`.patterns` weighs against
EventBridge's complexity limit. The JSON value helpers (:func:`exact_key`, :func:`is_number`,
:func:`json_type`) and EventBridge's number rules live here too, so :mod:`.patterns` imports from
this module and never the other way round.

The rules follow EventBridge's content filtering documentation and the matcher it runs
(aws/event-ruler): ``anything-but`` matches every present leaf value its inner filter does not match,
including values of other types and ``null``; case-insensitive filters compare each pattern
character with its lower- and upper-case forms, as event-ruler's EqualsIgnoreCaseParser does;
numbers are compared only within -5.0e9..5.0e9 with at most six digits after the decimal point.
"""

from __future__ import annotations

import ipaddress
import json
import math
import operator
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeGuard

EQUALS_IGNORE_CASE: Final = "equals-ignore-case"
FILTER_NAMES: Final = frozenset(
    {"prefix", "suffix", EQUALS_IGNORE_CASE, "wildcard", "anything-but", "exists", "numeric", "cidr"}
)
# Field names EventBridge refuses inside $or: the filter names, the numeric operators, and names
# event-ruler reserves for future filters (its RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
OR_RESERVED_NAMES: Final = FILTER_NAMES | {
    "exactly", "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case",
    "date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
    "ip-address-in-range", "ip-address-not-in-range",
}  # fmt: skip
NUMERIC_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
NUMERIC_LIMIT: Final = Decimal("5E9")  # "limited to values between -5.0e9 and +5.0e9 inclusive"
NUMERIC_DECIMALS: Final = 6  # "15 digits of precision, or six digits to the right of the decimal point"
WILDCARD_COMPLEXITY_LIMIT: Final = 10  # see wildcard_complexity
_COMPLEXITY_STATES_EXPLORED: Final = 100_000
_STAR: Final = -1
_IPV4: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6: Final = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MASK: Final = re.compile(r"[+-]?[0-9]+")

ValueTest = Callable[[object], bool]
ExactKey = tuple[str, object]
WildcardShape = tuple[str, ...]  # the literal pieces between unescaped '*'


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    """One filter object: a value test, or (for ``exists``) the flag; plus the wildcards it holds."""

    test: ValueTest | None = None
    exists: bool | None = None
    wildcards: tuple[WildcardShape, ...] = ()


_FilterBuilder = Callable[[Any, str, list[str]], CompiledFilter | None]


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
    if isinstance(value, float):
        return "number"
    return "null" if value is None else names.get(type(value), type(value).__name__)


# --- numbers: what EventBridge can compare ----------------------------------------------------------


class WrittenFloat(float):
    """A float that remembers how the JSON document wrote it (``1E-325`` parses as ``0.0``)."""

    __slots__ = ("written",)
    written: str

    def __new__(cls, written: str) -> WrittenFloat:
        number = super().__new__(cls, written)
        number.written = written
        return number


def parse_json_float(text: str) -> float:
    """A ``json.loads(parse_float=...)`` hook: floats keep their written text for exact checks."""
    return WrittenFloat(text)


def numeric_problem(value: int | float) -> str | None:
    """Why EventBridge cannot compare the pattern number ``value``, or None when it can."""
    written = getattr(value, "written", None) or repr(value)
    exact = _exact_decimal(value)
    if exact is None or abs(exact) > NUMERIC_LIMIT:
        return f"{written} is outside the range EventBridge compares numbers in, -5.0e9 to 5.0e9"
    if _decimal_places(exact) > NUMERIC_DECIMALS:
        return f"{written} has more than {NUMERIC_DECIMALS} digits after the decimal point"
    return None


def is_comparable(value: object) -> TypeGuard[int | float]:
    """An event number EventBridge's numeric matching works on (in range, at most 6 decimals)."""
    if not is_number(value):
        return False
    if isinstance(value, int):
        return -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT
    exact = _exact_decimal(value)
    return exact is not None and abs(exact) <= NUMERIC_LIMIT and _decimal_places(exact) <= NUMERIC_DECIMALS


def _exact_decimal(value: int | float) -> Decimal | None:
    if isinstance(value, int):
        return Decimal(value)
    try:
        exact = Decimal(getattr(value, "written", None) or repr(value))
    except InvalidOperation:
        return None
    return exact if exact.is_finite() else None


def _decimal_places(exact: Decimal) -> int:
    """Digits after the decimal point, trailing zeros aside (``3.50`` has 1, ``1E-325`` has 325)."""
    _, digits, exponent = exact.as_tuple()
    written = "".join(map(str, digits))
    significant = written.rstrip("0")
    if not significant or not isinstance(exponent, int):
        return 0
    return max(-exponent - (len(written) - len(significant)), 0)


# --- filter objects ---------------------------------------------------------------------------------


def compile_filter(spec: Mapping[Any, Any], path: str, problems: list[str]) -> CompiledFilter | None:
    """A filter object -> a :class:`CompiledFilter`; None after a problem (recorded in ``problems``)."""
    if len(spec) != 1:
        problems.append(f"{path}: a filter object must have exactly one key, got {sorted(map(str, spec))}")
        return None
    ((name, argument),) = spec.items()
    if name == "exists":
        if isinstance(argument, bool):
            return CompiledFilter(exists=argument)
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

    def build(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
        ignore_case = isinstance(argument, Mapping) and list(argument) == [EQUALS_IGNORE_CASE]
        raw = argument[EQUALS_IGNORE_CASE] if isinstance(argument, Mapping) and ignore_case else argument
        text = _string_argument(f"{name} (or its {EQUALS_IGNORE_CASE} form)", raw, path, problems)
        if text is None:
            return None
        if ignore_case:
            return CompiledFilter(_ignore_case_test(text, "prefix" if at_start else "suffix"))
        if at_start:
            return CompiledFilter(lambda value: isinstance(value, str) and value.startswith(text))
        return CompiledFilter(lambda value: isinstance(value, str) and value.endswith(text))

    return build


def _build_equals_ignore_case(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    text = _string_argument(EQUALS_IGNORE_CASE, argument, path, problems)
    return None if text is None else CompiledFilter(_ignore_case_test(text, "whole"))


def _ignore_case_test(text: str, anchor: str) -> ValueTest:
    """Each pattern character matches its lower- or upper-case form (Unicode, locale-independent)."""
    reverse = anchor == "suffix"
    forms = [{character.lower(), character.upper()} for character in text]
    if reverse:
        forms = [{form[::-1] for form in pair} for pair in reversed(forms)]
    regex = re.compile("".join("(?:" + "|".join(map(re.escape, sorted(pair))) + ")" for pair in forms))
    check = regex.fullmatch if anchor == "whole" else regex.match

    def test(value: object) -> bool:
        return isinstance(value, str) and check(value[::-1] if reverse else value) is not None

    return test


def _build_wildcard(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    text = _string_argument("wildcard", argument, path, problems)
    shape = wildcard_shape(text, path, problems) if text is not None else None
    if shape is None:
        return None
    return CompiledFilter(_wildcard_test(shape), wildcards=(shape,))


def wildcard_shape(text: str, path: str, problems: list[str]) -> WildcardShape | None:
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


def _wildcard_test(shape: WildcardShape) -> ValueTest:
    return lambda value: isinstance(value, str) and _wildcard_matches(shape, value)


def _wildcard_matches(segments: WildcardShape, value: str) -> bool:
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


def wildcard_complexity(shapes: Iterable[WildcardShape], limit: int = WILDCARD_COMPLEXITY_LIMIT) -> int:
    """The most wildcard-pattern prefixes one value can match at once (event-ruler's "complexity").

    The shapes are one field's wildcard patterns; EventBridge compiles each as its UTF-8 bytes in
    quotes. A prefix ending in ``*`` keeps matching as more bytes arrive, so ``*a*a*a`` on ``aaa``
    keeps many alive at once: that count, maximised over every possible value, is what EventBridge
    bounds. Exploration stops as soon as the count exceeds ``limit`` (returning it); a search too
    large to finish counts as over the limit.
    """
    programs = [_wildcard_program(shape) for shape in dict.fromkeys(shapes)]
    start = tuple(_closure(program, {0}) for program in programs)
    seen = {start}
    queue = deque([start])
    worst = 0
    while queue:
        current = queue.popleft()
        for byte in _next_bytes(programs, current):
            following = tuple(
                _step(program, states, byte) for program, states in zip(programs, current, strict=True)
            )
            worst = max(worst, sum(map(len, following)))
            if worst > limit or len(seen) > _COMPLEXITY_STATES_EXPLORED:
                return max(worst, limit + 1)
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return worst


def _wildcard_program(shape: WildcardShape) -> tuple[int, ...]:
    """The quoted pattern as bytes, ``_STAR`` where a wildcard stands (as event-ruler stores it)."""
    program: list[int] = [ord('"')]
    for index, segment in enumerate(shape):
        if index:
            program.append(_STAR)
        program.extend(segment.encode("utf-8", "surrogatepass"))
    program.append(ord('"'))
    return tuple(program)


def _closure(program: tuple[int, ...], states: set[int]) -> frozenset[int]:
    """States are "bytes of the pattern consumed"; a state before ``*`` is also past it (empty run)."""
    result = set(states)
    for state in sorted(states):
        position = state
        while position < len(program) and program[position] == _STAR:
            position += 1
            result.add(position)
    return frozenset(result)


def _step(program: tuple[int, ...], states: frozenset[int], byte: int | None) -> frozenset[int]:
    following = {state for state in states if state and program[state - 1] == _STAR}
    following |= {state + 1 for state in states if state < len(program) and program[state] == byte}
    return _closure(program, following)


def _next_bytes(programs: list[tuple[int, ...]], current: tuple[frozenset[int], ...]) -> set[int | None]:
    """The bytes that lead somewhere different, plus ``None`` for "any other byte"."""
    wanted: set[int | None] = {None}
    for program, states in zip(programs, current, strict=True):
        wanted.update(program[state] for state in states if state < len(program) and program[state] != _STAR)
    return wanted


def _build_numeric(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
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
        elif (problem := numeric_problem(bound)) is not None:
            problems.append(f"{path}: numeric bound {problem}")
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
    return CompiledFilter(
        lambda value: is_comparable(value) and all(compare(value, bound) for compare, bound in checks)
    )


def _build_cidr(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    text = _string_argument("cidr", argument, path, problems)
    if text is None:
        return None
    network = _cidr_network(text, path, problems)
    if network is None:
        return None

    def test(value: object) -> bool:
        address = _ip_address(value) if isinstance(value, str) else None
        return address is not None and address.version == network.version and address in network

    return CompiledFilter(test)


def _cidr_network(
    text: str, path: str, problems: list[str]
) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """``address/bits``, as EventBridge reads it: one '/', IPv4 bits 0-31, IPv6 bits 0-127."""
    hint = "cidr expects an IPv4 or IPv6 network like '10.0.0.0/24' or '2001:db8::/32'"
    address_text, slash, mask_text = text.partition("/")
    address = _ip_address(address_text)
    if not slash or "/" in mask_text or not _MASK.fullmatch(mask_text) or address is None:
        problems.append(f"{path}: {hint}, got {text!r}")
        return None
    bits, widest = int(mask_text), 31 if address.version == 4 else 127
    if not 0 <= bits <= widest:
        whole = " (EventBridge refuses a whole-address mask: write the address as a literal value)"
        problems.append(
            f"{path}: cidr mask bits must be 0 to {widest} for IPv{address.version}, got {bits}"
            + (whole if bits > widest else "")
        )
        return None
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A plain IPv4 (dotted decimal) or IPv6 (hex and colons) address, else None."""
    if not (_IPV4.fullmatch(text) or _IPV6.fullmatch(text)):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _build_anything_but(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    if isinstance(argument, Mapping):
        excluded = _excluded_by_filter(argument, path, problems)
    else:
        excluded = _excluded_values(argument, path, problems)
    if excluded is None:
        return None
    test, wildcards = excluded
    return CompiledFilter(lambda value: not test(value), wildcards=wildcards)


_ANYTHING_BUT_INNER: Final = ("prefix", "suffix", "wildcard", EQUALS_IGNORE_CASE)


def _excluded_by_filter(
    argument: Mapping[Any, Any], path: str, problems: list[str]
) -> tuple[ValueTest, tuple[WildcardShape, ...]] | None:
    """``{prefix|suffix|wildcard|equals-ignore-case: string or array of strings}``: what is excluded."""
    inner = _anything_but_inner(argument, path, problems)
    if inner is None:
        return None
    name, texts = inner
    if name == "wildcard":
        shapes = [wildcard_shape(text, path, problems) for text in texts]
        valid = tuple(shape for shape in shapes if shape is not None)
        if len(valid) < len(shapes):
            return None
        return _any_of([_wildcard_test(shape) for shape in valid]), valid
    if name == EQUALS_IGNORE_CASE:
        return _any_of([_ignore_case_test(text, "whole") for text in texts]), ()
    affixes = tuple(texts)
    if name == "prefix":
        return (lambda value: isinstance(value, str) and value.startswith(affixes)), ()
    return (lambda value: isinstance(value, str) and value.endswith(affixes)), ()


def _anything_but_inner(
    argument: Mapping[Any, Any], path: str, problems: list[str]
) -> tuple[str, list[str]] | None:
    """The inner filter's name and its strings, or None after recording why they are refused."""
    name, inner = next(iter(argument.items())) if len(argument) == 1 else (None, None)
    if name not in _ANYTHING_BUT_INNER:
        problems.append(
            f"{path}: anything-but expects one of {list(_ANYTHING_BUT_INNER)} inside an object,"
            f" got {sorted(map(str, argument))}"
        )
        return None
    texts = [inner] if isinstance(inner, str) else inner
    if not (isinstance(texts, list) and all(isinstance(text, str) for text in texts)):
        problems.append(f"{path}: anything-but expects {name} to hold a string or an array of strings")
        return None
    if name in ("prefix", "suffix") and "" in texts:
        problems.append(f"{path}: anything-but {name} must not be an empty string")
        return None
    return str(name), texts


def _any_of(tests: list[ValueTest]) -> ValueTest:
    return lambda value: any(test(value) for test in tests)


def _excluded_values(
    argument: object, path: str, problems: list[str]
) -> tuple[ValueTest, tuple[WildcardShape, ...]] | None:
    """A string, a number, or a non-empty array of only strings or only numbers."""
    values = [argument] if isinstance(argument, str) or is_number(argument) else argument
    if not (_is_string_list(values) or _is_number_list(values)):
        problems.append(
            f"{path}: anything-but expects a string, a number, a non-empty array of only strings or only"
            f" numbers, or an object {{prefix|suffix|wildcard|{EQUALS_IGNORE_CASE}: string(s)}}"
        )
        return None
    number_problems = [
        problem for value in values if is_number(value) and (problem := numeric_problem(value))
    ]
    if number_problems:
        problems.extend(f"{path}: anything-but number {problem}" for problem in number_problems)
        return None
    keys = frozenset(exact_key(value) for value in values)
    return (lambda value: exact_key(value) in keys), ()


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
