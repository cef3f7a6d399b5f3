"""No loops: the bus rules never forward the function's own outcome events, whatever the mapping says,
and a rule that asks for nothing but them is refused with one line naming it.

The patterns are evaluated with the function's own matcher (``task_creator.mapping.patterns``) against
outcome events shaped as the function publishes them."""

from __future__ import annotations

from typing import Any

import pytest

from infra.event_pattern import (
    OUTCOME_DETAIL_TYPES,
    OWN_EVENTS,
    BusRuleError,
    bus_event_patterns,
    plan_bus_rules,
)
from task_creator.mapping.patterns import EventPattern
from tests.infra.pattern_samples import Mapping, Rule, mapping
from tests.infra.pattern_samples import outcome_event as sample_outcome_event

pytestmark = pytest.mark.unit

SOURCE = "acme.task-outcomes"


def event(source: str, detail_type: str) -> dict[str, Any]:
    return {"source": source, "detail-type": detail_type, "detail": {}}


def forwarded(patterns: list[dict[str, Any]], candidate: dict[str, Any]) -> int:
    """How many of the bus rules match ``candidate`` (EventBridge delivers it once per rule)."""
    return sum(EventPattern.compile(pattern).matches(candidate) for pattern in patterns)


def outcome_event(detail_type: str, source: str = SOURCE) -> dict[str, Any]:
    return sample_outcome_event(detail_type, source)


OUTCOMES = [outcome_event(detail_type) for detail_type in OUTCOME_DETAIL_TYPES]


def patterns_for(*matches: dict[str, Any]) -> list[dict[str, Any]]:
    return bus_event_patterns(mapping(*matches), outcome_source=SOURCE)


@pytest.mark.parametrize(
    "matches",
    [
        pytest.param(({"detail": {"escalated": [True]}},), id="no source, no detail-type"),
        pytest.param(({"detail-type": [{"prefix": "Task"}]},), id="no source, detail-type prefix"),
        pytest.param(({"detail-type": [{"anything-but": ["Heartbeat"]}]},), id="no source, anything-but"),
        pytest.param(({"source": [{"anything-but": ["acme.test"]}]},), id="source anything-but"),
        pytest.param(({"source": [{"prefix": "acme."}]},), id="source prefix covering it"),
        pytest.param(({"source": [{"wildcard": "acme.*-outcomes"}]},), id="source wildcard covering it"),
        pytest.param(({"source": [{"suffix": "-outcomes"}, "acme.orders"]},), id="suffix among literals"),
        pytest.param(({"source": [SOURCE, "acme.orders"]},), id="named among other sources"),
        pytest.param(
            ({"source": [{"prefix": "acme."}], "detail-type": [{"anything-but": ["Heartbeat"]}]},),
            id="source prefix, detail-type anything-but",
        ),
        pytest.param(({"$or": [{"source": [{"prefix": "acme."}]}, {"detail-type": ["X"]}]},), id="$or"),
        pytest.param((), id="no rules at all"),
    ],
)
def test_no_bus_rule_matches_the_functions_outcome_events(matches: tuple[dict[str, Any], ...]) -> None:
    patterns = patterns_for(*matches)

    assert [forwarded(patterns, outcome) for outcome in OUTCOMES] == [0] * len(OUTCOMES)
    assert [forwarded(patterns, own) for own in OWN_EVENTS] == [0] * len(OWN_EVENTS)  # still guarded


def test_a_prefix_covering_the_outcome_source_loses_only_the_outcome_detail_types() -> None:
    patterns = patterns_for({"source": [{"prefix": "acme."}]})

    assert patterns == [
        {"source": [{"prefix": "acme."}], "detail-type": [{"anything-but": list(OUTCOME_DETAIL_TYPES)}]}
    ]
    assert forwarded(patterns, event("acme.orders", "OrderDelayed")) == 1
    assert forwarded(patterns, event(SOURCE, "Task Created")) == 0


def test_a_rule_without_source_forwards_every_source_but_the_outcome_source_and_connect() -> None:
    patterns = patterns_for({"detail": {"escalated": [True]}})

    assert patterns == [{"source": [{"anything-but": ["aws.connect", SOURCE]}]}]
    assert forwarded(patterns, event("acme.orders", "Task Created")) == 1  # another source's "Task Created"
    assert forwarded(patterns, event(SOURCE, "Something Else")) == 0


def test_the_outcome_source_named_among_others_is_dropped_and_the_others_kept() -> None:
    patterns = patterns_for({"source": [SOURCE, "acme.orders"], "detail-type": ["Task Created"]})

    assert patterns == [{"source": ["acme.orders"], "detail-type": ["Task Created"]}]


def test_rules_that_cannot_match_an_outcome_event_are_left_as_written() -> None:
    matches = ({"detail-type": ["OrderDelayed"]}, {"source": [{"prefix": "acme."}], "detail-type": ["X"]})

    assert patterns_for(*matches) == bus_event_patterns(mapping(*matches))


@pytest.mark.parametrize(
    "match",
    [
        pytest.param({"source": [SOURCE]}, id="the outcome source alone"),
        pytest.param({"source": [SOURCE], "detail-type": ["Task Dead-Lettered"]}, id="with its detail-type"),
        pytest.param({"$or": [{"source": [SOURCE]}, {"source": ["acme.orders"]}]}, id="an $or branch"),
    ],
)
def test_a_rule_naming_only_the_outcome_source_is_refused_in_one_line(match: dict[str, Any]) -> None:
    plan = plan_bus_rules(mapping({"source": ["acme.orders"]}, match), outcome_source=SOURCE)

    (problem,) = plan.problems
    assert problem.startswith(f"mapping rule 'rule-1': it names source {SOURCE!r}")
    assert "outcomeSource" in problem
    assert "\n" not in problem
    with pytest.raises(BusRuleError, match="rule-0"):
        bus_event_patterns(mapping(match), outcome_source=SOURCE)


def test_a_source_filter_whose_detail_type_names_an_outcome_is_refused_in_one_line() -> None:
    plan = plan_bus_rules(
        Mapping(
            rules=(Rule("task-news", {"source": [{"prefix": "acme."}], "detail-type": ["Task Created"]}),)
        ),
        outcome_source=SOURCE,
    )

    (problem,) = plan.problems
    assert problem.startswith(f"mapping rule 'task-news': its source filter also matches {SOURCE!r}")
    assert "-c outcomeSource=" in problem
    assert "\n" not in problem


def test_without_outcome_events_the_outcome_source_is_an_ordinary_source() -> None:
    plan = plan_bus_rules(mapping({"source": [SOURCE]}))

    assert (plan.problems, plan.patterns) == ((), ({"source": [SOURCE]},))


def test_outcome_detail_types_are_the_contracts() -> None:
    assert OUTCOME_DETAIL_TYPES == (
        "Task Created",
        "Task Duplicate Skipped",
        "Task Updated",
        "Task Rescheduled",
        "Task Completed",
        "Task Dead-Lettered",
    )
    assert all(EventPattern.compile({"source": [SOURCE]}).matches(outcome) for outcome in OUTCOMES)
