"""EventBridge's documented pattern behaviour, statement by statement.

Every test quotes the statement it checks. Sources:

- [OPS] Comparison operators for use in event patterns (EventBridge user guide),
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
- [CF] Content filtering in Amazon EventBridge event patterns (the same topics in the user guide's
  sources, github.com/awsdocs/amazon-eventbridge-user-guide, eb-event-patterns-content-based-filtering.md)
- [ARR] Arrays in Amazon EventBridge event patterns,
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
- [QUOTA] Amazon EventBridge quotas, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
- [RULER] aws/event-ruler README (the matcher EventBridge runs), https://github.com/aws/event-ruler
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # dev-only, no stubs pinned

from task_creator.errors import MappingFileError
from task_creator.mapping.pattern_wildcards import (
    WILDCARD_COMPLEXITY_LIMIT,
    wildcard_complexity,
    wildcard_shape,
)
from task_creator.mapping.patterns import EventPattern, PatternError, validate_pattern
from task_creator.mapping.rules import parse_mapping
from tests.support import MAPPING_SCHEMA_FILE, load_json

ABSENT = object()


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return EventPattern.compile(pattern).matches(event)


def state_matches(match_values: list[Any], state: object) -> bool:
    """Does ``{"detail": {"state": match_values}}`` match an event whose detail.state is ``state``?"""
    detail = {} if state is ABSENT else {"state": state}
    return matches({"detail": {"state": match_values}}, {"source": "acme.orders", "detail": detail})


def problem_of(pattern: object) -> str:
    problems = validate_pattern(pattern)
    assert len(problems) == 1, problems
    return problems[0]


def complexity(*wildcards: str) -> int:
    return wildcard_complexity([_shape(text) for text in wildcards], limit=100)


def _shape(text: str) -> tuple[str, ...]:
    shape = wildcard_shape(text, "test", [])
    assert shape is not None
    return shape


# --- anything-but with a list inside prefix, suffix or wildcard --------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param("post-init", True, id="starts-with-neither"),
        pytest.param("init-done", False, id="starts-with-the-first"),
        pytest.param("error-42", False, id="starts-with-the-second"),
        pytest.param(12, True, id="a-number-starts-with-no-string"),
        pytest.param(None, True, id="null-starts-with-no-string"),
        pytest.param(ABSENT, False, id="absent-field"),
    ],
)
def test_anything_but_prefix_list_matches_values_starting_with_none_of_them(state: object, expected: bool):
    """[RULER] "Anything-but ... may be applied to a prefix, suffix, or equals-ignore-case match of a
    string or a list of strings": ``{"anything-but": {"prefix": ["init", "error"]}}``. [CF]
    "Anything-but matching matches anything except what's provided in the rule.\""""
    assert state_matches([{"anything-but": {"prefix": ["init", "error"]}}], state) is expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param("i-00001234", False, id="ends-with-the-first"),
        pytest.param("i-00006789", False, id="ends-with-the-second"),
        pytest.param("i-00005555", True, id="ends-with-neither"),
    ],
)
def test_anything_but_suffix_list_matches_values_ending_with_none_of_them(state: object, expected: bool):
    """[RULER] "Anything-but suffix list (strings)": ``{"anything-but": {"suffix": ["1234", "6789"]}}``."""
    assert state_matches([{"anything-but": {"suffix": ["1234", "6789"]}}], state) is expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param("app/bin/run.jar", False, id="first-wildcard"),
        pytest.param("app/bin/Main.class", False, id="second-wildcard"),
        pytest.param("app/lib/run.jar", True, id="neither"),
    ],
)
def test_anything_but_wildcard_list_matches_values_neither_wildcard_matches(state: object, expected: bool):
    """[RULER] "Anything-but wildcard list (strings)": ``["*/bin/*.jar", "*/bin/*.class"]``."""
    assert (
        state_matches([{"anything-but": {"wildcard": ["*/bin/*.jar", "*/bin/*.class"]}}], state) is expected
    )


