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
the function creates, and CloudTrail one for each ``StartTaskContact`` call (``OWN_EVENTS``); with
``outcomeEvents`` the function publishes an event per outcome (source ``outcome_source``). A bus rule
forwarding them would feed every task back into the function, so each combination is narrowed where
that loses nothing the function would process (``infra.own_events``: ``anything-but`` on the source, or
on the detail-type where a source filter covers theirs), and a rule that can only be narrowed by losing
events it asks for (Connect's own detail-type, a ``{"prefix": "aws."}`` source, the outcome source
itself) is refused with one line naming it.

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

from infra.bus_rule_combinations import BUS_LEVEL_FIELDS, Combination, normalized_values, pattern_chars
from infra.bus_rule_packing import PackingLimits, pack, rule_pattern
from infra.own_events import (
    MATCH_EVERY_EVENT,
    OUTCOME_DETAIL_TYPES,
    OWN_EVENT_DETAIL_TYPES,
    OWN_EVENT_SOURCE,
    OWN_EVENTS,
    outcome_events,
    without_own_events,
)

__all__ = [
    "ARCHIVE_PATTERN_HEADROOM_CHARS",
    "BUS_LEVEL_FIELDS",
    "BUS_RULE_LIMITS",
    "EVENT_PATTERN_MAX_CHARS",
    "MATCH_EVERY_EVENT",
    "OUTCOME_DETAIL_TYPES",
    "OWN_EVENTS",
    "OWN_EVENT_DETAIL_TYPES",
    "OWN_EVENT_SOURCE",
    "RULES_PER_BUS_QUOTA",
    "WILDCARD_RULES_PER_BUS_QUOTA",
    "BusRuleError",
    "BusRuleLimits",
    "BusRulePlan",
    "archive_event_pattern",
    "bus_constraints",
    "bus_event_pattern",
    "bus_event_patterns",
    "outcome_events",
    "plan_bus_rules",
    "unconstrained_rules",
]

EVENT_PATTERN_MAX_CHARS = 2048  # "Event pattern size", default quota
ARCHIVE_PATTERN_HEADROOM_CHARS = 64  # the archive's pattern stays this far under the limit
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


def plan_bus_rules(
    mapping: PatternMapping, limits: BusRuleLimits = BUS_RULE_LIMITS, *, outcome_source: str | None = None
) -> BusRulePlan:
    """The bus rules that forward exactly what some mapping rule could match, minus the function's own
    events (Connect's, and with ``outcome_source`` its outcome events: pass
    ``TaskCreatorConfig.published_outcome_source``), each within EventBridge's limits; ``problems``
    lists what does not fit."""
    problems: list[str] = []
    combinations: list[Combination] = []
    wanted = [
        Combination(constraints, (rule.name,))
        for rule in mapping.rules
        for constraints in bus_constraints(rule.match)
    ] or [Combination(MATCH_EVERY_EVENT)]
    for combination in wanted:
        guarded = without_own_events(combination, outcome_source)
        if isinstance(guarded, str):
            problems.append(guarded)
        else:
            combinations.extend(guarded)
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
    mapping: PatternMapping, limits: BusRuleLimits = BUS_RULE_LIMITS, *, outcome_source: str | None = None
) -> list[dict[str, Any]]:
    """The bus rules' patterns; BusRuleError listing every problem when the mapping cannot be deployed."""
    plan = plan_bus_rules(mapping, limits, outcome_source=outcome_source)
    if plan.problems:
        raise BusRuleError(plan.problems)
    return list(plan.patterns)


def bus_event_pattern(mapping: PatternMapping, *, outcome_source: str | None = None) -> dict[str, Any]:
    """One pattern matching what the bus rules forward together (the deployed pattern itself when the
    mapping needs one rule): what ``python -m local validate`` shows and the offline publisher checks."""
    return plan_bus_rules(mapping, outcome_source=outcome_source).union


def archive_event_pattern(
    plan: BusRulePlan, limits: BusRuleLimits = BUS_RULE_LIMITS
) -> dict[str, Any] | None:
    """The pattern of the archive of what the bus rules forward (``archiveDays``); None: every event.

    One archive serves every bus rule, so a replay window is one ``StartReplay``. Its pattern is the bus
    rule's (most mappings need one rule), or the union of the rules' patterns, when that fits one
    pattern's limits; else a superset that fits: every source the rules name, or every detail-type of
    their combinations without a source; else None, every event on the bus. A superset is sound: a
    replay is delivered only to the ingest rules (StartReplay's ``Destination.FilterArns``, the stack's
    output ``IngestRuleArns``), which apply their own patterns; it costs archive storage, never a task.

    EventBridge runs an archive as a managed rule on the bus (the rule also keeps replayed events out of
    the archive), so the archive's pattern stays ``ARCHIVE_PATTERN_HEADROOM_CHARS`` under a rule's limit.
    """
    room = limits.pattern_chars - ARCHIVE_PATTERN_HEADROOM_CHARS
    union = plan.patterns[0] if len(plan.patterns) == 1 else plan.union
    if pattern_chars(union) <= room and len(union.get("$or", [])) <= limits.or_combinations:
        return union
    branches = [branch for pattern in plan.patterns for branch in pattern.get("$or", [pattern])]
    if not branches or any(not branch for branch in branches):
        return None
    widened = [
        {key: normalized_values([value for branch in group for value in branch[key]])}
        for key, group in (
            ("source", [branch for branch in branches if "source" in branch]),
            ("detail-type", [branch for branch in branches if "source" not in branch]),
        )
        if group
    ]
    pattern = widened[0] if len(widened) == 1 else {"$or": widened}
    return pattern if pattern_chars(pattern) <= room else None


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
