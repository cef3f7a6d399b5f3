"""Any mapping of up to 200 rules deploys: its bus rules each fit EventBridge's limits, and together they
forward an event iff some mapping rule's source / detail-type constraints match it (the documented
superset: detail filters are left to the function), never the function's own events.

The synthesized patterns are evaluated with the function's own matcher."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from infra.bus_rule_combinations import pattern_chars
from infra.event_pattern import (
    BUS_RULE_LIMITS,
    EVENT_PATTERN_MAX_CHARS,
    OWN_EVENTS,
    BusRuleLimits,
    BusRulePlan,
    bus_constraints,
    plan_bus_rules,
)
from task_creator.mapping.patterns import EventPattern
from task_creator.mapping.rules import TaskMapping, load_mapping
from tests.infra.generated_mappings import generated_mapping, sample_events, write_generated_mapping

pytestmark = pytest.mark.unit

# rules in the mapping -> EventBridge rules its plan needs (seed 8: the figures in docs/deploy.md)
EXPECTED_BUS_RULES = {1: 1, 25: 1, 100: 1, 200: 3}


def load_generated(tmp_path: Path, rule_count: int, seed: int = 8) -> TaskMapping:
    return load_mapping(write_generated_mapping(tmp_path, rule_count, seed=seed))


def projected(mapping: TaskMapping, event: dict[str, Any]) -> bool:
    """Some rule's source / detail-type constraints (one combination per ``$or`` branch) match ``event``."""
    return any(
        not combination or compiled(combination).matches(event)
        for rule in mapping.rules
        for combination in bus_constraints(rule.match)
    )


def deliveries(plan: BusRulePlan, event: dict[str, Any]) -> int:
    """How many bus rules match ``event``: EventBridge delivers it once per rule."""
    return sum(compiled(pattern).matches(event) for pattern in plan.patterns)


def compiled(pattern: dict[str, Any]) -> EventPattern:
    return _compiled(json.dumps(pattern, sort_keys=True))


@cache
def _compiled(pattern_json: str) -> EventPattern:
    return EventPattern.compile(json.loads(pattern_json))


def assert_forwards_exactly_the_projection(
    plan: BusRulePlan, mapping: TaskMapping, events: list[dict[str, Any]]
) -> None:
    for event in events:
        delivered = deliveries(plan, event)
        if event["source"] == "aws.connect":
            assert delivered == 0, event
            continue
        assert (delivered > 0) == projected(mapping, event), event
        if any(rule.pattern.matches(event) for rule in mapping.rules):
            assert delivered > 0, event
        assert delivered <= 1 or plan.overlapping, event


@pytest.mark.parametrize("rule_count", sorted(EXPECTED_BUS_RULES))
def test_generated_mapping_deploys_within_eventbridge_limits(tmp_path: Path, rule_count: int) -> None:
    mapping = load_generated(tmp_path, rule_count)

    plan = plan_bus_rules(mapping)

    assert plan.problems == ()
    assert len(plan.patterns) == EXPECTED_BUS_RULES[rule_count]
    assert len(plan.patterns) <= BUS_RULE_LIMITS.rules
    for pattern in plan.patterns:
        assert pattern_chars(pattern) <= EVENT_PATTERN_MAX_CHARS
        assert len(json.dumps(pattern, separators=(",", ":"))) <= EVENT_PATTERN_MAX_CHARS
        assert len(pattern.get("$or", [pattern])) <= BUS_RULE_LIMITS.or_combinations
        EventPattern.compile(pattern)  # a valid pattern for the function's matcher, hence for the bus


@pytest.mark.parametrize("rule_count", sorted(EXPECTED_BUS_RULES))
def test_generated_mapping_bus_rules_forward_exactly_what_its_rules_could_match(
    tmp_path: Path, rule_count: int
) -> None:
    mapping = load_generated(tmp_path, rule_count)
    events = sample_events(generated_mapping(rule_count))

    plan = plan_bus_rules(mapping)

    assert len(events) > 4 * rule_count
    assert_forwarded = [deliveries(plan, own) for own in OWN_EVENTS]
    assert assert_forwarded == [0, 0]
    assert_forwards_exactly_the_projection(plan, mapping, events)


@pytest.mark.parametrize("seed", range(6))
def test_tight_limits_split_and_pack_without_changing_what_is_forwarded(tmp_path: Path, seed: int) -> None:
    """A tenth of the real size limit and 3 combinations a rule: every piece of the algorithm at work."""
    limits = BusRuleLimits(pattern_chars=400, or_combinations=3, rules=1000, wildcard_rules=1000)
    mapping = load_generated(tmp_path, 120, seed=seed)

    plan = plan_bus_rules(mapping, limits)

    assert plan.problems == ()
    assert all(pattern_chars(pattern) <= 400 for pattern in plan.patterns)
    assert all(len(pattern.get("$or", [pattern])) <= 3 for pattern in plan.patterns)
    assert_forwards_exactly_the_projection(plan, mapping, sample_events(generated_mapping(120, seed=seed)))


def test_plan_union_is_one_pattern_forwarding_what_the_rules_forward_together(tmp_path: Path) -> None:
    mapping = load_generated(tmp_path, 200)
    plan = plan_bus_rules(mapping)
    union = EventPattern.compile(plan.union)

    for event in sample_events(generated_mapping(200)):
        assert union.matches(event) == (deliveries(plan, event) > 0)