def test_anything_but_equals_ignore_case_list_excludes_every_casing_of_each():
    """[RULER] "Anything-but-ignore-case list (strings)": ``["Stopped", "OverLoaded"]``; [OPS] "State is
    any value besides "initializing" or any other casing variation, such as "INITIALIZING".\""""
    values = [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]

    assert [state_matches(values, state) for state in ("STOPPED", "overloaded", "running")] == [
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    "inner",
    [
        pytest.param({"prefix": ["init", 5]}, id="prefix-list-with-a-number"),
        pytest.param({"suffix": [None, ".txt"]}, id="suffix-list-with-null"),
        pytest.param({"wildcard": [123, "*/dir/*"]}, id="wildcard-list-with-a-number"),
        pytest.param({"wildcard": ["a**b"]}, id="wildcard-list-with-consecutive-stars"),
        pytest.param({"prefix": ["init", ""]}, id="empty-prefix-in-a-list"),
        pytest.param({"suffix": ""}, id="empty-suffix"),
        pytest.param({"prefix": {"equals-ignore-case": "file"}}, id="prefix-ignore-case-inside"),
        pytest.param({"equals-ignore-case": [123, 456]}, id="ignore-case-list-of-numbers"),
        pytest.param({"exists": True}, id="exists-inside"),
    ],
)
def test_anything_but_refuses_what_it_cannot_hold(inner: dict[str, Any]):
    """[RULER] anything-but "may be applied to a prefix, suffix, or equals-ignore-case match of a string
    or a list of strings" (and to wildcards): nothing else, and never an empty prefix or suffix."""
    problem = problem_of({"detail": {"state": [{"anything-but": inner}]}})

    assert problem.startswith("detail.state[0]: ")
    assert "anything-but" in problem or "wildcard" in problem


# --- anything-but with an empty wildcard -------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        pytest.param("dir/init/file", True, id="non-empty-string"),
        pytest.param("", False, id="empty-string"),
        pytest.param(7, True, id="number"),
    ],
)
def test_anything_but_empty_wildcard_excludes_only_the_empty_string(state: object, expected: bool):
    """[RULER] a wildcard "value can contain zero to many wildcard characters", so ``""`` is the wildcard
    matching only the empty string, and anything-but of it is every other value."""
    assert validate_pattern({"detail": {"state": [{"anything-but": {"wildcard": ""}}]}}) == []
    assert state_matches([{"anything-but": {"wildcard": ""}}], state) is expected


# --- field names that contain dots -------------------------------------------------------------------


def test_dotted_pattern_name_matches_the_nested_event_field():
    """[RULER] "When Ruler compiles keys, it uses dot (.) as the joining character. This means it will
    compile the following two rules to the same internal representation":
    ``{"detail": {"state": {"status": ["running"]}}}`` and ``{"detail": {"state.status": ["running"]}}``."""
    pattern = {"detail": {"state.status": ["running"]}}

    assert matches(pattern, {"detail": {"state": {"status": "running"}}})
    assert not matches(pattern, {"detail": {"state": {"status": "stopped"}}})
    assert not matches(pattern, {"detail": {"state": {"status": {"status": "running"}}}})


def test_nested_pattern_matches_an_event_field_whose_name_holds_dots():
    """[RULER] "It also means that these rules will match against following two events":
    ``{"detail": {"state": {"status": "running"}}}`` and ``{"detail": {"state.status": "running"}}``."""
    pattern = {"detail": {"state": {"status": ["running"]}}}

    assert matches(pattern, {"detail": {"state.status": "running"}})
    assert matches(pattern, {"detail.state.status": "running"})
    assert not matches(pattern, {"detail": {"state.status": {"status": "running"}}})


