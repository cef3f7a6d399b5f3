"""archive_event_pattern: the archive keeps every event the bus rules forward (their pattern when there is
one rule, their union or a superset of it when there are several), within EventBridge's pattern limit.

A superset is sound because a replay reaches the ingest rules only (StartReplay's FilterArns); what is
checked here is that nothing a bus rule forwards is missing from the archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.bus_rule_combinations import pattern_chars
from infra.event_pattern import (
    ARCHIVE_PATTERN_HEADROOM_CHARS,
    BUS_RULE_LIMITS,
    BusRuleLimits,
    BusRulePlan,
    archive_event_pattern,
    plan_bus_rules,
)
from task_creator.mapping.patterns import EventPattern
from task_creator.mapping.rules import TaskMapping, load_mapping
from tests.infra.generated_mappings import generated_mapping, sample_events, write_generated_mapping

pytestmark = pytest.mark.unit

SMALL = BusRuleLimits(pattern_chars=300)


def load(tmp_path: Path, *matches: dict[str, Any]) -> TaskMapping:
    rules = [
        {"name": f"rule-{index}", "match": match, "task": {"Name": "t"}}
        for index, match in enumerate(matches)
    ]
    path = tmp_path / "archive.mapping.json"
    path.write_text(json.dumps({"rules": rules}), encoding="utf-8")
    return load_mapping(path)


def archived_everything_forwarded(
    plan: BusRulePlan, pattern: dict[str, Any] | None, events: list[Any]
) -> bool:
    """Every event some bus rule forwards matches the archive's pattern (None: the archive takes all)."""
    if pattern is None:
        return True
    archive = EventPattern.compile(pattern)
    rules = [EventPattern.compile(each) for each in plan.patterns]
    return all(archive.matches(event) for event in events if any(rule.matches(event) for rule in rules))


def test_with_one_bus_rule_the_archive_pattern_is_that_rules(tmp_path: Path) -> None:
    plan = plan_bus_rules(load(tmp_path, {"source": ["acme.orders"]}, {"detail-type": ["X"]}))

    (pattern,) = plan.patterns
    assert archive_event_pattern(plan) == pattern


def test_with_several_bus_rules_the_archive_takes_their_union_when_it_fits(tmp_path: Path) -> None:
    matches = [{"source": [f"acme.s{i}"], "detail-type": [f"SomethingHappened{i}" * 2]} for i in range(8)]
    plan = plan_bus_rules(load(tmp_path, *matches), SMALL)  # rules of 300 characters: several
    pattern = archive_event_pattern(plan)  # the archive may take EventBridge's 2,048

    assert len(plan.patterns) > 1
    assert pattern == plan.union
    assert pattern is not None
    assert len(pattern["$or"]) == sum(len(each.get("$or", [each])) for each in plan.patterns)


def test_when_the_union_does_not_fit_the_archive_takes_the_rules_sources(tmp_path: Path) -> None:
    matches = [{"source": [f"acme.s{i}"], "detail-type": [f"SomethingHappened{i}" * 2]} for i in range(8)]
    plan = plan_bus_rules(load(tmp_path, *matches), SMALL)

    pattern = archive_event_pattern(plan, SMALL)

    assert pattern == {"source": [f"acme.s{i}" for i in range(8)]}
    assert pattern_chars(pattern) <= SMALL.pattern_chars - ARCHIVE_PATTERN_HEADROOM_CHARS


def test_combinations_without_a_source_widen_to_their_detail_types(tmp_path: Path) -> None:
    matches = [{"source": [f"acme.s{i}"], "detail-type": [f"SomethingHappened{i}" * 2]} for i in range(5)]
    plan = plan_bus_rules(load(tmp_path, *matches, {"detail-type": ["CallbackRequested"]}), SMALL)

    assert archive_event_pattern(plan, SMALL) == {
        "$or": [{"source": [f"acme.s{i}" for i in range(5)]}, {"detail-type": ["CallbackRequested"]}]
    }


def test_when_no_superset_fits_the_archive_takes_every_event(tmp_path: Path) -> None:
    matches = [{"source": [f"acme.a-rather-long-source-name-{i}"]} for i in range(40)]
    plan = plan_bus_rules(load(tmp_path, *matches), SMALL)

    assert archive_event_pattern(plan, SMALL) is None


def test_an_archive_pattern_close_to_the_limit_leaves_room_for_eventbridges_archive_rule(
    tmp_path: Path,
) -> None:
    plan = plan_bus_rules(load(tmp_path, {"source": ["acme." + "x" * 2000]}))

    (pattern,) = plan.patterns
    assert pattern_chars(pattern) > BUS_RULE_LIMITS.pattern_chars - ARCHIVE_PATTERN_HEADROOM_CHARS
    assert archive_event_pattern(plan) is None  # no narrower superset than the one source exists


@pytest.mark.parametrize("rule_count", [25, 100, 200])
def test_the_archive_keeps_every_event_a_generated_mappings_bus_rules_forward(
    tmp_path: Path, rule_count: int
) -> None:
    document = generated_mapping(rule_count)
    plan = plan_bus_rules(
        load_mapping(write_generated_mapping(tmp_path, rule_count)), outcome_source="TaskCreator.outcomes"
    )

    pattern = archive_event_pattern(plan)

    assert archived_everything_forwarded(plan, pattern, sample_events(document))
    if pattern is not None:
        assert pattern_chars(pattern) <= BUS_RULE_LIMITS.pattern_chars - ARCHIVE_PATTERN_HEADROOM_CHARS
    assert (pattern is None) == (len(plan.patterns) > 1)  # 200 rules: 3 bus rules, no superset fits
