"""``{{ expression }}`` placeholders whose expressions are JMESPath over the canonical event.

A string that is exactly one placeholder renders to the expression's value with its JSON type (so a
number can fill ``ScheduledTime`` or ``ValueInteger``); any other string renders to text, each
placeholder replaced by its value written as text (see ``as_text``), null as nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.functions import Functions
from jmespath.parser import ParsedResult

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
KNOWN_FUNCTIONS = frozenset(Functions.FUNCTION_TABLE)
# What evaluating an expression over event data can raise besides JMESPath's own errors: a structure
# nested too deep (comparisons, to_string), a number too long or too large (to_string, avg, sum).
_SEARCH_FAILURES = (JMESPathError, RecursionError, ArithmeticError, ValueError, TypeError)


class TemplateError(ValueError):
    """At compile: a placeholder is empty, unterminated, or not valid JMESPath. At render: an expression
    fails on the event, or its value cannot be written as text. Never quotes the event's values."""


@dataclass(frozen=True)
class FieldPath:
    """A placeholder that is a plain path of fields (``detail.orderId``, ``"detail-type"``), by far the
    most common kind: walked directly, exactly as JMESPath reads it (a missing field, or anything but an
    object on the way, is null), without its interpreter's cost on every record."""

    expression: str
    fields: tuple[str, ...]

    def search(self, data: Any) -> Any:
        for name in self.fields:
            if not isinstance(data, dict):
                return None
            data = data.get(name)
        return data


Expression = ParsedResult | FieldPath


@dataclass(frozen=True)
class Template:
    """A compiled template string: literal text and JMESPath expressions, in order."""

    text: str
    parts: tuple[str | Expression, ...]

    @property
    def is_single_expression(self) -> bool:
        return len(self.parts) == 1 and not isinstance(self.parts[0], str)

    def render(self, data: Any) -> Any:
        """The value (single placeholder) or the text (anything else) for ``data``."""
        return self.fill(self.placeholder_values(data))

    @property
    def has_placeholders(self) -> bool:
        return any(not isinstance(part, str) for part in self.parts)

    def placeholder_values(self, data: Any) -> tuple[Any, ...]:
        """The value of each placeholder for ``data``, in order; raise TemplateError when one fails."""
        return tuple(_search(part, data) for part in self.parts if not isinstance(part, str))

    def fill(self, values: tuple[Any, ...]) -> Any:
        """The template rendered with ``values`` (from ``placeholder_values``)."""
        if self.is_single_expression:
            return values[0]
        remaining = iter(values)
        pieces = [part if isinstance(part, str) else as_text(next(remaining)) or "" for part in self.parts]
        return "".join(pieces)


def compile_template(text: str) -> Template:
    """Compile ``text``; raise TemplateError naming the bad expression."""
    parts: list[str | Expression] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(text):
        if placeholder.start() > position:
            parts.append(text[position : placeholder.start()])
        expression = placeholder.group(1).strip()
        if not expression:
            raise TemplateError("empty placeholder {{ }}")
        try:
            compiled = jmespath.compile(expression)
        except JMESPathError as error:
            first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise TemplateError(f"invalid JMESPath expression {expression!r}: {first_line}") from None
        unknown = sorted(_function_names(compiled.parsed) - KNOWN_FUNCTIONS)
        if unknown:
            raise TemplateError(f"unknown JMESPath function {', '.join(unknown)}() in {expression!r}")
        fields = _field_path(compiled.parsed)
        parts.append(FieldPath(expression, fields) if fields else compiled)
        position = placeholder.end()
    tail = text[position:]
    if "{{" in tail:
        raise TemplateError("unterminated placeholder: '{{' without '}}'")
    if tail:
        parts.append(tail)
    return Template(text=text, parts=tuple(parts))


def has_placeholder(value: str) -> bool:
    """True when ``value`` contains at least one ``{{ ... }}`` placeholder."""
    return _PLACEHOLDER.search(value) is not None


def as_text(value: Any) -> str | None:
    """A rendered value written as text: numbers as written, true/false, compact JSON; null as None.

    Raise TemplateError for a value no text can hold: nested deeper than Python's recursion limit, or an
    integer with more digits than Python writes (``sys.get_int_max_str_digits()``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if isinstance(value, int | float):
            return json.dumps(value)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    except (RecursionError, ValueError, TypeError) as error:
        raise TemplateError(f"a value cannot be written as text ({type(error).__name__})") from None


def _function_names(node: Any) -> set[str]:
    """Function names called anywhere in a parsed JMESPath AST (jmespath resolves them only at search)."""
    if not isinstance(node, dict):
        return set()
    names = {node["value"]} if node.get("type") == "function_expression" else set()
    for child in node.get("children", []):
        names |= _function_names(child)
    return names


def _field_path(node: Any) -> tuple[str, ...] | None:
    """The field names of an AST that is only fields and subexpressions of fields; None otherwise."""
    if not isinstance(node, dict):
        return None
    if node.get("type") == "field":
        return (str(node["value"]),)
    if node.get("type") != "subexpression":
        return None
    fields: tuple[str, ...] = ()
    for child in node.get("children", []):
        child_fields = _field_path(child)
        if child_fields is None:
            return None
        fields += child_fields
    return fields


def _search(expression: Expression, data: Any) -> Any:
    try:
        return expression.search(data)
    except _SEARCH_FAILURES as error:
        # The error's text can quote event values; name only the expression and the kind of failure.
        raise TemplateError(f"expression {expression.expression!r} failed: {type(error).__name__}") from None