def test_fields_of_one_object_may_come_from_dotted_and_nested_names_alike():
    """[RULER] keys are joined with "." into one flattened name, so ``{"a": {"x": 1}, "a.y": 2}`` holds
    both ``a.x`` and ``a.y``; a field outside an array is in no element of it, so it pairs with any."""
    pattern = {"detail": {"order": {"id": ["o-1"], "state": ["late"]}}}

    assert matches(pattern, {"detail": {"order": {"id": "o-1"}, "order.state": "late"}})
    assert matches(pattern, {"detail": {"order": [{"id": "o-2"}, {"id": "o-1"}], "order.state": "late"}})
    assert not matches(pattern, {"detail": {"order": {"id": "o-1"}, "order.state": "early"}})


def test_a_flattened_name_written_twice_keeps_its_last_value_array():
    """[CF] "When building event patterns, if you include a key more than once the last reference will be
    the one used to evaluate events." ``state.status`` and ``state: {status}`` are one key."""
    pattern = {"detail": {"state.status": ["running"], "state": {"status": ["stopped"]}}}

    assert matches(pattern, {"detail": {"state": {"status": "stopped"}}})
    assert not matches(pattern, {"detail": {"state": {"status": "running"}}})


# --- wildcard complexity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wildcard", "refused"),
    [
        pytest.param("*:*:*:*:*:event-bus/*", True, id="many-stars-separated-by-text"),
        pytest.param("arn:aws:events:us-east-1:*:event-bus/*", False, id="fewer-stars"),
        pytest.param("/Users/*/dir/dir/dir/dir/dir/doc.txt", False, id="repeats-within-the-limit"),
        pytest.param("/Users/*/doc.txt", False, id="no-repeats"),
    ],
)
def test_too_complex_wildcards_are_refused_at_load(wildcard: str, refused: bool):
    """[RULER] "It is important to limit machine complexity": the complexity of a wildcard is "how many
    wildcard rule prefixes match a theoretical worst-case event", and EventBridge refuses a rule with
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences
    after a wildcard character". These are the user guide's own examples of a pattern to simplify and
    of its simpler form (Matching using wildcards)."""
    problems = validate_pattern({"detail": {"EventBusArn": [{"wildcard": wildcard}]}})

    assert bool(problems) is refused
    if refused:
        assert problems[0].startswith("detail.EventBusArn: EventBridge refuses the wildcard patterns")
        assert "'detail.EventBusArn'" in problems[0]
        assert "fewer '*'" in problems[0]


def test_complexity_limit_is_ten_prefixes_per_field():
    """[RULER] strategy #2, "limit each single-rule machine to complexity of 10, and allow for 30 rules
    containing wildcard patterns", is the pair of numbers EventBridge applies: [QUOTA] "Rules containing
    wildcards: 30 rules per event bus". A value of nine ``a`` keeps ten prefixes of ``x*aaaaaaaaa`` alive."""
    assert WILDCARD_COMPLEXITY_LIMIT == 10
    assert complexity("x*aaaaaaaaa") == 10
    assert complexity("x*aaaaaaaaaa") == 11
    assert validate_pattern({"file": [{"wildcard": "x*aaaaaaaaa"}]}) == []
    assert validate_pattern({"file": [{"wildcard": "x*aaaaaaaaaa"}]}) != []


def test_complexity_grows_with_stars_and_with_repeats_after_a_star():
    """[RULER] "wildcard rules pertaining to the same event field should avoid common prefixes leading
    up to their first wildcard character ... use the minimum number of wildcard characters and limit
    repeating character sequences that occur following a wildcard character.\""""
    assert complexity("abc") < complexity("a*bc") < complexity("a*b*c") < complexity("*a*a*a*a")
    assert complexity("x*abcd") < complexity("x*aaaa")


def test_wildcards_on_one_field_are_weighed_together_even_across_or_and_anything_but():
    """[RULER] the limit is on the machine of a field: every wildcard and anything-but wildcard pattern
    of that field counts (``MATCH_TYPES_WITH_COMPLEXITY``); each alone is within it here, together not."""
    assert (complexity("*aaaaa"), complexity("*aaaa"), complexity("*aaaaa", "*aaaa")) == (6, 5, 11)
    wildcard, other = {"wildcard": "*aaaaa"}, {"wildcard": "*aaaa"}

    assert validate_pattern({"path": [wildcard]}) == []
    assert validate_pattern({"path": [{"anything-but": other}]}) == []
    assert validate_pattern({"path": [wildcard, {"anything-but": other}]}) != []
    assert validate_pattern({"$or": [{"path": [wildcard]}, {"path": [other]}]}) != []
    assert validate_pattern({"path": [wildcard], "other": [other]}) == []


