"""bus_event_pattern: the bus rule forwards exactly the events some mapping rule could match."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from infra.event_pattern import MATCH_EVERY_EVENT, bus_event_pattern, unconstrained_rules
from infra.paths import REPO_ROOT

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Rule:
    name: str
    match: dict[str, Any]


@dataclass(frozen=True)
class Mapping:
    rules: tuple[Rule, ...] = field(default_factory=tuple)


def mapping(*matches: dict[str, Any]) -> Mapping:
    return Mapping(
        rules=tuple(Rule(name=f"rule-{index}", match=match) for index, match in enumerate(matches))
    )


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


def test_content_filters_and_single_field_constraints_are_kept_as_written() -> None:
    pattern = bus_event_pattern(
        mapping({"source": [{"prefix": "acme."}]}, {"detail-type": [{"anything-but": ["Heartbeat"]}]})
    )

    assert pattern == {
        "$or": [{"source": [{"prefix": "acme."}]}, {"detail-type": [{"anything-but": ["Heartbeat"]}]}]
    }


def test_rule_with_or_contributes_one_combination_per_branch() -> None:
    pattern = bus_event_pattern(
        mapping(
            {
                "detail-type": ["RouteRequested"],
                "$or": [{"source": ["acme.routing"]}, {"source": ["acme.legacy"], "detail": {"x": ["y"]}}],
            }
        )
    )

    assert pattern == {
        "$or": [
            {"source": ["acme.routing"], "detail-type": ["RouteRequested"]},
            {"source": ["acme.legacy"], "detail-type": ["RouteRequested"]},
        ]
    }


def test_rule_constraining_neither_field_opens_the_bus_rule_to_every_event() -> None:
    rules = mapping({"source": ["acme.orders"]}, {"detail": {"kind": ["any"]}})

    assert bus_event_pattern(rules) == MATCH_EVERY_EVENT
    assert unconstrained_rules(rules) == ["rule-1"]


def test_rules_that_constrain_a_field_are_not_reported_as_unconstrained() -> None:
    assert unconstrained_rules(mapping({"source": ["a"]}, {"detail-type": ["b"]})) == []


def test_shipped_mapping_pattern_lists_each_rule_source() -> None:
    from task_creator.mapping.rules import load_mapping  # noqa: PLC0415

    shipped = load_mapping(REPO_ROOT / "lambda" / "mapping.json")
    pattern = bus_event_pattern(shipped)

    combinations = pattern.get("$or", [pattern])
    for rule in shipped.rules:
        wanted = {key: rule.match[key] for key in ("source", "detail-type") if key in rule.match}
        assert wanted in combinations, rule.name


def test_module_imports_no_cdk_so_the_offline_runtime_can_use_it() -> None:
    probe = (
        "import sys, infra.event_pattern; print(sorted(m for m in sys.modules if m.startswith('aws_cdk')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == "[]"
