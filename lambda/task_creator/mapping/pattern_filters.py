"""EventBridge filter objects (``{"prefix": "ab"}``, ``{"numeric": [">", 0]}``...) -> value tests.

:func:`compile_filter` validates one filter object from a leaf array, collecting every problem under
its JSON path, and returns a :class:`~task_creator.mapping.pattern_values.CompiledFilter`: a test on
one scalar event value (or the flag of an ``exists`` filter) and the wildcard shapes it holds, which
:mod:`.patterns` weighs against EventBridge's complexity limit. This module knows the filter names
(and the names EventBridge reserves inside ``$or``) and hands each filter to its builder:

- ``prefix``, ``suffix``, ``equals-ignore-case``: :mod:`.pattern_strings`
- ``wildcard``: :mod:`.pattern_wildcards`
- ``numeric``: :mod:`.pattern_numbers`
- ``cidr``: :mod:`.pattern_cidr`
- ``anything-but``: :mod:`.pattern_anything_but`

The rules follow EventBridge's content filtering documentation and the matcher it runs
(aws/event-ruler).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from task_creator.mapping.pattern_anything_but import build_anything_but
from task_creator.mapping.pattern_cidr import build_cidr
from task_creator.mapping.pattern_numbers import build_numeric
from task_creator.mapping.pattern_strings import EQUALS_IGNORE_CASE, affix_builder, build_equals_ignore_case
from task_creator.mapping.pattern_values import CompiledFilter, FilterBuilder, json_type
from task_creator.mapping.pattern_wildcards import build_wildcard

FILTER_NAMES: Final = frozenset(
    {"prefix", "suffix", EQUALS_IGNORE_CASE, "wildcard", "anything-but", "exists", "numeric", "cidr"}
)
# Field names EventBridge refuses inside $or: the filter names, the numeric operators, and names
# event-ruler reserves for future filters (its RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
OR_RESERVED_NAMES: Final = FILTER_NAMES | {
    "exactly", "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case",
    "date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
    "ip-address-in-range", "ip-address-not-in-range",
}  # fmt: skip

# Every filter name except ``exists``, which compile_filter turns into a flag rather than a test.
_FILTER_BUILDERS: Final[Mapping[str, FilterBuilder]] = {
    "prefix": affix_builder("prefix"),
    "suffix": affix_builder("suffix"),
    EQUALS_IGNORE_CASE: build_equals_ignore_case,
    "wildcard": build_wildcard,
    "numeric": build_numeric,
    "cidr": build_cidr,
    "anything-but": build_anything_but,
}


def compile_filter(spec: Mapping[Any, Any], path: str, problems: list[str]) -> CompiledFilter | None:
    """A filter object -> a :class:`CompiledFilter`; None after a problem (recorded in ``problems``)."""
    if len(spec) != 1:
        problems.append(f"{path}: a filter object must have exactly one key, got {sorted(map(str, spec))}")
        return None
    ((name, argument),) = spec.items()
    if name == "exists":
        if isinstance(argument, bool):
            return CompiledFilter(exists=argument)
        problems.append(f"{path}: exists expects true or false, got {json_type(argument)}")
        return None
    builder = _FILTER_BUILDERS.get(name) if isinstance(name, str) else None
    if builder is None:
        problems.append(f"{path}: unknown filter {name!r}; expected one of {sorted(FILTER_NAMES)}")
        return None
    return builder(argument, path, problems)
