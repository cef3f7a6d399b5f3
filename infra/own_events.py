"""The function's own events, which no bus rule may forward back to it. Pure (no CDK, no AWS).

Two kinds of event are caused by the function itself and may reach the bus its rules listen on:

- Amazon Connect's (``OWN_EVENTS``): an event on the account's default bus for every task the function
  creates (``aws.connect`` / ``Amazon Connect Contact Event``), and CloudTrail's for each
  ``StartTaskContact`` call (``aws.connect`` / ``AWS API Call via CloudTrail``);
- its outcome events (``outcome_events(source)``): ``source`` = the stack's ``outcomeSource``,
  ``detail-type`` one of ``OUTCOME_DETAIL_TYPES``, published with PutEvents when ``outcomeEvents`` is on.

``without_own_events`` narrows one bus combination so that it matches none of them, exactly where that
loses nothing the function would process, or says why it cannot:

- Connect: a combination without a source gets ``"source": [{"anything-but": ["aws.connect"]}]`` (an
  ``anything-but`` list gets ``aws.connect`` added), so ``aws.connect`` events reach only rules that name
  that source; a combination naming ``aws.connect`` itself gets Connect's two detail-types excluded the
  same way. Naming Connect's own detail-type, or a source filter covering ``aws.connect`` (``{"prefix":
  "aws."}``) with a detail-type that does not rule them out, is refused.
- Outcome events: the function never processes an event of its outcome source (it ignores them), so
  that source is dropped from a list of sources, and a rule naming only it is refused; a combination
  without a source gets it added to its ``anything-but`` list (or one made for it); a source filter that
  covers it (``{"prefix": "TaskCreator."}``) cannot exclude one value, so that part gets the outcome
  detail-types excluded instead (``"detail-type": [{"anything-but": OUTCOME_DETAIL_TYPES}]``), refused
  when its own detail-types name one of them.

Whether a combination could match is decided with the function's own matcher on the sample events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from infra.bus_rule_combinations import Combination, filter_matches
from task_creator.mapping.patterns import EventPattern
from task_creator.outcome_events import DetailType

__all__ = [
    "MATCH_EVERY_EVENT",
    "OUTCOME_DETAIL_TYPES",
    "OWN_EVENTS",
    "OWN_EVENT_DETAIL_TYPES",
    "OWN_EVENT_SOURCE",
    "outcome_events",
    "without_own_events",
]

OWN_EVENT_SOURCE = "aws.connect"
OWN_EVENT_DETAIL_TYPES = ("Amazon Connect Contact Event", "AWS API Call via CloudTrail")
OWN_EVENTS: tuple[dict[str, Any], ...] = tuple(
    {"source": OWN_EVENT_SOURCE, "detail-type": detail_type} for detail_type in OWN_EVENT_DETAIL_TYPES
)
MATCH_EVERY_EVENT: dict[str, Any] = {"source": [{"anything-but": [OWN_EVENT_SOURCE]}]}
# The detail-types of the function's outcome events, as the function names them.
OUTCOME_DETAIL_TYPES: tuple[str, ...] = tuple(detail_type.value for detail_type in DetailType)


def outcome_events(source: str) -> tuple[dict[str, Any], ...]:
    """One sample of each outcome event the function publishes under ``source`` (bus-level fields only)."""
    return tuple({"source": source, "detail-type": detail_type} for detail_type in OUTCOME_DETAIL_TYPES)


def without_own_events(combination: Combination, outcome_source: str | None) -> list[Combination] | str:
    """``combination`` narrowed so that it matches none of Connect's events for the function's tasks and,
    with an ``outcome_source``, none of the function's outcome events; or the problem, in one line."""
    guarded = _without_connect_events(combination)
    if isinstance(guarded, str) or outcome_source is None:
        return guarded
    pieces: list[Combination] = []
    for piece in guarded:
        narrowed = _without_outcome_events(piece, outcome_source)
        if isinstance(narrowed, str):
            return narrowed
        pieces.extend(narrowed)
    return pieces


# --- Amazon Connect's events --------------------------------------------------------------------------


def _without_connect_events(combination: Combination) -> list[Combination] | str:
    if not _matches_any(combination, OWN_EVENTS):
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
        guarded = [_without_connect_events(others), _connect_detail_types_excluded(combination)]
        problem = next((each for each in guarded if isinstance(each, str)), None)
        return problem or [piece for each in guarded if not isinstance(each, str) for piece in each]
    return _connect_problem(
        combination,
        f"list the sources it needs instead of a filter that also matches {OWN_EVENT_SOURCE!r}, "
        "or give it a detail-type",
    )


