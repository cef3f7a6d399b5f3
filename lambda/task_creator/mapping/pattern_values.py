"""What the pattern compiler and every filter builder share: JSON values and compiled filters.

The JSON value helpers (:func:`exact_key`, :func:`is_number`, :func:`json_type`) compare and name
values by JSON type, as EventBridge does: strings never equal numbers, ``true`` is not ``1``, ``null``
only equals ``null``. :class:`CompiledFilter` is what one filter object from a leaf array compiles to,
and :data:`FilterBuilder` the signature of the function that builds it. Every ``pattern_*`` module
may import from this one; it imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

ValueTest = Callable[[object], bool]
ExactKey = tuple[str, object]
WildcardShape = tuple[str, ...]  # the literal pieces between unescaped '*'


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    """One filter object: a value test, or (for ``exists``) the flag; plus the wildcards it holds."""

    test: ValueTest | None = None
    exists: bool | None = None
    wildcards: tuple[WildcardShape, ...] = ()


# A filter's argument, its JSON path and the problems list -> the compiled filter, or None after a problem.
FilterBuilder = Callable[[Any, str, list[str]], CompiledFilter | None]


def exact_key(value: object) -> ExactKey | None:
    """A hashable key equal to another only for the same JSON type and value (``true`` is not ``1``)."""
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("null", None) if value is None else None


def is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number: an int or float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_type(value: object) -> str:
    """The JSON name of ``value``'s type, for problem messages (the Python name if it has none)."""
    names = {str: "string", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    if isinstance(value, float):
        return "number"
    return "null" if value is None else names.get(type(value), type(value).__name__)


def string_argument(name: str, argument: object, path: str, problems: list[str]) -> str | None:
    """``argument`` when it is a string; else None, with a problem saying filter ``name`` wants one."""
    if isinstance(argument, str):
        return argument
    problems.append(f"{path}: {name} expects a string, got {json_type(argument)}")
    return None
