"""Numbers as EventBridge compares them, and the ``numeric`` filter.

EventBridge compares numbers only within -5.0e9..5.0e9 with at most six digits after the decimal
point: :func:`numeric_problem` says why a pattern number falls outside that, :func:`is_comparable`
whether an event number is inside it. Those checks read a number as the JSON document wrote it, which
:func:`parse_json_float` (a ``json.loads`` hook) keeps (``1E-325`` parses as ``0.0``).
:func:`build_numeric` compiles ``{"numeric": [op, n]}`` and ``{"numeric": [">", low, "<", high]}``.
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeGuard

from task_creator.mapping.pattern_values import CompiledFilter, is_number

NUMERIC_OPERATORS: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
NUMERIC_LIMIT: Final = Decimal("5E9")  # "limited to values between -5.0e9 and +5.0e9 inclusive"
NUMERIC_DECIMALS: Final = 6  # "15 digits of precision, or six digits to the right of the decimal point"


class WrittenFloat(float):
    """A float that remembers how the JSON document wrote it (``1E-325`` parses as ``0.0``)."""

    __slots__ = ("written",)
    written: str

    def __new__(cls, written: str) -> WrittenFloat:
        number = super().__new__(cls, written)
        number.written = written
        return number


def parse_json_float(text: str) -> float:
    """A ``json.loads(parse_float=...)`` hook: floats keep their written text for exact checks."""
    return WrittenFloat(text)


def numeric_problem(value: int | float) -> str | None:
    """Why EventBridge cannot compare the pattern number ``value``, or None when it can."""
    written = getattr(value, "written", None) or repr(value)
    exact = _exact_decimal(value)
    if exact is None or abs(exact) > NUMERIC_LIMIT:
        return f"{written} is outside the range EventBridge compares numbers in, -5.0e9 to 5.0e9"
    if _decimal_places(exact) > NUMERIC_DECIMALS:
        return f"{written} has more than {NUMERIC_DECIMALS} digits after the decimal point"
    return None


def is_comparable(value: object) -> TypeGuard[int | float]:
    """An event number EventBridge's numeric matching works on (in range, at most 6 decimals)."""
    if not is_number(value):
        return False
    if isinstance(value, int):
        return -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT
    exact = _exact_decimal(value)
    return exact is not None and abs(exact) <= NUMERIC_LIMIT and _decimal_places(exact) <= NUMERIC_DECIMALS


def _exact_decimal(value: int | float) -> Decimal | None:
    if isinstance(value, int):
        return Decimal(value)
    try:
        exact = Decimal(getattr(value, "written", None) or repr(value))
    except InvalidOperation:
        return None
    return exact if exact.is_finite() else None


def _decimal_places(exact: Decimal) -> int:
    """Digits after the decimal point, trailing zeros aside (``3.50`` has 1, ``1E-325`` has 325)."""
    _, digits, exponent = exact.as_tuple()
    written = "".join(map(str, digits))
    significant = written.rstrip("0")
    if not significant or not isinstance(exponent, int):
        return 0
    return max(-exponent - (len(written) - len(significant)), 0)


def build_numeric(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    """``[op, n]`` with op in = < <= > >=, or a range ``['>' or '>=', low, '<' or '<=', high]``."""
    shape = "numeric expects [operator, number] or ['>' or '>=', number, '<' or '<=', number]"
    if not isinstance(argument, list) or len(argument) not in (2, 4):
        problems.append(f"{path}: {shape}, got {json.dumps(argument, default=repr)}")
        return None
    comparisons = list(zip(argument[0::2], argument[1::2], strict=True))
    before = len(problems)
    for operator_name, bound in comparisons:
        if operator_name not in NUMERIC_OPERATORS:
            problems.append(
                f"{path}: numeric operator must be one of {list(NUMERIC_OPERATORS)}, got {operator_name!r}"
            )
        if not (is_number(bound) and math.isfinite(bound)):
            problems.append(f"{path}: numeric expects a finite number after each operator, got {bound!r}")
        elif (problem := numeric_problem(bound)) is not None:
            problems.append(f"{path}: numeric bound {problem}")
    if len(problems) > before:
        return None
    if len(comparisons) == 2:
        (low_name, low), (high_name, high) = comparisons
        if low_name not in (">", ">=") or high_name not in ("<", "<="):
            problems.append(f"{path}: {shape}, got {json.dumps(argument)}")
            return None
        if not low < high:
            problems.append(f"{path}: numeric lower bound {low!r} must be less than upper bound {high!r}")
            return None
    checks = tuple((NUMERIC_OPERATORS[name], bound) for name, bound in comparisons)
    return CompiledFilter(
        lambda value: is_comparable(value) and all(compare(value, bound) for compare, bound in checks)
    )