def _connect_detail_types_excluded(combination: Combination) -> list[Combination] | str:
    """The ``aws.connect`` part of ``combination`` without Connect's own detail-types."""
    connect = combination.replaced("source", [OWN_EVENT_SOURCE])
    if not _matches_any(connect, OWN_EVENTS):
        return [connect]
    narrowed = _detail_types_excluded(connect, OWN_EVENT_DETAIL_TYPES)
    if narrowed is None:
        return _connect_problem(
            connect, "match other detail-types of aws.connect (a list, or an anything-but list)"
        )
    return [narrowed]


def _connect_problem(combination: Combination, fix: str) -> str:
    return (
        f"mapping rule {_names(combination)}: it matches the events Amazon Connect puts on the bus for "
        f"the tasks this function creates (source {OWN_EVENT_SOURCE!r}, detail-type "
        f"{' or '.join(map(repr, OWN_EVENT_DETAIL_TYPES))}), so every task would come back to the "
        f"function: {fix}"
    )


# --- the function's outcome events --------------------------------------------------------------------


def _without_outcome_events(combination: Combination, source: str) -> list[Combination] | str:
    sources = combination.constraints.get("source")
    if sources is not None and source in sources:  # named: the function never processes these events
        rest = [each for each in sources if each != source]
        if not rest:
            return _outcome_problem(
                combination,
                f"it names source {source!r}, the source of the outcome events this function publishes "
                "(outcomeSource), which the function never processes, and forwarding them would send "
                "every outcome back to it: take the rule out (consume outcome events with a rule and "
                "target of your own), or pass -c outcomeSource=... with another source",
            )
        return _without_outcome_events(combination.replaced("source", rest), source)
    if not _matches_any(combination, outcome_events(source)):
        return [combination]
    if sources is None:
        return [combination.replaced("source", [{"anything-but": [source]}])]
    kept: list[Any] = []
    covering: list[Any] = []
    for value in sources:
        extended = _anything_but_extended([value], (source,))
        if not _value_matches(value, source):
            kept.append(value)
        elif extended is not None:
            kept.extend(extended)
        else:
            covering.append(value)
    pieces = [combination.replaced("source", kept)] if kept else []
    if covering:  # a filter covering the source: it cannot leave one value out, so the outcomes' types go
        filtered = combination.replaced("source", covering)
        narrowed = _detail_types_excluded(filtered, OUTCOME_DETAIL_TYPES)
        if narrowed is None:
            return _outcome_problem(
                filtered,
                f"its source filter also matches {source!r}, the source of the outcome events this "
                "function publishes (outcomeSource), and its detail-type does not rule them out, so "
                "every outcome would come back to the function: list the sources it needs, or give it "
                f"detail-types other than {', '.join(map(repr, OUTCOME_DETAIL_TYPES))}, or pass "
                "-c outcomeSource=... with a source the filter does not match",
            )
        pieces.append(narrowed)
    return pieces


def _outcome_problem(combination: Combination, why: str) -> str:
    return f"mapping rule {_names(combination)}: {why}"


def _value_matches(value: Any, source: str) -> bool:
    """Whether one value of a ``source`` list (a literal or a filter object) matches ``source``."""
    return filter_matches(value, source) if isinstance(value, Mapping) else bool(value == source)


# --- shared -----------------------------------------------------------------------------------------------


def _detail_types_excluded(combination: Combination, excluded: Sequence[str]) -> Combination | None:
    """``combination`` with ``excluded`` detail-types ruled out, or None when its detail-types cannot be
    narrowed exactly (they name one of them, or use a filter other than ``anything-but``)."""
    detail_types = combination.constraints.get("detail-type")
    narrowed = (
        [{"anything-but": list(excluded)}]
        if detail_types is None
        else _anything_but_extended(detail_types, excluded)
    )
    return None if narrowed is None else combination.replaced("detail-type", narrowed)


def _matches_any(combination: Combination, events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether ``combination`` matches one of ``events``, as the function's matcher decides."""
    if not combination.constraints:
        return True
    compiled = EventPattern.compile(combination.pattern)
    return any(compiled.matches(dict(event)) for event in events)


def _anything_but_extended(values: Sequence[Any], excluded: Sequence[str]) -> list[Any] | None:
    """``[{"anything-but": [...]}]`` with ``excluded`` added to its list; None for any other shape."""
    if len(values) != 1 or not isinstance(values[0], Mapping) or set(values[0]) != {"anything-but"}:
        return None
    listed = values[0]["anything-but"]
    listed = [listed] if isinstance(listed, str) else listed
    if not isinstance(listed, list) or not all(isinstance(each, str) for each in listed):
        return None
    return [{"anything-but": list(dict.fromkeys([*listed, *excluded]))}]


def _names(combination: Combination) -> str:
    return ", ".join(map(repr, combination.rules))