def test_too_complex_wildcard_is_reported_with_the_rule_label():
    """The loader prefixes pattern problems with the rule; the problem names the field (see above)."""
    document = {
        "rules": [
            {
                "name": "bus-events",
                "match": {"detail": {"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}},
                "task": {"Name": "n"},
            }
        ]
    }

    with pytest.raises(MappingFileError) as raised:
        parse_mapping(document)

    assert raised.value.problems[0].startswith(
        "rule 'bus-events': match.detail.EventBusArn: EventBridge refuses the wildcard patterns"
    )


# --- numbers EventBridge can compare ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bound", "accepted"),
    [
        pytest.param(5.0e9, True, id="upper-limit"),
        pytest.param(-5_000_000_000, True, id="lower-limit"),
        pytest.param(5_000_000_001, False, id="above-the-range"),
        pytest.param(-5.0e9 - 1, False, id="below-the-range"),
        pytest.param(0.000001, True, id="six-decimals"),
        pytest.param(1234.567891, True, id="six-decimals-after-an-integer-part"),
        pytest.param(0.0000001, False, id="seven-decimals"),
        pytest.param(1e-300, False, id="tiny"),
        pytest.param(1.5e3, True, id="exponent-without-decimals"),
    ],
)
def test_numeric_bounds_outside_what_eventbridge_compares_are_refused(bound: float, accepted: bool):
    """[CF] "Numeric matching works with values that are JSON numbers. It is limited to values between
    -5.0e9 and +5.0e9 inclusive, with 15 digits of precision, or six digits to the right of the decimal
    point." EventBridge refuses such a bound rather than rounding it."""
    problems = validate_pattern({"amount": [{"numeric": [">=", bound]}]})

    assert (problems == []) is accepted
    if not accepted:
        assert problems[0].startswith("amount[0]: numeric bound ")


def test_numbers_are_checked_as_written_not_as_rounded():
    """[CF] the same limit: ``1E-325`` has 325 digits after the decimal point even though a float reads
    it as ``0.0``, so a pattern read with :meth:`EventPattern.from_json` refuses it."""
    with pytest.raises(PatternError) as raised:
        EventPattern.from_json('{"amount": [{"numeric": [">", 1E-325]}]}')

    assert raised.value.problems == (
        "amount[0]: numeric bound 1E-325 has more than 6 digits after the decimal point",
    )
    assert EventPattern.from_json('{"amount": [{"numeric": [">", 1.5E-5]}]}').matches({"amount": 1})


def test_anything_but_numbers_obey_the_same_limit():
    """[CF] anything-but works "with strings and numeric values"; its numbers are compared like any
    numeric match, so they are limited the same way."""
    assert validate_pattern({"limit": [{"anything-but": [100, 200]}]}) == []
    assert problem_of({"limit": [{"anything-but": [100, 6e9]}]}).startswith("limit[0]: anything-but number ")
    assert problem_of({"limit": [{"anything-but": 0.1234567}]}).startswith("limit[0]: anything-but number ")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        pytest.param(42, True, id="in-range"),
        pytest.param(4.999999, True, id="six-decimals"),
        pytest.param(6_000_000_000, False, id="beyond-the-range"),
        pytest.param(1.0000001, False, id="seven-decimals"),
        pytest.param("42", False, id="string"),
        pytest.param(None, False, id="null"),
    ],
)
def test_numeric_filters_match_only_numbers_eventbridge_compares(amount: object, expected: bool):
    """[CF] "Numeric matching works with values that are JSON numbers. It is limited to values between
    -5.0e9 and +5.0e9 inclusive ... or six digits to the right of the decimal point.\""""
    assert matches({"amount": [{"numeric": [">", 0]}]}, {"amount": amount}) is expected


