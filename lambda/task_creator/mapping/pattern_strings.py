"""The string filters ``prefix``, ``suffix`` and ``equals-ignore-case``.

``prefix`` and ``suffix`` take a string or ``{"equals-ignore-case": string}``. Case-insensitive
filters compare each pattern character with its lower- and upper-case forms (Unicode,
locale-independent), as event-ruler's EqualsIgnoreCaseParser does: :func:`ignore_case_test` builds
that test, which ``anything-but`` reuses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from task_creator.mapping.pattern_values import CompiledFilter, FilterBuilder, ValueTest, string_argument

EQUALS_IGNORE_CASE: Final = "equals-ignore-case"


def affix_builder(name: str) -> FilterBuilder:
    """``prefix`` / ``suffix``: a string, or ``{"equals-ignore-case": string}``."""
    at_start = name == "prefix"

    def build(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
        ignore_case = isinstance(argument, Mapping) and list(argument) == [EQUALS_IGNORE_CASE]
        raw = argument[EQUALS_IGNORE_CASE] if isinstance(argument, Mapping) and ignore_case else argument
        text = string_argument(f"{name} (or its {EQUALS_IGNORE_CASE} form)", raw, path, problems)
        if text is None:
            return None
        if ignore_case:
            return CompiledFilter(ignore_case_test(text, "prefix" if at_start else "suffix"))
        if at_start:
            return CompiledFilter(lambda value: isinstance(value, str) and value.startswith(text))
        return CompiledFilter(lambda value: isinstance(value, str) and value.endswith(text))

    return build


def build_equals_ignore_case(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    text = string_argument(EQUALS_IGNORE_CASE, argument, path, problems)
    return None if text is None else CompiledFilter(ignore_case_test(text, "whole"))


def ignore_case_test(text: str, anchor: str) -> ValueTest:
    """Each pattern character matches its lower- or upper-case form (Unicode, locale-independent).

    ``anchor`` is where ``text`` must stand in the value: ``"prefix"``, ``"suffix"`` or ``"whole"``.
    """
    reverse = anchor == "suffix"
    forms = [{character.lower(), character.upper()} for character in text]
    if reverse:
        forms = [{form[::-1] for form in pair} for pair in reversed(forms)]
    regex = re.compile("".join("(?:" + "|".join(map(re.escape, sorted(pair))) + ")" for pair in forms))
    check = regex.fullmatch if anchor == "whole" else regex.match

    def test(value: object) -> bool:
        return isinstance(value, str) and check(value[::-1] if reverse else value) is not None

    return test
