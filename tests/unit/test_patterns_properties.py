"""Properties of EventBridge pattern matching, checked with generated events and patterns."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from task_creator.mapping.patterns import EventPattern, validate_pattern

MODEST = settings(max_examples=100, deadline=None)

field_names = st.text(alphabet="abcdef-", min_size=1, max_size=6)
strings = st.text(alphabet="aAbB.-*\\ é", max_size=8)
numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | numbers | strings
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
@given(st.one_of(strings, numbers), st.one_of(scalars, st.just(5), st.just("x")))
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
        low, high = min(low, high), max(low, high) + 1
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
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 32))
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