def test_a_plain_number_outside_the_numeric_range_still_matches_itself():
    """[RULER] a rule's number gets a numeric matcher only when it can be one ("the number might not be
    representable as a ComparableNumber, for example an AWS account number, so make that condition
    survivable", JsonRuleCompiler); the literal still matches the same number."""
    pattern = {"detail": {"account": [111122223333]}}

    assert matches(pattern, {"detail": {"account": 111122223333}})
    assert not matches(pattern, {"detail": {"account": 111122223334}})


# --- $or --------------------------------------------------------------------------------------------


def test_or_alternatives_combine_with_the_fields_around_them():
    """[OPS] "Or | Location is "New York", or Day is "Monday"." [RULER] "Effect of "source" &&
    ("metricName" || "namespace")"."""
    pattern = {
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
    }

    assert matches(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/ES"})
    assert matches(pattern, {"source": "aws.cloudwatch", "metricName": "ReadLatency"})
    assert not matches(pattern, {"source": "aws.cloudwatch", "metricName": "Other"})
    assert not matches(pattern, {"source": "aws.ec2", "namespace": "AWS/ES"})


def test_an_or_alternative_and_the_fields_around_it_use_one_array_element():
    """[RULER] "rulesForJSONEvent() will refuse to recognize any match in which any two fields are within
    JSON objects that are in different elements of the same array": each $or alternative with the fields
    around it is one rule, so its fields and theirs are held to one element."""
    pattern = {"detail": {"item": {"sku": ["A"]}, "$or": [{"item": {"qty": [2]}}, {"rush": [True]}]}}

    assert matches(pattern, {"detail": {"item": [{"sku": "B", "qty": 2}, {"sku": "A", "qty": 2}]}})
    assert not matches(pattern, {"detail": {"item": [{"sku": "A"}, {"qty": 2}]}})
    assert matches(pattern, {"detail": {"item": [{"sku": "A"}], "rush": True}})


def test_a_field_an_or_alternative_repeats_takes_the_alternatives_value():
    """[CF] "if you include a key more than once the last reference will be the one used to evaluate
    events": within an alternative, its own values for a field replace the ones written before it."""
    pattern = {"detail": {"priority": ["high", "low"], "$or": [{"priority": ["urgent"]}, {"vip": [True]}]}}

    assert matches(pattern, {"detail": {"priority": "urgent"}})
    assert matches(pattern, {"detail": {"priority": "low", "vip": True}})
    assert not matches(pattern, {"detail": {"priority": "low"}})


@pytest.mark.parametrize(
    ("pattern", "where"),
    [
        pytest.param({"$or": [{"a": ["x"]}]}, "$or: ", id="one-alternative"),
        pytest.param({"$or": [{"a": ["x"]}, {"numeric": ["y"]}]}, "$or[1].numeric: ", id="filter-name"),
        pytest.param({"$or": [{"a": ["x"]}, {"b": {">=": [1]}}]}, "$or[1].b.>=: ", id="numeric-operator"),
        pytest.param({"$or": [{"a": ["x"]}, {"exactly": ["y"]}]}, "$or[1].exactly: ", id="reserved-word"),
    ],
)
def test_or_needs_two_alternatives_without_reserved_field_names(pattern: dict[str, Any], where: str):
    """[RULER] "There are 2+ objects in the "$or" array at least" and "There is no filed name using Ruler
    keywords in Object of "$or" array" (RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP)."""
    assert problem_of(pattern).startswith(where)


# --- exists ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "exists"),
    [
        pytest.param([], False, id="empty-array-holds-no-value"),
        pytest.param([None], True, id="array-holding-null"),
        pytest.param([[], []], False, id="arrays-of-empty-arrays"),
        pytest.param(None, True, id="null"),
        pytest.param("", True, id="empty-string"),
        pytest.param({"S": "x"}, False, id="object-is-not-a-leaf"),
    ],
)
def test_exists_sees_a_leaf_value(value: object, exists: bool):
    """[CF] "Exists matching only works on leaf nodes. It does not work on intermediate nodes." [ARR] an
    array field matches when its intersection with the pattern is non-empty: ``[]`` holds no value."""
    assert state_matches([{"exists": True}], value) is exists
    assert state_matches([{"exists": False}], value) is not exists


