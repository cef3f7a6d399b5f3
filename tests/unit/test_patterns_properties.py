"""Properties of EventBridge pattern matching, checked with generated events and patterns."""

from __future__ import annotations

import ipaddress
import itertools
import re
from decimal import Decimal
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from task_creator.mapping.pattern_wildcards import wildcard_complexity, wildcard_shape
from task_creator.mapping.patterns import EventPattern, validate_pattern

MODEST = settings(max_examples=100, deadline=None)

field_names = st.text(alphabet="abcdef-", min_size=1, max_size=6)
strings = st.text(alphabet="aAbB.-*\\ é", max_size=8)
# Numbers EventBridge compares: within -5.0e9..5.0e9, at most six digits after the decimal point.
numbers = st.integers(-1000, 1000) | st.decimals(-(10**6), 10**6, places=6).map(float)
uncomparable_numbers = (
    st.integers(5_000_000_001, 10**12)
    | st.floats(5.0e9 + 1, 1e300)
    | st.floats(-1e6, 1e6).filter(lambda value: round(value, 6) != value)
).flatmap(lambda value: st.sampled_from([value, -value]))
any_numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | any_numbers | strings
leaves = scalars | st.lists(scalars, max_size=4)
event_objects = st.recursive(
    st.dictionaries(field_names, leaves, min_size=1, max_size=4),
    lambda children: st.dictionaries(field_names, leaves | children, min_size=1, max_size=4),
    max_leaves=12,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(field_names, inner, max_size=3),
    max_leaves=6,
)


def own_values_pattern(event_object: dict[str, Any], choose: st.DataObject) -> dict[str, Any]:
    """A pattern that asks, field by field, for values the event itself holds."""
    pattern: dict[str, Any] = {}
    for key, value in event_object.items():
        if isinstance(value, dict) and (nested := own_values_pattern(value, choose)):
            pattern[key] = nested
        elif isinstance(value, list) and value:
            pattern[key] = [choose.draw(st.sampled_from(value))]
        elif not isinstance(value, dict | list):
            pattern[key] = [value]
    return pattern


def leaf_pattern(match_values: list[Any]) -> EventPattern:
    return EventPattern.compile({"detail": {"field": match_values}})


def event_with(value: object) -> dict[str, Any]:
    return {"source": "acme.orders", "detail": {"field": value}}


@MODEST
@given(event_objects, st.data())
def test_pattern_of_the_events_own_values_matches_it(event_object: dict[str, Any], choose: st.DataObject):
    pattern = own_values_pattern(event_object, choose)
    assume(pattern)

    assert EventPattern.compile(pattern).matches(event_object)


@MODEST
@given(st.one_of(strings, numbers), st.one_of(scalars, numbers, st.just(5), st.just("x")))
def test_anything_but_a_value_matches_exactly_when_the_value_does_not(excluded: Any, value: Any):
    exact = leaf_pattern([excluded]).matches(event_with(value))
    anything_but = leaf_pattern([{"anything-but": [excluded]}]).matches(event_with(value))

    assert anything_but is not exact


@MODEST
@given(st.one_of(json_values, st.just(None)), st.booleans())
def test_exists_true_and_exists_false_are_complementary(value: Any, present: bool):
    event = event_with(value) if present else {"source": "acme.orders", "detail": {}}

    exists = leaf_pattern([{"exists": True}]).matches(event)
    missing = leaf_pattern([{"exists": False}]).matches(event)

    assert exists is not missing


@MODEST
@given(numbers, st.sampled_from([">", ">="]), numbers, st.sampled_from(["<", "<="]), numbers)
def test_numeric_range_agrees_with_python_comparisons(
    low: float, low_op: str, high: float, high_op: str, value: float
):
    if not low < high:
        low, high = min(low, high), float(Decimal(repr(max(low, high))) + 1)
    above = value > low if low_op == ">" else value >= low
    below = value < high if high_op == "<" else value <= high

    matched = leaf_pattern([{"numeric": [low_op, low, high_op, high]}]).matches(event_with(value))

    assert matched is (above and below)


@MODEST
@given(st.sampled_from(["=", "<", "<=", ">", ">="]), numbers, numbers)
def test_single_numeric_comparison_agrees_with_python(operator_name: str, bound: float, value: float):
    expected = {
        "=": value == bound,
        "<": value < bound,
        "<=": value <= bound,
        ">": value > bound,
        ">=": value >= bound,
    }[operator_name]

    assert leaf_pattern([{"numeric": [operator_name, bound]}]).matches(event_with(value)) is expected


