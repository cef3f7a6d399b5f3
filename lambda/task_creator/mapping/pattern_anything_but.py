"""The ``anything-but`` filter: every present leaf value its inner filter does not match.

As in event-ruler, that includes values of other types and ``null``. The argument is a string, a
number, a non-empty array of only strings or only numbers, or an object holding one of ``prefix``,
``suffix``, ``wildcard`` or ``equals-ignore-case`` with a string or an array of strings. Its numbers
must be ones EventBridge can compare, and its wildcards count towards the field's complexity limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final, TypeGuard

from task_creator.mapping.pattern_numbers import numeric_problem
from task_creator.mapping.pattern_strings import EQUALS_IGNORE_CASE, ignore_case_test
from task_creator.mapping.pattern_values import CompiledFilter, ValueTest, WildcardShape, exact_key, is_number
from task_creator.mapping.pattern_wildcards import wildcard_shape, wildcard_test

_ANYTHING_BUT_INNER: Final = ("prefix", "suffix", "wildcard", EQUALS_IGNORE_CASE)


def build_anything_but(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    if isinstance(argument, Mapping):
        excluded = _excluded_by_filter(argument, path, problems)
    else:
        excluded = _excluded_values(argument, path, problems)
    if excluded is None:
        return None
    test, wildcards = excluded
    return CompiledFilter(lambda value: not test(value), wildcards=wildcards)


def _excluded_by_filter(
    argument: Mapping[Any, Any], path: str, problems: list[str]
) -> tuple[ValueTest, tuple[WildcardShape, ...]] | None:
    """``{prefix|suffix|wildcard|equals-ignore-case: string or array of strings}``: what is excluded."""
    inner = _anything_but_inner(argument, path, problems)
    if inner is None:
        return None
    name, texts = inner
    if name == "wildcard":
        shapes = [wildcard_shape(text, path, problems) for text in texts]
        valid = tuple(shape for shape in shapes if shape is not None)
        if len(valid) < len(shapes):
            return None
        return _any_of([wildcard_test(shape) for shape in valid]), valid
    if name == EQUALS_IGNORE_CASE:
        return _any_of([ignore_case_test(text, "whole") for text in texts]), ()
    affixes = tuple(texts)
    if name == "prefix":
        return (lambda value: isinstance(value, str) and value.startswith(affixes)), ()
    return (lambda value: isinstance(value, str) and value.endswith(affixes)), ()


def _anything_but_inner(
    argument: Mapping[Any, Any], path: str, problems: list[str]
) -> tuple[str, list[str]] | None:
    """The inner filter's name and its strings, or None after recording why they are refused."""
    name, inner = next(iter(argument.items())) if len(argument) == 1 else (None, None)
    if name not in _ANYTHING_BUT_INNER:
        problems.append(
            f"{path}: anything-but expects one of {list(_ANYTHING_BUT_INNER)} inside an object,"
            f" got {sorted(map(str, argument))}"
        )
        return None
    texts = [inner] if isinstance(inner, str) else inner
    if not (isinstance(texts, list) and all(isinstance(text, str) for text in texts)):
        problems.append(f"{path}: anything-but expects {name} to hold a string or an array of strings")
        return None
    if name in ("prefix", "suffix") and "" in texts:
        problems.append(f"{path}: anything-but {name} must not be an empty string")
        return None
    return str(name), texts


def _any_of(tests: list[ValueTest]) -> ValueTest:
    return lambda value: any(test(value) for test in tests)


def _excluded_values(
    argument: object, path: str, problems: list[str]
) -> tuple[ValueTest, tuple[WildcardShape, ...]] | None:
    """A string, a number, or a non-empty array of only strings or only numbers."""
    values = [argument] if isinstance(argument, str) or is_number(argument) else argument
    if not (_is_string_list(values) or _is_number_list(values)):
        problems.append(
            f"{path}: anything-but expects a string, a number, a non-empty array of only strings or only"
            f" numbers, or an object {{prefix|suffix|wildcard|{EQUALS_IGNORE_CASE}: string(s)}}"
        )
        return None
    number_problems = [
        problem for value in values if is_number(value) and (problem := numeric_problem(value))
    ]
    if number_problems:
        problems.extend(f"{path}: anything-but number {problem}" for problem in number_problems)
        return None
    keys = frozenset(exact_key(value) for value in values)
    return (lambda value: exact_key(value) in keys), ()


def _is_string_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) for item in value)


def _is_number_list(value: object) -> TypeGuard[list[int | float]]:
    return (
        isinstance(value, list)
        and bool(value)
        and all(is_number(item) and math.isfinite(item) for item in value)
    )