def test_exists_false_matches_when_an_intermediate_object_is_missing():
    """[CF] "The preceding event pattern also matches the following event because c-count isn't a leaf
    node" (and, with no detail.c-count at all, there is no leaf to find)."""
    pattern = {"detail": {"c-count": [{"exists": False}]}}

    assert matches(pattern, {"detail": {"state": ["initializing", "running"]}})
    assert matches(pattern, {"detail": {"state": "x", "c-count": {"c1": 100}}})
    assert not matches(pattern, {"detail": {"c-count": 5}})


# --- equals-ignore-case, prefix and suffix ----------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "state", "expected"),
    [
        pytest.param([{"equals-ignore-case": "alice"}], "ALICE", True, id="equals-ignore-case"),
        pytest.param([{"equals-ignore-case": "alice"}], "Alicia", False, id="equals-is-whole-value"),
        pytest.param([{"prefix": {"equals-ignore-case": "eventb"}}], "EventBridge", True, id="prefix"),
        pytest.param([{"prefix": {"equals-ignore-case": "eventb"}}], "Event", False, id="prefix-too-short"),
        pytest.param([{"suffix": {"equals-ignore-case": "tBridge"}}], "EVENTBRIDGE", True, id="suffix"),
        pytest.param([{"suffix": {"equals-ignore-case": ".png"}}], "photo.jpg", False, id="suffix-other"),
        pytest.param([{"equals-ignore-case": "straße"}], "STRASSE", True, id="upper-case-form-of-a-letter"),
        pytest.param([{"equals-ignore-case": "STRASSE"}], "straße", False, id="not-a-case-folding"),
        pytest.param([{"equals-ignore-case": "5"}], 5, False, id="strings-only"),
    ],
)
def test_ignore_case_filters_match_each_letter_in_either_case(
    values: list[Any], state: object, expected: bool
):
    """[OPS] "Equals (ignore case) | Name is "Alice" | [{"equals-ignore-case": "alice"}]"; "Begins with
    (ignore case) | Service name starts with the letters "eventb", regardless of case"; "Ends with
    (ignore case)". [RULER] "Equals-ignore-case matches only work on string-valued fields"; each pattern
    letter matches its lower- or its upper-case form (event-ruler's EqualsIgnoreCaseParser)."""
    assert state_matches(values, state) is expected


@pytest.mark.parametrize(
    ("values", "state", "expected"),
    [
        pytest.param([{"prefix": ""}], "anything", True, id="empty-prefix-matches-every-string"),
        pytest.param([{"suffix": ""}], 5, False, id="empty-suffix-matches-no-number"),
        pytest.param([{"equals-ignore-case": ""}], "", True, id="empty-ignore-case"),
        pytest.param([{"wildcard": ""}], "x", False, id="empty-wildcard-matches-only-empty"),
    ],
)
def test_empty_string_filters(values: list[Any], state: object, expected: bool):
    """[RULER] "Prefix matches only work on string-valued fields" and every string starts with ``""``;
    a wildcard "can contain zero to many wildcard characters"."""
    assert state_matches(values, state) is expected


