"""plan_bus_rules: the bus rules forward exactly the events some mapping rule could match (by source and
detail-type), never the function's own, in as few rules as EventBridge's limits allow."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping as AbcMapping
from typing import Any

import pytest

from infra.bus_rule_combinations import pattern_chars
from infra.event_pattern import (
    MATCH_EVERY_EVENT,
    OWN_EVENTS,
    BusRuleError,
    BusRuleLimits,
    bus_event_pattern,
    bus_event_patterns,
    plan_bus_rules,
    unconstrained_rules,
)
from infra.paths import REPO_ROOT
from task_creator.mapping.patterns import EventPattern
from tests.infra.pattern_samples import mapping

pytestmark = pytest.mark.unit

ROOMY = BusRuleLimits(rules=1000, wildcard_rules=1000)


def event(source: str, detail_type: str = "Anything") -> dict[str, Any]:
    return {"source": source, "detail-type": detail_type, "detail": {}}


def forwarded(patterns: list[dict[str, Any]] | tuple[dict[str, Any], ...], candidate: dict[str, Any]) -> int:
    """How many of the bus rules match ``candidate`` (EventBridge delivers it once per rule)."""
    return sum(EventPattern.compile(pattern).matches(candidate) for pattern in patterns)


# --- derivation ---------------------------------------------------------------------------------------


def test_single_combination_is_the_pattern_itself_without_or() -> None:
    pattern = bus_event_pattern(
        mapping(
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"], "detail": {"priority": ["high"]}}
        )
    )

    assert pattern == {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]}


def test_distinct_combinations_are_joined_with_or_in_rule_order() -> None:
    pattern = bus_event_pattern(
        mapping(
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.payments"], "detail-type": ["PaymentFailed"]},
        )
    )

    assert pattern == {
        "$or": [
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.payments"], "detail-type": ["PaymentFailed"]},
        ]
    }


def test_fan_out_rules_with_the_same_constraints_appear_once() -> None:
    pattern = bus_event_pattern(
        mapping(
            {"detail-type": ["OrderDelayed"], "source": ["acme.orders"], "detail": {"vip": [True]}},
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
        )
    )

    assert pattern == {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]}


def test_rules_sharing_a_source_merge_their_detail_types() -> None:
    pattern = bus_event_pattern(
        mapping(
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.orders"], "detail-type": ["OrderCancelled", "OrderLost"]},
        )
    )

    assert pattern == {
        "source": ["acme.orders"],
        "detail-type": ["OrderDelayed", "OrderCancelled", "OrderLost"],
    }


def test_rules_sharing_detail_types_merge_their_sources() -> None:
    pattern = bus_event_pattern(
        mapping(
            {"source": ["acme.eu"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.us"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.crm"]},
            {"source": ["acme.billing"]},
        )
    )

    assert pattern == {
        "$or": [
            {"source": ["acme.eu", "acme.us"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.crm", "acme.billing"]},
        ]
    }


def test_a_rule_on_a_whole_source_absorbs_the_narrower_rules_of_that_source() -> None:
    pattern = bus_event_pattern(
        mapping(
            {"source": ["acme.orders"], "detail-type": ["OrderDelayed"]},
            {"source": ["acme.orders"], "detail": {"vip": [True]}},
            {"source": ["acme.orders.eu", {"prefix": "acme.orders"}], "detail-type": ["OrderLost"]},
        )
    )

    assert pattern == {
        "$or": [
            {"source": ["acme.orders"]},
            {"source": [{"prefix": "acme.orders"}], "detail-type": ["OrderLost"]},
        ]
    }


def test_content_filters_and_single_field_constraints_are_kept_as_written() -> None:
    pattern = bus_event_pattern(
        mapping({"source": [{"prefix": "acme."}]}, {"detail-type": [{"suffix": "Requested"}]})
    )

    assert pattern == {"$or": [{"source": [{"prefix": "acme."}]}, {"detail-type": [{"suffix": "Requested"}]}]}


def test_rule_with_or_contributes_each_branch_and_their_shared_detail_type_merges() -> None:
    pattern = bus_event_pattern(
        mapping(
            {
                "detail-type": ["RouteRequested"],
                "$or": [{"source": ["acme.routing"]}, {"source": ["acme.legacy"], "detail": {"x": ["y"]}}],
            }
        )
    )

    assert pattern == {"source": ["acme.routing", "acme.legacy"], "detail-type": ["RouteRequested"]}


def test_rule_constraining_neither_field_opens_the_bus_rule_to_every_event_but_connects() -> None:
    rules = mapping({"source": ["acme.orders"]}, {"detail": {"kind": ["any"]}})

    assert bus_event_pattern(rules) == MATCH_EVERY_EVENT
    assert unconstrained_rules(rules) == ["rule-1"]
    assert forwarded([MATCH_EVERY_EVENT], event("com.anyone.at.all")) == 1
    assert forwarded([MATCH_EVERY_EVENT], event("aws.connect")) == 0


def test_rules_that_constrain_a_field_are_not_reported_as_unconstrained() -> None:
    assert unconstrained_rules(mapping({"source": ["a"]}, {"detail-type": ["b"]})) == []


def test_shipped_mapping_needs_one_bus_rule_listing_each_rule_source() -> None:
    from task_creator.mapping.rules import load_mapping  # noqa: PLC0415

    shipped = load_mapping(REPO_ROOT / "lambda" / "mapping.json")
    (pattern,) = bus_event_patterns(shipped)

    combinations = pattern.get("$or", [pattern])
    for rule in shipped.rules:
        wanted: dict[str, Any] = {k: rule.match[k] for k in ("source", "detail-type") if k in rule.match}
        assert any(covers(c, wanted) for c in combinations), rule.name  # rules of a source are merged


# --- the function's own events --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "matches",
    [
        pytest.param(({"detail": {"kind": ["any"]}},), id="no source, no detail-type"),
        pytest.param(({"detail-type": [{"anything-but": ["Heartbeat"]}]},), id="detail-type anything-but"),
        pytest.param(({"detail-type": [{"prefix": "A"}]},), id="detail-type prefix"),
        pytest.param(({"source": [{"anything-but": ["acme.test"]}]},), id="source anything-but"),
        pytest.param(({"source": ["aws.connect"]},), id="connect, every detail-type"),
        pytest.param(({"source": ["aws.connect", "acme.a"]},), id="connect among other sources"),
        pytest.param(
            ({"source": ["aws.connect"], "detail-type": [{"anything-but": "Heartbeat"}]},),
            id="connect, detail-type anything-but",
        ),
    ],
)
def test_no_bus_rule_matches_the_functions_own_events(matches: tuple[dict[str, Any], ...]) -> None:
    patterns = bus_event_patterns(mapping(*matches))

    assert [forwarded(patterns, own) for own in OWN_EVENTS] == [0] * len(OWN_EVENTS)


def test_connect_rules_still_get_connects_other_events() -> None:
    patterns = bus_event_patterns(mapping({"source": ["aws.connect", "acme.a"]}))

    assert forwarded(patterns, event("aws.connect", "Contact Lens Post Call Rules Matched")) == 1
    assert forwarded(patterns, event("acme.a", "AWS API Call via CloudTrail")) == 1


def test_narrowing_a_rule_without_source_keeps_every_other_sources_events() -> None:
    patterns = bus_event_patterns(mapping({"detail-type": [{"anything-but": ["Heartbeat"]}]}))

    assert patterns == [
        {"source": [{"anything-but": ["aws.connect"]}], "detail-type": [{"anything-but": ["Heartbeat"]}]}
    ]
    assert forwarded(patterns, event("aws.ec2", "AWS API Call via CloudTrail")) == 1


@pytest.mark.parametrize(
    ("match", "says"),
    [
        ({"source": ["aws.connect"], "detail-type": ["Amazon Connect Contact Event"]}, "other detail-types"),
        ({"source": [{"prefix": "aws."}]}, "list the sources it needs"),
        (
            {"source": [{"wildcard": "aws.*"}], "detail-type": ["AWS API Call via CloudTrail"]},
            "list the sources",
        ),
    ],
)
def test_rule_that_would_feed_tasks_back_is_refused_with_one_line(match: dict[str, Any], says: str) -> None:
    plan = plan_bus_rules(mapping({"source": ["acme.ok"]}, match))

    (problem,) = plan.problems
    assert problem.startswith("mapping rule 'rule-1': it matches the events Amazon Connect puts on the bus")
    assert says in problem
    assert "\n" not in problem
    with pytest.raises(BusRuleError, match="rule-0"):
        bus_event_patterns(mapping(match))


def test_source_filter_covering_connect_is_fine_when_the_detail_type_rules_connect_out() -> None:
    patterns = bus_event_patterns(
        mapping({"source": [{"prefix": "aws."}], "detail-type": ["EC2 Instance State-change Notification"]})
    )

    assert patterns == [
        {"source": [{"prefix": "aws."}], "detail-type": ["EC2 Instance State-change Notification"]}
    ]


# --- limits -----------------------------------------------------------------------------------------------


def test_a_combination_too_large_for_one_rule_is_split_along_its_longest_list() -> None:
    detail_types = [f"Order{index:03d}Happened" for index in range(40)]
    limits = BusRuleLimits(pattern_chars=300, rules=1000, wildcard_rules=1000)

    plan = plan_bus_rules(mapping({"source": ["acme.orders"], "detail-type": detail_types}), limits)

    assert len(plan.patterns) > 1
    assert all(pattern_chars(pattern) <= 300 for pattern in plan.patterns)
    assert sorted(value for pattern in plan.patterns for value in pattern["detail-type"]) == detail_types
    assert {json.dumps(pattern["source"]) for pattern in plan.patterns} == {'["acme.orders"]'}
    assert not plan.overlapping
    assert all(forwarded(plan.patterns, event("acme.orders", each)) == 1 for each in detail_types)


def test_combinations_one_event_can_match_stay_in_one_rule() -> None:
    limits = BusRuleLimits(pattern_chars=200, rules=1000, wildcard_rules=1000)
    rules = mapping(
        {"source": [{"prefix": "acme."}], "detail-type": ["Shared"]},
        {"source": ["zeta.one"], "detail-type": ["A", "B", "C"]},
        {"source": ["acme.orders"], "detail-type": [{"suffix": "Delayed"}]},
        {"source": ["zeta.two"], "detail-type": ["D", "E", "F"]},
    )

    plan = plan_bus_rules(rules, limits)

    assert not plan.overlapping
    assert len(plan.patterns) > 1
    together = [p for p in plan.patterns if "acme." in json.dumps(p)]
    assert len(together) == 1  # the prefix and acme.orders can both match one event: never split apart
    assert forwarded(plan.patterns, event("acme.orders", "Shared")) == 1


def test_an_oversized_source_alone_is_refused_naming_the_rule_and_the_fix() -> None:
    plan = plan_bus_rules(mapping({"source": ["acme." + "x" * 2100]}))

    (problem,) = plan.problems
    assert problem.startswith("mapping rule 'rule-0': its source/detail-type constraint alone makes a ")
    assert "EventBridge's 2,048-character limit" in problem
    assert "prefix filter" in problem


def test_more_rules_than_the_bus_budget_are_refused_with_one_line() -> None:
    many = mapping(*({"source": [f"acme.{index:03d}." + "s" * 300]} for index in range(200)))

    plan = plan_bus_rules(many)

    assert len(plan.patterns) > BusRuleLimits().rules
    (problem,) = plan.problems
    assert f"more than the {BusRuleLimits().rules} this stack puts on a bus" in problem
    assert "300-rule quota per bus" in problem


def test_wildcards_beyond_their_budget_are_refused() -> None:
    limits = BusRuleLimits(pattern_chars=120, wildcard_rules=1)
    rules = mapping(
        *({"source": [f"acme.{index}"], "detail-type": [{"wildcard": f"*{index}*"}]} for index in range(6))
    )

    plan = plan_bus_rules(rules, limits)

    assert any("wildcard filters on source/detail-type need" in problem for problem in plan.problems)


def test_every_rule_within_limits_for_a_roomy_budget() -> None:
    pairs = [(f"acme.{index % 37}", f"Type{index}") for index in range(300)]
    rules = mapping(*({"source": [source], "detail-type": [detail_type]} for source, detail_type in pairs))

    plan = plan_bus_rules(rules, ROOMY)

    assert not plan.problems
    assert all(pattern_chars(p) <= ROOMY.pattern_chars for p in plan.patterns)
    assert all(len(p.get("$or", [p])) <= ROOMY.or_combinations for p in plan.patterns)
    assert all(forwarded(plan.patterns, event(*pair)) == 1 for pair in pairs)
    assert forwarded(plan.patterns, event("acme.1", "Type2")) == 0


def test_modules_import_no_cdk_so_the_offline_runtime_can_use_them() -> None:
    probe = (
        "import sys, infra.event_pattern, infra.bus_rule_packing, infra.bus_rule_combinations; "
        "print(sorted(m for m in sys.modules if m.startswith('aws_cdk')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "[]"


def covers(combination: dict[str, Any], wanted: AbcMapping[str, Any]) -> bool:
    """Every value the rule names for each field is among the combination's values for it."""
    return all(
        {json.dumps(v, sort_keys=True) for v in values}
        <= {json.dumps(v, sort_keys=True) for v in combination.get(key, [])}
        for key, values in wanted.items()
    )
