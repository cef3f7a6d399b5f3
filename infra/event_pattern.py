"""The event bus rules' patterns, derived from the mapping: an event reaches the ingest queue only if
some mapping rule could match it, and never because the function itself caused it.

Pure (no CDK, no AWS): the stack and the offline runtime both call ``plan_bus_rules`` so the bus
rules on AWS and the ones provisioned on moto are the same.

Derivation. Each mapping rule contributes its ``source`` / ``detail-type`` constraints as written (exact
values or content filters such as ``{"prefix": "acme."}``); a rule whose pattern is an ``$or``
contributes one combination per branch. What the bus forwards is therefore a documented superset of
what the rules match: their ``detail`` (and other) filters are left to the function, which matches
every rule itself and handles what no rule matches as the mapping's ``unmatched`` says. A rule (or
``$or`` branch) that constrains neither field could match any event, so the bus then forwards every
event but the function's own (``MATCH_EVERY_EVENT``).

The function's own events. Amazon Connect puts an event on the account's default bus for every task
the function creates (``aws.connect`` / ``Amazon Connect Contact Event``), and CloudTrail one for each
``StartTaskContact`` call (``aws.connect`` / ``AWS API Call via CloudTrail``): ``OWN_EVENTS``. A bus
rule forwarding them would feed every task back into the function. So a combination that could match
one of them is narrowed, exactly where that loses nothing else: without a source it gets
``"source": [{"anything-but": ["aws.connect"]}]`` (an ``anything-but`` list gets ``aws.connect`` added),
so ``aws.connect`` events reach only rules that name that source; a combination naming ``aws.connect``
itself gets its detail-type narrowed the same way. One that cannot be narrowed exactly (it names
Connect's own detail-type, or a source filter such as ``{"prefix": "aws."}`` covers ``aws.connect``) is
refused.

Limits (EventBridge quotas, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html):
an event pattern has at most 2,048 characters (adjustable through Service Quotas; the stack assumes
the default); an event bus has at most 300 rules (adjustable), shared with every other rule on the
bus, and at most 30 rules with wildcard filters (not adjustable). ``infra.bus_rule_packing`` packs the
combinations into rules within ``BUS_RULE_LIMITS``; what cannot fit is refused with one line naming
the rule and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from infra.bus_rule_combinations import BUS_LEVEL_FIELDS, Combination
from infra.bus_rule_packing import PackingLimits, pack, rule_pattern
from task_creator.mapping.patterns import EventPattern

__all__ = [
    "BUS_LEVEL_FIELDS",
    "BUS_RULE_LIMITS",
    "EVENT_PATTERN_MAX_CHARS",
    "MATCH_EVERY_EVENT",
    "OWN_EVENTS",
    "OWN_EVENT_DETAIL_TYPES",
    "OWN_EVENT_SOURCE",
    "RULES_PER_BUS_QUOTA",
    "WILDCARD_RULES_PER_BUS_QUOTA",
    "BusRuleError",
    "BusRuleLimits",
    "BusRulePlan",
    "bus_constraints",
    "bus_event_pattern",
    "bus_event_patterns",
    "plan_bus_rules",
    "unconstrained_rules",
]

OWN_EVENT_SOURCE = "aws.connect"
OWN_EVENT_DETAIL_TYPES = ("Amazon Connect Contact Event", "AWS API Call via CloudTrail")
OWN_EVENTS: tuple[dict[str, Any], ...] = tuple(
    {"source": OWN_EVENT_SOURCE, "detail-type": detail_type} for detail_type in OWN_EVENT_DETAIL_TYPES
)
MATCH_EVERY_EVENT: dict[str, Any] = {"source": [{"anything-but": [OWN_EVENT_SOURCE]}]}

EVENT_PATTERN_MAX_CHARS = 2048  # "Event pattern size", default quota
RULES_PER_BUS_QUOTA = 300  # "Rules", default quota per event bus
WILDCARD_RULES_PER_BUS_QUOTA = 30  # "Rules containing wildcards", per event bus, not adjustable


@dataclass(frozen=True)
class BusRuleLimits:
    """How large one bus rule's pattern may be, and how many rules the stack may put on the bus.

    ``rules`` and ``wildcard_rules`` are a tenth of the bus quotas: the bus (the account's default one,
    unless ``createEventBus``) is shared with every other rule on it. ``or_combinations`` bounds the
    ``$or`` alternatives of one pattern; the size limit keeps a pattern below it anyway (each
    combination takes at least 17 characters)."""

    pattern_chars: int = EVENT_PATTERN_MAX_CHARS
    or_combinations: int = 100
    rules: int = RULES_PER_BUS_QUOTA // 10
    wildcard_rules: int = WILDCARD_RULES_PER_BUS_QUOTA // 10


BUS_RULE_LIMITS = BusRuleLimits()


class PatternRule(Protocol):
    """What this module needs from a mapping rule (``task_creator.mapping.rules.MappingRule`` fits)."""

    @property
    def name(self) -> str: ...

    @property
    def match(self) -> Mapping[str, Any]: ...


class PatternMapping(Protocol):
    """What this module needs from a mapping (``task_creator.mapping.rules.TaskMapping`` fits)."""

    @property
    def rules(self) -> Sequence[PatternRule]: ...


class BusRuleError(ValueError):
    """The mapping's bus rules cannot be deployed. ``problems`` holds one line per problem, each naming
    the rule (or the limit) and the fix."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class BusRulePlan:
    """The bus rules a mapping deploys as: one pattern per rule, each within ``limits``.

    ``problems`` says why the mapping cannot be deployed (empty when it can); ``overlapping`` is True
    when one event may match two rules (then EventBridge delivers it once per rule, and the function's
    ClientToken makes the second delivery a duplicate, never a second task)."""

    patterns: tuple[dict[str, Any], ...]
    problems: tuple[str, ...] = ()
    overlapping: bool = False

    @property
    def union(self) -> dict[str, Any]:
        """One pattern matching what the rules match together (for previews and offline checks; it may
        exceed the size limit, so it is never deployed as one rule)."""
        combinations = [branch for pattern in self.patterns for branch in pattern.get("$or", [pattern])] or [
            MATCH_EVERY_EVENT
        ]
        return rule_pattern([Combination(each) for each in combinations])