# --- cidr -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "address", "expected"),
    [
        pytest.param("10.0.0.0/24", "10.0.0.255", True, id="ipv4-inside"),
        pytest.param("10.0.0.0/24", "10.0.0.256", False, id="not-an-address"),
        pytest.param("2001:db8:1234:1a00::/64", "2001:0db8:1234:1a00:0000:0000:0000:0000", True, id="ipv6"),
        pytest.param("2001:db8:1234:1a00::/64", "2001:0db8:123f:1a01::", False, id="ipv6-outside"),
        pytest.param("10.0.0.0/8", "::ffff:10.0.0.1", False, id="ipv6-with-dotted-tail-is-not-read"),
        pytest.param("10.0.0.0/8", 167772161, False, id="number"),
    ],
)
def test_cidr_matches_ipv4_and_ipv6_addresses(network: str, address: object, expected: bool):
    """[CF] "You can use IP address matching for IPv4 and IPv6 addresses." [OPS]
    ``"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]``."""
    assert state_matches([{"cidr": network}], address) is expected


@pytest.mark.parametrize(
    "network",
    [
        pytest.param("10.0.0.1", id="no-mask"),
        pytest.param("10.0.0.0/24/8", id="two-slashes"),
        pytest.param("bad-/64filter", id="mask-not-an-integer"),
        pytest.param("xx.11.xx/8", id="not-an-address"),
        pytest.param("10.0.0.1/32", id="ipv4-whole-address"),
        pytest.param("2001:db8::1/128", id="ipv6-whole-address"),
        pytest.param("10.0.0.0/-1", id="negative-mask"),
    ],
)
def test_cidr_refuses_what_eventbridge_cannot_read_as_a_network(network: str):
    """[CF] IP address matching takes a network in CIDR notation; EventBridge's reader (event-ruler's
    CIDR) wants one '/', integer mask bits, and "IPv4 mask bits must be < 32" / "IPv6 mask bits must be
    < 128" (a single address is a literal value)."""
    assert problem_of({"detail": {"sourceIPAddress": [{"cidr": network}]}}).startswith(
        "detail.sourceIPAddress[0]: cidr "
    )


# --- $or combinations, and the JSON Schema -----------------------------------------------------------


def test_or_combinations_beyond_the_bound_are_refused():
    """[RULER] $or alternatives are "added into Ruler with the same rule name", so every $or multiplies
    the rule's combinations; EventBridge documents no bound, this function keeps 1,000."""
    ten_ors = {f"f{index}": {"$or": [{"a": ["x"]}, {"b": ["y"]}]} for index in range(10)}
    nine_ors = {f"f{index}": {"$or": [{"a": ["x"]}, {"b": ["y"]}]} for index in range(9)}

    assert validate_pattern(nine_ors) == []
    assert "more than 1000 sub-patterns" in problem_of(ten_ors)


@pytest.mark.parametrize(
    ("pattern", "valid"),
    [
        pytest.param(
            {"s": [{"anything-but": {"prefix": ["init", "error"]}}]}, True, id="anything-but-prefix-list"
        ),
        pytest.param(
            {"s": [{"anything-but": {"wildcard": ["", "*/lib/*"]}}]}, True, id="anything-but-wildcards"
        ),
        pytest.param({"s": [{"anything-but": {"suffix": [""]}}]}, False, id="anything-but-empty-suffix"),
        pytest.param({"n": [{"numeric": ["<", 5.0e9]}]}, True, id="numeric-at-the-limit"),
        pytest.param({"n": [{"numeric": ["<", 6.0e9]}]}, False, id="numeric-beyond-the-limit"),
        pytest.param({"n": [{"anything-but": [1, -6.0e9]}]}, False, id="anything-but-beyond-the-limit"),
        pytest.param({"ip": [{"cidr": "10.0.0.1"}]}, False, id="cidr-without-mask"),
        pytest.param({"$or": [{"a": ["x"]}, {"exactly": ["y"]}]}, False, id="reserved-name-in-or"),
    ],
)
def test_schema_and_loader_agree_on_these_patterns(pattern: dict[str, Any], valid: bool):
    """docs/mapping.schema.json describes the same pattern syntax the loader enforces."""
    validator = Draft202012Validator(load_json(MAPPING_SCHEMA_FILE))
    document = {"rules": [{"name": "r", "match": pattern, "task": {"Name": "n"}}]}

    assert (not list(validator.iter_errors(document))) is valid
    assert (validate_pattern(pattern) == []) is valid
