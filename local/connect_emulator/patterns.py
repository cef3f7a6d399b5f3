"""Compile the `pattern` trait of botocore shapes with the standard library's `re`.

The model's patterns are ECMAScript regular expressions, matched anywhere in the value (not implicitly
anchored). `re` reads them as they are, except Unicode property escapes (`\\p{L}`, `\\P{C}`), which it does
not know: each is rewritten as the explicit code-point ranges of that general category, computed from
`unicodedata`, so `[\\P{C}\\r\\n]` and `^\\P{C}*$` keep their meaning inside and outside a class.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

_PROPERTY_ESCAPE = re.compile(r"\\([pP])\{([A-Za-z]{1,2})\}")


class UnsupportedPattern(ValueError):
    """The model uses a regular-expression feature this translator does not handle."""


def compile_model_pattern(pattern: str) -> re.Pattern[str]:
    """The `re` equivalent of a model pattern; use `.search()` (model patterns are not anchored)."""
    try:
        return re.compile(_translate(pattern))
    except re.error as error:
        raise UnsupportedPattern(f"cannot compile model pattern {pattern!r}: {error}") from error


def _translate(pattern: str) -> str:
    pieces: list[str] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape = _PROPERTY_ESCAPE.match(pattern, index)
            if escape is None:
                pieces.append(pattern[index : index + 2])
                index += 2
                continue
            ranges = _category_ranges(escape.group(2), negated=escape.group(1) == "P")
            pieces.append(ranges if in_class else f"[{ranges}]")
            index = escape.end()
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        pieces.append(char)
        index += 1
    return "".join(pieces)


@cache
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """All code points as runs of one general category: (first, last, category), one scan, cached."""
    runs: list[tuple[int, int, str]] = []
    first, current = 0, unicodedata.category(chr(0))
    for code_point in range(1, sys.maxunicode + 1):
        category = unicodedata.category(chr(code_point))
        if category != current:
            runs.append((first, code_point - 1, current))
            first, current = code_point, category
    runs.append((first, sys.maxunicode, current))
    return tuple(runs)


@cache
def _category_ranges(category: str, *, negated: bool) -> str:
    """`category` (one letter: a major class, two: exact) as class ranges, e.g. `\\x00-\\x1f`."""
    if category[0] not in "LMNPSZC" or (len(category) == 2 and not category[1].islower()):
        raise UnsupportedPattern(f"unknown Unicode general category {category!r}")
    merged: list[list[int]] = []
    for first, last, run_category in _category_runs():
        if run_category.startswith(category) == negated:
            continue
        if merged and merged[-1][1] == first - 1:
            merged[-1][1] = last
        else:
            merged.append([first, last])
    return "".join(_class_range(first, last) for first, last in merged)


def _class_range(first: int, last: int) -> str:
    return _escaped(first) if first == last else f"{_escaped(first)}-{_escaped(last)}"


def _escaped(code_point: int) -> str:
    return f"\\U{code_point:08x}"
