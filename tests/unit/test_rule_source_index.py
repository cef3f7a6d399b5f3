"""Rules are looked up by the source their pattern names; the answer is what evaluating every rule
gives, in file order, whatever the event's source (a string, an array, nothing)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from task_creator.mapping.rules import load_mapping, parse_mapping
from tests.support import SHIPPED_MAPPING_FILE

MIXED = parse_mapping(
    {
        "rules": [
            {"name": "exact", "match": {"source": ["acme.orders"]}, "task": {"Name": "a"}},
            {"name": "two", "match": {"source": ["acme.orders", "acme.pay"]}, "task": {"Name": "b"}},
            {"name": "prefix", "match": {"source": [{"prefix": "acme."}]}, "task": {"Name": "c"}},
            {"name": "no-source", "match": {"detail-type": ["Ping"]}, "task": {"Name": "d"}},
            {
                "name": "or",
                "match": {"$or": [{"source": ["x"]}, {"detail-type": ["Ping"]}]},
                "task": {"Name": "e"},
            },
            {
                "name": "mixed",
                "match": {"source": ["acme.pay", {"anything-but": "z"}]},
                "task": {"Name": "f"},
            },
            {"name": "repeat", "match": {"source": ["acme.pay", "acme.pay"]}, "task": {"Name": "g"}},
        ]
    }
)
SHIPPED = load_mapping(SHIPPED_MAPPING_FILE)
SOURCES = st.sampled_from(
    [
        "acme.orders",
        "acme.pay",
        "acme.other",
        "x",
        "z",
        "ACME.ORDERS",
        "",
        *{
            source
            for rule in SHIPPED.rules
            for source in rule.match.get("source", [])
            if isinstance(source, str)
        },
    ]
)
EVENTS = st.fixed_dictionaries(
    {"detail-type": st.sampled_from(["Ping", "OrderDelayed", "PaymentFailed"]), "detail": st.just({})},
    optional={"source": st.one_of(SOURCES, st.lists(SOURCES, max_size=3), st.none(), st.integers())},
)


def every_rule_that_matches(mapping: Any, event: dict[str, Any]) -> list[str]:
    return [rule.name for rule in mapping.rules if rule.matches(event)]


@given(EVENTS)
def test_the_index_finds_what_evaluating_every_rule_finds(event: dict[str, Any]) -> None:
    for mapping in (MIXED, SHIPPED):
        assert [rule.name for rule in mapping.matching_rules(event)] == every_rule_that_matches(
            mapping, event
        )


def test_an_event_is_matched_against_its_sources_rules_and_those_that_name_none() -> None:
    event = {"source": "acme.pay", "detail-type": "Other", "detail": {}}

    assert [rule.name for rule in MIXED.matching_rules(event)] == ["two", "prefix", "mixed", "repeat"]