@MODEST
@given(uncomparable_numbers, st.sampled_from(["=", "<", "<=", ">", ">="]), numbers)
def test_numbers_eventbridge_cannot_compare_never_match_a_numeric_filter(
    value: float, operator_name: str, bound: float
):
    """EventBridge's numeric matching "is limited to values between -5.0e9 and +5.0e9 inclusive, with 15
    digits of precision, or six digits to the right of the decimal point"."""
    assert not leaf_pattern([{"numeric": [operator_name, bound]}]).matches(event_with(value))


@MODEST
@given(uncomparable_numbers)
def test_numeric_bounds_eventbridge_cannot_compare_are_refused(bound: float):
    problems = validate_pattern({"detail": {"field": [{"numeric": [">", bound]}]}})

    assert [problem.split(": ")[0] for problem in problems] == ["detail.field[0]"]


def dotted(pattern: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The same pattern with every nested object written as dotted field names."""
    flat: dict[str, Any] = {}
    for key, value in pattern.items():
        if isinstance(value, dict):
            flat.update(dotted(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@MODEST
@given(event_objects, event_objects, st.data())
def test_dotted_field_names_mean_the_nested_fields(
    event_object: dict[str, Any], other: dict[str, Any], choose: st.DataObject
):
    """event-ruler joins field names with "." into one flattened name, in patterns and events alike."""
    pattern = own_values_pattern(event_object, choose)
    assume(pattern)

    for candidate in (event_object, other):
        expected = EventPattern.compile(pattern).matches(candidate)
        assert EventPattern.compile(dotted(pattern)).matches(candidate) is expected
        assert EventPattern.compile(pattern).matches(dotted(candidate)) is expected


def reference_complexity(wildcard: str, longest: int) -> int:
    """Most prefixes of the quoted wildcard that one byte string fully matches, by brute force."""
    shape = wildcard_shape(wildcard, "test", [])
    assert shape is not None
    quoted = '"' + "*".join(piece.replace("\\", "\\\\").replace("*", "\\*") for piece in shape) + '"'
    tokens = re.findall(r"\\.|.", quoted)
    prefixes = [
        re.compile(
            "".join(".*" if token == "*" else re.escape(token[-1]) for token in tokens[:end]), re.DOTALL
        )
        for end in range(1, len(tokens) + 1)
    ]
    alphabet = sorted({token[-1] for token in tokens if token != "*"} | {"z"})
    return max(
        sum(prefix.fullmatch("".join(value)) is not None for prefix in prefixes)
        for length in range(1, longest + 1)
        for value in itertools.product(alphabet, repeat=length)
    )


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab*", max_size=4).filter(lambda text: "**" not in text))
def test_wildcard_complexity_counts_the_prefixes_one_value_matches_at_once(wildcard: str):
    """event-ruler's complexity: "how many wildcard rule prefixes match a theoretical worst-case event"."""
    shape = wildcard_shape(wildcard, "test", [])
    assert shape is not None

    assert wildcard_complexity([shape], limit=100) == reference_complexity(wildcard, longest=7)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*", max_size=6), st.text(alphabet="ab*", max_size=6))
def test_wildcard_agrees_with_an_equivalent_regular_expression(wildcard: str, value: str):
    if "**" in wildcard:
        return
    regex = ".*".join(re.escape(piece) for piece in wildcard.split("*"))

    matched = leaf_pattern([{"wildcard": wildcard}]).matches(event_with(value))

    assert matched is (re.fullmatch(regex, value, flags=re.DOTALL) is not None)


@MODEST
@given(strings, strings)
def test_prefix_and_suffix_agree_with_str_methods(affix: str, value: str):
    assert leaf_pattern([{"prefix": affix}]).matches(event_with(value)) is value.startswith(affix)
    assert leaf_pattern([{"suffix": affix}]).matches(event_with(value)) is value.endswith(affix)


@MODEST
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 31))
def test_cidr_agrees_with_comparing_the_leading_bits(network: int, address: int, prefix_length: int):
    shift = 32 - prefix_length
    cidr = f"{ipaddress.IPv4Address(network)}/{prefix_length}"

    matched = leaf_pattern([{"cidr": cidr}]).matches(event_with(str(ipaddress.IPv4Address(address))))

    assert matched is (network >> shift == address >> shift)


@MODEST
@given(st.one_of(json_values, st.dictionaries(field_names | st.just("$or"), json_values)))
def test_validation_never_raises_and_agrees_with_compile(pattern: Any):
    problems = validate_pattern(pattern)

    assert all(isinstance(problem, str) and ": " in problem for problem in problems)
    if not problems:
        EventPattern.compile(pattern)
