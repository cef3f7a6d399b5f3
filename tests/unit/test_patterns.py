"""EventBridge content filtering for mapping rules: what matches, what does not, and what is rejected."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from task_creator.mapping.patterns import EventPattern, PatternError, validate_pattern

ABSENT = object()
REPO_ROOT = Path(__file__).resolve().parents[2]


def load_json(relative_path: str) -> Any:
    return json.loads((REPO_ROOT / relative_path).read_text(encoding="utf-8"))


def shipped_rule_patterns() -> dict[str, EventPattern]:
    mapping = load_json("lambda/mapping.json")
    return {rule["name"]: EventPattern.compile(rule["match"]) for rule in mapping["rules"]}


def order_event(detail: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    """An EventBridge envelope as delivered to a rule target."""
    event: dict[str, Any] = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "source": "acme.orders",
        "detail-type": "OrderDelayed",
        "account": "111122223333",
        "time": "2025-10-02T18:43:48Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:acme:eu-west-1:111122223333:order/o-1"],
        "detail": {} if detail is None else detail,
    }
    event.update(envelope)
    return event


def field_matches(match_values: list[Any], value: object) -> bool:
    """Does ``{"detail": {"field": match_values}}`` match an event whose detail.field is ``value``?"""
    detail = {} if value is ABSENT else {"field": value}
    return EventPattern.compile({"detail": {"field": match_values}}).matches(order_event(detail))


def case(match_values: list[Any], value: object, expected: bool, name: str) -> Any:
    return pytest.param(match_values, value, expected, id=name)


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case(["high"], "high", True, "same-string"),
        case(["high"], "High", False, "strings-are-case-sensitive"),
        case(["high", "urgent"], "urgent", True, "values-in-array-are-alternatives"),
        case(["5"], 5, False, "string-does-not-equal-number"),
        case([5], "5", False, "number-does-not-equal-string"),
        case([5], 5, True, "same-number"),
        case([5], 5.0, True, "numbers-compare-by-value"),
        case([300.5], 300.5, True, "same-float"),
        case([True], True, True, "same-boolean"),
        case([True], 1, False, "true-is-not-one"),
        case([1], True, False, "one-is-not-true"),
        case([0], False, False, "zero-is-not-false"),
        case([None], None, True, "null-matches-null"),
        case([None], "", False, "null-does-not-match-empty-string"),
        case([""], "", True, "empty-string-matches-empty-string"),
        case([""], None, False, "empty-string-does-not-match-null"),
        case(["high"], ABSENT, False, "absent-field-does-not-match"),
        case(["high"], {"high": 1}, False, "object-value-is-not-a-leaf"),
    ],
)
def test_exact_values_match_by_json_type_and_value(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case([{"prefix": "ord-"}], "ord-42", True, "prefix"),
        case([{"prefix": "ord-"}], "ORD-42", False, "prefix-is-case-sensitive"),
        case([{"prefix": "ord-"}], "x-ord-42", False, "prefix-must-start-the-value"),
        case([{"prefix": "1"}], 12, False, "prefix-ignores-numbers"),
        case([{"prefix": {"equals-ignore-case": "ORD-"}}], "oRd-42", True, "prefix-ignore-case"),
        case([{"suffix": ".png"}], "photo.png", True, "suffix"),
        case([{"suffix": ".png"}], "photo.PNG", False, "suffix-is-case-sensitive"),
        case([{"suffix": {"equals-ignore-case": ".png"}}], "photo.PNG", True, "suffix-ignore-case"),
        case([{"suffix": {"equals-ignore-case": ".png"}}], "photo.jpg", False, "suffix-ignore-case-mismatch"),
        case([{"equals-ignore-case": "alice"}], "ALICE", True, "equals-ignore-case"),
        case([{"equals-ignore-case": "alice"}], "alicia", False, "equals-ignore-case-is-whole-value"),
        case([{"equals-ignore-case": "true"}], True, False, "equals-ignore-case-ignores-booleans"),
    ],
)
def test_string_filters(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case([{"wildcard": "*.png"}], "dir/photo.png", True, "leading-star"),
        case([{"wildcard": "dir/*/photo.png"}], "dir/a/b/photo.png", True, "star-spans-slashes"),
        case([{"wildcard": "dir/*.png"}], "dir/photo.jpg", False, "wrong-ending"),
        case([{"wildcard": "a*b*c"}], "abc", True, "stars-match-empty"),
        case([{"wildcard": "a*b*c"}], "acb", False, "pieces-must-be-in-order"),
        case([{"wildcard": "ab*ba"}], "aba", False, "pieces-must-not-overlap"),
        case([{"wildcard": "a*b*b"}], "ab", False, "middle-piece-must-not-overlap-the-last"),
        case([{"wildcard": "a*b*b"}], "abb", True, "middle-and-last-pieces"),
        case([{"wildcard": "Simple*Service"}], "simple queue service", False, "wildcard-is-case-sensitive"),
        case([{"wildcard": "no-star"}], "no-star", True, "no-star-is-exact"),
        case([{"wildcard": "price\\*2"}], "price*2", True, "escaped-star-is-literal"),
        case([{"wildcard": "price\\*2"}], "price-x2", False, "escaped-star-is-not-a-wildcard"),
        case([{"wildcard": "c:\\\\*"}], "c:\\temp", True, "escaped-backslash"),
        case([{"wildcard": "*"}], 5, False, "wildcard-ignores-numbers"),
    ],
)
def test_wildcard_filter(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case([{"anything-but": "low"}], "high", True, "other-string"),
        case([{"anything-but": "low"}], "low", False, "excluded-string"),
        case([{"anything-but": "low"}], "LOW", True, "exclusion-is-case-sensitive"),
        case([{"anything-but": ["low", "none"]}], "none", False, "excluded-from-list"),
        case([{"anything-but": ["low", "none"]}], "high", True, "not-in-list"),
        case([{"anything-but": 100}], 100, False, "excluded-number"),
        case([{"anything-but": 100}], 100.0, False, "excluded-number-by-value"),
        case([{"anything-but": [100, 200]}], 300, True, "number-not-in-list"),
        case([{"anything-but": [100, 200]}], "100", True, "string-is-not-the-excluded-number"),
        case([{"anything-but": "low"}], None, True, "null-is-anything-but-a-string"),
        case([{"anything-but": "low"}], ABSENT, False, "absent-field-never-matches"),
        case([{"anything-but": {"prefix": "us-"}}], "eu-west-1", True, "not-prefixed"),
        case([{"anything-but": {"prefix": "us-"}}], "us-east-1", False, "prefixed"),
        case([{"anything-but": {"suffix": ".png"}}], "a.jpg", True, "not-suffixed"),
        case([{"anything-but": {"suffix": ".png"}}], "a.png", False, "suffixed"),
        case([{"anything-but": {"equals-ignore-case": "low"}}], "LoW", False, "ignore-case-excluded"),
        case([{"anything-but": {"equals-ignore-case": ["low", "none"]}}], "NONE", False, "ignore-case-list"),
        case([{"anything-but": {"equals-ignore-case": ["low", "none"]}}], "high", True, "ignore-case-other"),
        case([{"anything-but": {"wildcard": "*/lib/*"}}], "src/lib/a.py", False, "wildcard-excluded"),
        case([{"anything-but": {"wildcard": "*/lib/*"}}], "src/app/a.py", True, "wildcard-other"),
        case([{"anything-but": "low"}], ["low", "high"], True, "any-array-element-not-excluded"),
        case([{"anything-but": "low"}], ["low", "low"], False, "every-array-element-excluded"),
    ],
)
def test_anything_but_filter(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case([{"numeric": [">", 0, "<=", 5]}], 5, True, "upper-bound-inclusive"),
        case([{"numeric": [">", 0, "<=", 5]}], 0, False, "lower-bound-exclusive"),
        case([{"numeric": [">=", 0, "<", 5]}], 0, True, "lower-bound-inclusive"),
        case([{"numeric": [">=", 0, "<", 5]}], 5, False, "upper-bound-exclusive"),
        case([{"numeric": ["<", 10]}], -3.5, True, "less-than"),
        case([{"numeric": ["<=", 10]}], 10.5, False, "not-less-or-equal"),
        case([{"numeric": [">", 10]}], 11, True, "greater-than"),
        case([{"numeric": [">=", 10]}], 9.999, False, "not-greater-or-equal"),
        case([{"numeric": ["=", 3.018e2]}], 301.8, True, "equals"),
        case([{"numeric": ["=", 300]}], 300.0, True, "equals-by-value"),
        case([{"numeric": ["<", 10]}], "5", False, "string-is-not-a-number"),
        case([{"numeric": ["<", 10]}], True, False, "boolean-is-not-a-number"),
        case([{"numeric": ["<", 10]}], None, False, "null-is-not-a-number"),
        case([{"numeric": ["<", 10]}], [50, 5], True, "any-array-element-in-range"),
    ],
)
def test_numeric_filter(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case([{"cidr": "10.0.0.0/24"}], "10.0.0.255", True, "ipv4-inside"),
        case([{"cidr": "10.0.0.0/24"}], "10.0.1.0", False, "ipv4-outside"),
        case([{"cidr": "10.0.0.7/24"}], "10.0.0.9", True, "host-bits-in-network-are-ignored"),
        case([{"cidr": "2001:db8::/32"}], "2001:db8:0:1::5", True, "ipv6-inside"),
        case([{"cidr": "2001:db8::/32"}], "2001:db9::5", False, "ipv6-outside"),
        case([{"cidr": "2001:db8::/32"}], "10.0.0.1", False, "ipv4-is-not-in-ipv6-network"),
        case([{"cidr": "10.0.0.0/24"}], "not-an-ip", False, "non-address-string"),
        case([{"cidr": "10.0.0.0/24"}], 167772161, False, "number-is-not-an-address"),
    ],
)
def test_cidr_filter(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


@pytest.mark.parametrize(
    ("match_values", "value", "expected"),
    [
        case([{"exists": True}], "x", True, "present-string"),
        case([{"exists": True}], None, True, "null-is-present"),
        case([{"exists": True}], ABSENT, False, "absent"),
        case([{"exists": True}], [], False, "empty-array-has-no-value"),
        case([{"exists": True}], {"nested": 1}, False, "object-is-not-a-leaf"),
        case([{"exists": False}], ABSENT, True, "absent-matches-exists-false"),
        case([{"exists": False}], "x", False, "present-does-not-match-exists-false"),
        case([{"exists": False}], {"nested": 1}, True, "object-is-not-a-leaf-so-absent"),
        case([{"exists": False}, "x"], "x", True, "exists-false-or-value"),
        case([{"exists": True}, {"exists": False}], ABSENT, True, "both-exists-always-match"),
    ],
)
def test_exists_filter(match_values: list[Any], value: object, expected: bool):
    assert field_matches(match_values, value) is expected


def test_exists_false_matches_when_the_parent_object_is_missing():
    pattern = EventPattern.compile({"detail": {"order": {"cancelled": [{"exists": False}]}}})

    assert pattern.matches(order_event({"priority": "high"}))
    assert not pattern.matches(order_event({"order": {"cancelled": "yes"}}))


def test_example_rule_from_the_mapping_guide_selects_only_non_low_priority_delays():
    pattern = EventPattern.compile(
        {
            "source": ["acme.orders"],
            "detail-type": ["OrderDelayed"],
            "detail": {"priority": [{"anything-but": ["low"]}]},
        }
    )

    assert pattern.matches(order_event({"priority": "high"}))
    assert not pattern.matches(order_event({"priority": "low"}))
    assert not pattern.matches(order_event({}))
    assert not pattern.matches(order_event({"priority": "high"}, source="acme.billing"))
    assert not pattern.matches(order_event({"priority": "high"}, **{"detail-type": "OrderShipped"}))


@pytest.mark.parametrize(
    ("sample", "matching_rules"),
    [
        pytest.param("events/eventbridge-order-delayed.json", ["order-delayed"], id="order-delayed"),
        pytest.param("events/eventbridge-payment-failed.json", ["payment-failed"], id="payment-failed"),
    ],
)
def test_shipped_rules_select_the_sample_events(sample: str, matching_rules: list[str]):
    event = load_json(sample)

    matched = [name for name, pattern in shipped_rule_patterns().items() if pattern.matches(event)]

    assert matched == matching_rules


def test_every_field_in_the_pattern_must_match():
    pattern = EventPattern.compile(
        {
            "time": [{"prefix": "2025-10-02"}],
            "region": ["eu-west-1"],
            "detail": {
                "state": [{"anything-but": "initializing"}],
                "count": [{"numeric": [">", 0, "<=", 5]}],
            },
        }
    )

    assert pattern.matches(order_event({"state": "running", "count": 5}))
    assert not pattern.matches(order_event({"state": "running", "count": 6}))
    assert not pattern.matches(order_event({"state": "initializing", "count": 5}))
    assert not pattern.matches(order_event({"state": "running", "count": 5}, region="us-east-1"))


def test_nested_objects_descend_into_the_event():
    pattern = EventPattern.compile({"detail": {"order": {"customer": {"tier": ["gold"]}}}})

    assert pattern.matches(order_event({"order": {"customer": {"tier": "gold", "id": "c-1"}}}))
    assert not pattern.matches(order_event({"order": {"customer": {"tier": "silver"}}}))
    assert not pattern.matches(order_event({"order": {"customer": "gold"}}))
    assert not pattern.matches(order_event({"order": {}}))


def test_event_array_matches_when_it_shares_any_value_with_the_pattern():
    pattern = EventPattern.compile(
        {"resources": ["arn:aws:acme:eu-west-1:111122223333:order/o-2", "arn:other"]}
    )

    assert pattern.matches(order_event(resources=["arn:x", "arn:aws:acme:eu-west-1:111122223333:order/o-2"]))
    assert not pattern.matches(order_event(resources=["arn:x", "arn:y"]))
    assert not pattern.matches(order_event(resources=[]))


def test_nested_event_arrays_are_flattened():
    pattern = EventPattern.compile({"detail": {"tags": ["vip"]}})

    assert pattern.matches(order_event({"tags": [["new"], ["vip", "eu"]]}))


def test_fields_of_one_pattern_object_must_come_from_the_same_array_element():
    pattern = EventPattern.compile({"detail": {"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}})
    employees = [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]

    assert not pattern.matches(order_event({"employees": employees}))
    assert pattern.matches(
        order_event({"employees": [{"firstName": "Anna", "lastName": "Jones"}, *employees]})
    )


def test_or_at_top_level_needs_one_alternative_besides_the_other_fields():
    pattern = EventPattern.compile(
        {
            "source": ["acme.orders"],
            "$or": [{"detail": {"priority": ["high"]}}, {"detail": {"amount": [{"numeric": [">=", 1000]}]}}],
        }
    )

    assert pattern.matches(order_event({"priority": "high", "amount": 5}))
    assert pattern.matches(order_event({"priority": "low", "amount": 1000}))
    assert not pattern.matches(order_event({"priority": "low", "amount": 999}))
    assert not pattern.matches(order_event({"priority": "high"}, source="acme.billing"))


def test_or_inside_a_nested_object_and_nested_or():
    pattern = EventPattern.compile(
        {
            "detail": {
                "$or": [
                    {"priority": ["high"]},
                    {"channel": ["phone"], "$or": [{"vip": [True]}, {"amount": [{"numeric": [">", 100]}]}]},
                ]
            }
        }
    )

    assert pattern.matches(order_event({"priority": "high"}))
    assert pattern.matches(order_event({"channel": "phone", "vip": True}))
    assert pattern.matches(order_event({"channel": "phone", "amount": 101}))
    assert not pattern.matches(order_event({"channel": "phone", "amount": 100}))
    assert not pattern.matches(order_event({"channel": "email", "vip": True}))


def test_a_leaf_array_may_mix_values_and_filters():
    pattern = EventPattern.compile({"detail": {"code": ["A1", {"prefix": "B"}, {"numeric": ["<", 0]}, None]}})

    assert [pattern.matches(order_event({"code": code})) for code in ("A1", "B7", -1, None, "C", 0)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "words"),
    [
        pytest.param(["source"], "(root)", "JSON object", id="not-an-object"),
        pytest.param({}, "(root)", "empty", id="empty-pattern"),
        pytest.param({"detail": {}}, "detail", "empty", id="empty-nested-object"),
        pytest.param({"source": "acme.orders"}, "source", "array", id="leaf-not-an-array"),
        pytest.param({"detail": {"priority": []}}, "detail.priority", "empty array", id="empty-array"),
        pytest.param({"detail": {"p": [["x"]]}}, "detail.p[0]", "match value", id="nested-array"),
        pytest.param({"detail": {"p": [{"contains": "x"}]}}, "detail.p[0]", "unknown filter", id="unknown"),
        pytest.param({"p": [{"prefix": "a", "suffix": "b"}]}, "p[0]", "exactly one key", id="two-keys"),
        pytest.param({"p": [{"prefix": 5}]}, "p[0]", "prefix", id="prefix-not-string"),
        pytest.param(
            {"p": [{"prefix": {"equals-ignore-case": 5}}]}, "p[0]", "prefix", id="prefix-eic-number"
        ),
        pytest.param({"p": [{"suffix": ["x"]}]}, "p[0]", "suffix", id="suffix-not-string"),
        pytest.param({"p": [{"equals-ignore-case": None}]}, "p[0]", "equals-ignore-case", id="eic-null"),
        pytest.param({"p": [{"wildcard": "a**b"}]}, "p[0]", "consecutive", id="wildcard-double-star"),
        pytest.param({"p": [{"wildcard": "a\\b"}]}, "p[0]", "backslash", id="wildcard-bad-escape"),
        pytest.param({"p": [{"wildcard": "a\\"}]}, "p[0]", "backslash", id="wildcard-trailing-backslash"),
        pytest.param({"p": [{"exists": "true"}]}, "p[0]", "true or false", id="exists-not-boolean"),
        pytest.param({"p": [{"numeric": "<10"}]}, "p[0]", "numeric", id="numeric-not-array"),
        pytest.param({"p": [{"numeric": ["<", 1, 2]}]}, "p[0]", "numeric", id="numeric-arity"),
        pytest.param({"p": [{"numeric": ["!=", 1]}]}, "p[0]", "operator", id="numeric-bad-operator"),
        pytest.param({"p": [{"numeric": ["<", "10"]}]}, "p[0]", "number", id="numeric-string-bound"),
        pytest.param({"p": [{"numeric": ["<", True]}]}, "p[0]", "number", id="numeric-boolean-bound"),
        pytest.param({"p": [{"numeric": ["<", 5, ">", 1]}]}, "p[0]", "numeric", id="numeric-range-order"),
        pytest.param({"p": [{"numeric": [">", 5, "<", 1]}]}, "p[0]", "lower bound", id="numeric-empty-range"),
        pytest.param({"p": [{"cidr": "10.0.0.0/33"}]}, "p[0]", "cidr", id="cidr-bad-prefix"),
        pytest.param({"p": [{"cidr": "not-an-ip"}]}, "p[0]", "cidr", id="cidr-not-an-address"),
        pytest.param({"p": [{"cidr": 10}]}, "p[0]", "cidr", id="cidr-not-string"),
        pytest.param({"p": [{"anything-but": [1, "x"]}]}, "p[0]", "anything-but", id="anything-but-mixed"),
        pytest.param({"p": [{"anything-but": []}]}, "p[0]", "anything-but", id="anything-but-empty"),
        pytest.param({"p": [{"anything-but": None}]}, "p[0]", "anything-but", id="anything-but-null"),
        pytest.param(
            {"p": [{"anything-but": {"prefix": ""}}]}, "p[0]", "anything-but", id="anything-but-prefix"
        ),
        pytest.param(
            {"p": [{"anything-but": {"exists": True}}]}, "p[0]", "anything-but", id="anything-but-exists"
        ),
        pytest.param({"$or": [{"a": ["x"]}]}, "$or", "at least 2", id="or-one-alternative"),
        pytest.param({"$or": {"a": ["x"]}}, "$or", "at least 2", id="or-not-array"),
        pytest.param(
            {"$or": [{"a": ["x"]}, "b"]}, "$or[1]", "pattern object", id="or-alternative-not-object"
        ),
        pytest.param({"$or": [{"a": ["x"]}, {}]}, "$or[1]", "empty", id="or-empty-alternative"),
        pytest.param(
            {"$or": [{"a": ["x"]}, {"prefix": ["y"]}]}, "$or[1].prefix", "filter name", id="or-filter"
        ),
    ],
)
def test_invalid_pattern_problem_names_its_path(pattern: object, path: str, words: str):
    problems = validate_pattern(pattern)

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: ")
    assert words in problems[0]


def test_anything_but_problem_names_the_filter_and_its_path():
    problems = validate_pattern({"detail": {"priority": [{"anything-but": {"prefix": 3}}]}})

    assert problems[0].startswith("detail.priority[0]: anything-but expects")


def test_validation_reports_every_problem():
    pattern = {
        "source": "acme.orders",
        "detail": {"priority": [], "amount": [{"numeric": ["<", "x"]}]},
        "$or": [{"region": [{"cidr": "nope"}]}, {"account": [{"exists": 1}]}],
    }

    problems = validate_pattern(pattern)

    assert [problem.split(":")[0] for problem in problems] == [
        "source",
        "detail.priority",
        "detail.amount[0]",
        "$or[0].region[0]",
        "$or[1].account[0]",
    ]


def test_compile_raises_pattern_error_with_all_problems():
    with pytest.raises(PatternError) as raised:
        EventPattern.compile({"detail": {"a": [], "b": [{"exists": "no"}]}})

    assert isinstance(raised.value, ValueError)
    assert raised.value.problems == (
        "detail.a: must not be an empty array",
        "detail.b[0]: exists expects true or false, got string",
    )
    assert "detail.a" in str(raised.value)
    assert "detail.b[0]" in str(raised.value)


def test_documented_complex_pattern_is_valid():
    pattern = {
        "time": [{"prefix": "2017-10-02"}],
        "detail": {
            "state": [{"anything-but": "initializing"}],
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"anything-but": [100, 200, 300]}],
            "source-ip": [{"cidr": "10.0.0.0/8"}],
        },
    }

    assert validate_pattern(pattern) == []
    assert EventPattern.compile(pattern).matches(
        order_event(
            {"state": "running", "c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33"},
            time="2017-10-02T16:24:49Z",
        )
    )


def test_source_returns_the_pattern_as_written_and_cannot_alter_matching():
    written = {"source": ["acme.orders"], "detail": {"priority": [{"anything-but": ["low"]}]}}
    pattern = EventPattern.compile(written)

    written["source"] = ["acme.billing"]
    returned = pattern.source
    returned["source"].append("acme.billing")

    assert pattern.source == {"source": ["acme.orders"], "detail": {"priority": [{"anything-but": ["low"]}]}}
    assert pattern.matches(order_event({"priority": "high"}))
    assert not pattern.matches(order_event({"priority": "high"}, source="acme.billing"))


def test_compiled_pattern_is_immutable_and_compares_by_source():
    pattern = EventPattern.compile({"source": ["acme.orders"]})

    with pytest.raises(dataclasses.FrozenInstanceError):
        pattern.source_json = "{}"  # type: ignore[misc]
    assert pattern == EventPattern.compile({"source": ["acme.orders"]})
    assert len({pattern, EventPattern.compile({"source": ["acme.orders"]})}) == 1