def plan_bus_rules(mapping: PatternMapping, limits: BusRuleLimits = BUS_RULE_LIMITS) -> BusRulePlan:
    """The bus rules that forward exactly what some mapping rule could match, minus the function's own
    events, each within EventBridge's limits; ``problems`` lists what does not fit."""
    problems: list[str] = []
    combinations: list[Combination] = []
    for rule in mapping.rules:
        for constraints in bus_constraints(rule.match):
            guarded = _without_own_events(Combination(constraints, (rule.name,)))
            if isinstance(guarded, str):
                problems.append(guarded)
            else:
                combinations.extend(guarded)
    if not combinations and not problems:
        combinations = [Combination(MATCH_EVERY_EVENT)]
    packing = pack(combinations, PackingLimits(limits.pattern_chars, limits.or_combinations))
    problems.extend(packing.problems)
    if len(packing.patterns) > limits.rules:
        problems.append(
            f"the mapping's rules need {len(packing.patterns)} EventBridge rules, more than the "
            f"{limits.rules} this stack puts on a bus (a tenth of EventBridge's {RULES_PER_BUS_QUOTA}-rule "
            "quota per bus, which the bus's other rules share): let rules share sources and detail-types "
            "(or use prefix filters) so that their patterns merge"
        )
    if packing.wildcard_rules > limits.wildcard_rules:
        problems.append(
            f"the mapping's wildcard filters on source/detail-type need {packing.wildcard_rules} bus rules "
            f"with wildcards, more than the {limits.wildcard_rules} this stack uses (EventBridge allows "
            f"{WILDCARD_RULES_PER_BUS_QUOTA} per bus): use prefix or suffix filters, or exact values"
        )
    return BusRulePlan(patterns=packing.patterns, problems=tuple(problems), overlapping=packing.overlapping)


def bus_event_patterns(
    mapping: PatternMapping, limits: BusRuleLimits = BUS_RULE_LIMITS
) -> list[dict[str, Any]]:
    """The bus rules' patterns; BusRuleError listing every problem when the mapping cannot be deployed."""
    plan = plan_bus_rules(mapping, limits)
    if plan.problems:
        raise BusRuleError(plan.problems)
    return list(plan.patterns)


def bus_event_pattern(mapping: PatternMapping) -> dict[str, Any]:
    """One pattern matching what the bus rules forward together (the deployed pattern itself when the
    mapping needs one rule): what ``python -m local validate`` shows and the offline publisher checks."""
    return plan_bus_rules(mapping).union


