"""Generated mappings of any size for the bus-rule limits, and events to try them with.

A generated mapping looks like a real one grown large: a pool of sources (short and long names, some
partner prefixes), several detail-types per source, content filters on detail-type (prefix, suffix,
equals-ignore-case, anything-but, a few wildcards), rules with no detail-type or no source, ``$or``
rules, and ``detail`` filters on most rules (which the bus leaves to the function). The same seed gives
the same mapping, so the figures the tests pin are stable.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

DOMAINS = ("orders", "billing", "shipping", "inventory", "crm", "support", "returns", "identity")
NOUNS = ("Order", "Payment", "Shipment", "Stock", "Callback", "Ticket", "Refund", "Account", "Invoice")
VERBS = ("Delayed", "Failed", "Created", "Escalated", "Cancelled", "Disputed", "Expired", "Reopened")
# (detail filter, a detail that matches it, one that does not)
DETAIL_FILTERS: tuple[tuple[dict[str, Any], dict[str, Any], dict[str, Any]], ...] = (
    ({"priority": ["high", "urgent"]}, {"priority": "urgent"}, {"priority": "low"}),
    ({"amount": [{"numeric": [">", 100]}]}, {"amount": 250}, {"amount": 5}),
    ({"customer": {"tier": ["vip"]}}, {"customer": {"tier": "vip"}}, {"customer": {"tier": "basic"}}),
    ({"region": [{"prefix": "eu-"}]}, {"region": "eu-west-1"}, {"region": "us-east-1"}),
    ({"ticketId": [{"exists": True}]}, {"ticketId": "T-1"}, {"other": 1}),
)


def generated_mapping(rule_count: int, *, seed: int = 8) -> dict[str, Any]:
    """A mapping document with ``rule_count`` rules (JSON-ready, valid for the function's loader)."""
    rng = random.Random(seed * 1009 + rule_count)
    sources = _source_pool(rng, max(2, rule_count // 5))
    detail_types = {_key(source): _detail_type_pool(rng) for source in sources}
    rules = [_rule(rng, index, sources, detail_types) for index in range(rule_count)]
    return {"rules": rules, "unmatched": "dead-letter"}


def write_generated_mapping(directory: Path, rule_count: int, *, seed: int = 8) -> Path:
    """The generated mapping written as ``generated-<n>.mapping.json`` in ``directory``."""
    path = directory / f"generated-{rule_count}.mapping.json"
    path.write_text(json.dumps(generated_mapping(rule_count, seed=seed), indent=1), encoding="utf-8")
    return path


def sample_events(document: dict[str, Any], *, seed: int = 8) -> list[dict[str, Any]]:
    """Events built from each rule's constraints (with and without its detail filter satisfied), near
    misses (a rule's source with another rule's detail-type), strangers, and Connect's own events."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    rules = document["rules"]
    for rule in rules:
        for branch in rule["match"].get("$or", [rule["match"]]):
            match = {**{k: v for k, v in rule["match"].items() if k != "$or"}, **branch}
            source = _value_for(rng, match.get("source"), "org.unlisted")
            detail_type = _value_for(rng, match.get("detail-type"), "Unlisted Happened")
            detail_filter = match.get("detail")
            wanted, unwanted = _details_for(detail_filter)
            events.append(_event(source, detail_type, wanted))
            events.append(_event(source, detail_type, unwanted))
            other = rng.choice(rules)["match"]
            events.append(_event(source, _value_for(rng, other.get("detail-type"), "Other Thing"), wanted))
            events.append(_event(_value_for(rng, other.get("source"), "org.other"), detail_type, wanted))
    for index in range(20):
        events.append(_event(f"org.stranger-{index}", rng.choice(NOUNS) + rng.choice(VERBS), {}))
    events.append(_event("aws.connect", "Amazon Connect Contact Event", {"channel": "TASK"}))
    events.append(_event("aws.connect", "AWS API Call via CloudTrail", {"eventName": "StartTaskContact"}))
    return events


def _source_pool(rng: random.Random, count: int) -> list[Any]:
    pool: list[Any] = []
    for index in range(count):
        domain = rng.choice(DOMAINS)
        roll = rng.random()
        if roll < 0.1:
            pool.append({"prefix": f"partner.{domain}-{index}."})
        elif roll < 0.4:
            pool.append(f"com.example.enterprise.{domain}.{domain}-management-service-{index}")
        else:
            pool.append(f"acme.{domain}-{index}")
    return pool


def _detail_type_pool(rng: random.Random) -> list[str]:
    return [
        f"{rng.choice(NOUNS)} {rng.choice(VERBS)}"
        if rng.random() < 0.3
        else rng.choice(NOUNS) + rng.choice(VERBS)
        for _ in range(rng.randint(3, 8))
    ]


def _rule(
    rng: random.Random, index: int, sources: list[Any], detail_types: dict[str, list[str]]
) -> dict[str, Any]:
    source = rng.choice(sources)
    pool = detail_types[_key(source)]
    roll = rng.random()
    match: dict[str, Any]
    if roll < 0.50:
        match = {"source": [source], "detail-type": rng.sample(pool, k=rng.randint(1, min(3, len(pool))))}
    elif roll < 0.62:
        match = {"source": [source], "detail-type": [_detail_type_filter(rng, pool)]}
    elif roll < 0.72:
        match = {"source": [source]}
    elif roll < 0.80:
        match = {"detail-type": [rng.choice(pool) + "Everywhere"]}
    elif roll < 0.90:
        other = rng.choice(sources)
        match = {"$or": [{"source": [source], "detail-type": [rng.choice(pool)]}, {"source": [other]}]}
    else:
        other = rng.choice(sources)
        match = {"source": [source, other], "detail-type": [rng.choice(pool)]}
    if rng.random() < 0.7:
        match["detail"] = rng.choice(DETAIL_FILTERS)[0]
    return {"name": f"generated-{index}", "match": match, "task": {"Name": f"Generated task {index}"}}


def _detail_type_filter(rng: random.Random, pool: list[str]) -> dict[str, Any]:
    example = rng.choice(pool)
    roll = rng.random()
    if roll < 0.3:
        return {"prefix": example[:5]}
    if roll < 0.55:
        return {"suffix": example[-6:]}
    if roll < 0.75:
        return {"equals-ignore-case": example.upper()}
    if roll < 0.95:
        return {"anything-but": [example]}
    return {"wildcard": f"{example[:3]}*{example[-3:]}"}


def _value_for(rng: random.Random, values: list[Any] | None, fallback: str) -> str:
    """A value the listed constraint accepts (any value when there is none)."""
    if not values:
        return fallback
    value = rng.choice(values)
    return value if isinstance(value, str) else _value_accepted_by(value)


def _value_accepted_by(filter_object: dict[str, Any]) -> str:
    ((name, argument),) = filter_object.items()
    if name == "prefix":
        return f"{argument}Tail"
    if name == "suffix":
        return f"Head{argument}"
    if name == "equals-ignore-case":
        return str(argument).swapcase()
    if name == "wildcard":
        return str(argument).replace("*", "Mid")
    return "Anything Else"  # anything-but


def _details_for(detail_filter: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    for each, wanted, unwanted in DETAIL_FILTERS:
        if each == detail_filter:
            return wanted, unwanted
    return {"any": "thing"}, {"any": "thing"}


def _event(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "source": source,
        "detail-type": detail_type,
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