def unconstrained_rules(mapping: PatternMapping) -> list[str]:
    """Names of the rules that constrain neither source nor detail-type (they open the bus rule wide)."""
    return [rule.name for rule in mapping.rules if any(not c for c in bus_constraints(rule.match))]


def bus_constraints(pattern: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The source / detail-type combinations one rule's pattern requires (one per ``$or`` branch)."""
    own = {key: pattern[key] for key in BUS_LEVEL_FIELDS if key in pattern}
    branches = pattern.get("$or")
    if not isinstance(branches, list) or not branches:
        return [own]
    combinations: list[dict[str, Any]] = []
    for branch in branches:
        if not isinstance(branch, Mapping):
            continue
        for combination in bus_constraints(branch):
            combinations.append({**combination, **own})
    return combinations or [own]


# --- the function's own events -------------------------------------------------------------------------


def _without_own_events(combination: Combination) -> list[Combination] | str:
    """``combination`` narrowed so that it matches none of ``OWN_EVENTS`` (and nothing else the mapping
    wants is lost), or the problem when that cannot be done exactly."""
    if not _matches_own_event(combination):
        return [combination]
    if "source" not in combination.constraints:
        return [combination.replaced("source", [{"anything-but": [OWN_EVENT_SOURCE]}])]
    sources = list(combination.constraints["source"])
    extended = _anything_but_extended(sources, (OWN_EVENT_SOURCE,))
    if extended is not None:
        return [combination.replaced("source", extended)]
    if sources == [OWN_EVENT_SOURCE]:
        return _connect_detail_types_excluded(combination)
    if OWN_EVENT_SOURCE in sources:  # Connect among other sources: guard the Connect part on its own
        others = combination.replaced("source", [each for each in sources if each != OWN_EVENT_SOURCE])
        guarded = [_without_own_events(others), _connect_detail_types_excluded(combination)]
        problem = next((each for each in guarded if isinstance(each, str)), None)
        return problem or [piece for each in guarded if not isinstance(each, str) for piece in each]
    return _own_events_problem(
        combination,
        f"list the sources it needs instead of a filter that also matches {OWN_EVENT_SOURCE!r}, "
        "or give it a detail-type",
    )


def _connect_detail_types_excluded(combination: Combination) -> list[Combination] | str:
    """The ``aws.connect`` part of ``combination`` without Connect's own detail-types."""
    connect = combination.replaced("source", [OWN_EVENT_SOURCE])
    if not _matches_own_event(connect):
        return [connect]
    detail_types = connect.constraints.get("detail-type")
    narrowed = (
        [{"anything-but": list(OWN_EVENT_DETAIL_TYPES)}]
        if detail_types is None
        else _anything_but_extended(detail_types, OWN_EVENT_DETAIL_TYPES)
    )
    if narrowed is None:
        return _own_events_problem(
            connect, "match other detail-types of aws.connect (a list, or an anything-but list)"
        )
    return [connect.replaced("detail-type", narrowed)]


def _own_events_problem(combination: Combination, fix: str) -> str:
    return (
        f"mapping rule {', '.join(map(repr, combination.rules))}: it matches the events Amazon Connect puts "
        f"on the bus for the tasks this function creates (source {OWN_EVENT_SOURCE!r}, detail-type "
        f"{' or '.join(map(repr, OWN_EVENT_DETAIL_TYPES))}), so every task would come back to the "
        f"function: {fix}"
    )


def _matches_own_event(combination: Combination) -> bool:
    if not combination.constraints:
        return True
    compiled = EventPattern.compile(combination.pattern)
    return any(compiled.matches(event) for event in OWN_EVENTS)


def _anything_but_extended(values: Sequence[Any], excluded: Sequence[str]) -> list[Any] | None:
    """``[{"anything-but": [...]}]`` with ``excluded`` added to its list; None for any other shape."""
    if len(values) != 1 or not isinstance(values[0], Mapping) or set(values[0]) != {"anything-but"}:
        return None
    listed = values[0]["anything-but"]
    listed = [listed] if isinstance(listed, str) else listed
    if not isinstance(listed, list) or not all(isinstance(each, str) for each in listed):
        return None
    return [{"anything-but": list(dict.fromkeys([*listed, *excluded]))}]
