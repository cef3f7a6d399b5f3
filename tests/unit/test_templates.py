"""``{{ JMESPath }}`` templates: what a placeholder renders to, and which templates are rejected."""

from __future__ import annotations

import re
from typing import Any

import jmespath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from task_creator.mapping.templates import (
    FieldPath,
    TemplateError,
    as_text,
    compile_template,
    has_placeholder,
)

EVENT: dict[str, Any] = {
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "source": "acme.orders",
    "detail": {
        "orderId": "ORD-1001",
        "delayDays": 2,
        "amount": 129.95,
        "wholeAmount": 2.0,
        "big": 12345678901234567890,
        "express": True,
        "gift": False,
        "reason": None,
        "customer": {"id": "CUST-42", "name": "Zoë"},
        "tags": ["late", "vip"],
        "secret": 424242,
    },
}


def render(text: str, data: Any = None) -> Any:
    return compile_template(text).render(EVENT if data is None else data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{{ detail.delayDays }}", 2, id="integer"),
        pytest.param("{{ detail.amount }}", 129.95, id="float"),
        pytest.param("{{ detail.express }}", True, id="boolean"),
        pytest.param("{{ detail.customer }}", {"id": "CUST-42", "name": "Zoë"}, id="object"),
        pytest.param("{{ detail.tags }}", ["late", "vip"], id="array"),
        pytest.param("{{ detail.orderId }}", "ORD-1001", id="string"),
        pytest.param("{{ detail.reason }}", None, id="null"),
        pytest.param("{{ detail.nowhere }}", None, id="missing-field-is-null"),
    ],
)
def test_single_placeholder_keeps_the_value_and_its_json_type(text: str, expected: Any) -> None:
    rendered = render(text)

    assert rendered == expected
    assert type(rendered) is type(expected)


def test_placeholder_without_spaces_and_across_lines_is_an_expression() -> None:
    assert render("{{detail.orderId}}") == "ORD-1001"
    assert render("{{\n  detail.customer.id\n}}") == "CUST-42"


def test_text_around_a_placeholder_renders_text() -> None:
    assert render("Order {{ detail.orderId }} is delayed") == "Order ORD-1001 is delayed"


def test_whitespace_around_a_single_placeholder_makes_it_text() -> None:
    assert render(" {{ detail.delayDays }}") == " 2"


def test_several_placeholders_render_in_order() -> None:
    assert render("{{ detail.orderId }}/{{ detail.customer.id }}") == "ORD-1001/CUST-42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("days={{ detail.delayDays }}", "days=2", id="integer-as-written"),
        pytest.param("amount={{ detail.amount }}", "amount=129.95", id="float-as-written"),
        pytest.param("amount={{ detail.wholeAmount }}", "amount=2.0", id="float-keeps-its-point"),
        pytest.param("n={{ detail.big }}", "n=12345678901234567890", id="big-integer-exact"),
        pytest.param("express={{ detail.express }}", "express=true", id="true"),
        pytest.param("gift={{ detail.gift }}", "gift=false", id="false"),
        pytest.param("c={{ detail.customer }}", 'c={"id":"CUST-42","name":"Zoë"}', id="object-compact-json"),
        pytest.param("t={{ detail.tags }}", 't=["late","vip"]', id="array-compact-json"),
        pytest.param("[{{ detail.reason }}]", "[]", id="null-renders-nothing"),
        pytest.param("[{{ detail.nowhere }}]", "[]", id="missing-renders-nothing"),
    ],
)
def test_values_in_text_are_written_as_text(text: str, expected: str) -> None:
    assert render(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{{ detail.reason || 'No reason given' }}", "No reason given", id="null-takes-default"),
        pytest.param("{{ detail.nowhere || 'none' }}", "none", id="missing-takes-default"),
        pytest.param("{{ detail.orderId || 'none' }}", "ORD-1001", id="present-wins"),
        pytest.param("Reason: {{ detail.reason || 'unknown' }}.", "Reason: unknown.", id="inside-text"),
    ],
)
def test_or_expression_supplies_a_default(text: str, expected: str) -> None:
    assert render(text) == expected


def test_text_without_placeholders_renders_unchanged() -> None:
    assert render("Call the customer back }} today") == "Call the customer back }} today"
    assert render("") == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{{ }}", "empty placeholder", id="empty"),
        pytest.param("Order {{   }}", "empty placeholder", id="blank"),
        pytest.param("Order {{ detail.orderId", "unterminated", id="unterminated"),
        pytest.param("Order {{ detail.orderId }", "unterminated", id="single-closing-brace"),
        pytest.param("{{ detail.[ }}", "invalid JMESPath expression 'detail.['", id="incomplete"),
        pytest.param("{{ detail..orderId }}", "invalid JMESPath expression", id="double-dot"),
    ],
)
def test_bad_template_is_rejected_when_compiled(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        compile_template(text)


def test_unknown_function_is_rejected_when_compiled() -> None:
    with pytest.raises(TemplateError, match="lenght"):
        compile_template("{{ lenght(detail.tags) }}")


def test_runtime_type_error_raises_template_error_without_the_value() -> None:
    template = compile_template("{{ length(detail.secret) }}")

    with pytest.raises(TemplateError, match=re.escape("length(detail.secret)")) as raised:
        template.render(EVENT)

    assert "424242" not in str(raised.value)


def test_runtime_type_error_inside_text_is_also_a_template_error() -> None:
    template = compile_template("Total: {{ sum(detail.tags) }}")

    with pytest.raises(TemplateError) as raised:
        template.render(EVENT)

    assert "late" not in str(raised.value)


def test_single_expression_is_recognised() -> None:
    assert compile_template("{{ detail.tags }}").is_single_expression
    assert not compile_template("x {{ detail.tags }}").is_single_expression
    assert not compile_template("{{ a }}{{ b }}").is_single_expression
    assert not compile_template("plain").is_single_expression


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{{ a }}", True), ("x {{a}} y", True), ("{{", False), ("plain", False), ("}} {{", False)],
)
def test_has_placeholder(text: str, expected: bool) -> None:
    assert has_placeholder(text) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", ""),
        ("text", "text"),
        (0, "0"),
        (-7, "-7"),
        (1.5, "1.5"),
        (1e20, "1e+20"),
        (True, "true"),
        (False, "false"),
        ([], "[]"),
        ({"k": ["é", 1, None]}, '{"k":["é",1,null]}'),
    ],
)
def test_as_text_writes_json_values_as_text(value: Any, expected: str | None) -> None:
    assert as_text(value) == expected


# --- values and expressions that cannot be rendered -------------------------------------------------


def deeply_nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(deeply_nested(100_000), id="nested-100000-deep"),
        pytest.param({"k": deeply_nested(100_000)}, id="object-holding-a-deep-list"),
        pytest.param(10**5000, id="5000-digit-integer"),
    ],
)
def test_value_no_text_can_hold_is_a_template_error_not_quoting_it(value: Any) -> None:
    with pytest.raises(TemplateError, match="a value cannot be written as text") as raised:
        as_text(value)

    assert "xxx" not in str(raised.value)


@pytest.mark.parametrize(("value", "expected"), [(float("inf"), "Infinity"), (10**400, "1" + "0" * 400)])
def test_values_beyond_a_float_are_still_written(value: Any, expected: str) -> None:
    assert as_text(value) == expected


def test_text_template_holding_a_value_no_text_can_hold_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="cannot be written as text"):
        compile_template("Order {{ detail.x }}").render({"detail": {"x": 10**5000}})


@pytest.mark.parametrize("expression", ["to_string(detail.x)", "detail.x == detail.y", "avg(detail.big)"])
def test_expression_failing_inside_python_is_a_template_error_naming_the_expression(expression: str) -> None:
    data = {"detail": {"x": deeply_nested(100_000), "y": deeply_nested(100_000), "big": [10**400, 1]}}

    with pytest.raises(TemplateError, match=re.escape(expression)):
        compile_template(f"{{{{ {expression} }}}}").render(data)


def test_placeholder_values_are_each_expressions_value_in_order() -> None:
    template = compile_template("{{ detail.a }}-{{ detail.b }}-{{ detail.missing }}")

    values = template.placeholder_values({"detail": {"a": 1, "b": ["x"]}})

    assert values == (1, ["x"], None)
    assert template.fill(values) == '1-["x"]-'


def test_a_template_without_placeholders_has_no_values() -> None:
    assert compile_template("plain").placeholder_values({}) == ()


# --- the plain-path fast path agrees with JMESPath -------------------------------------------------

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("abc"), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("path", ["a", "a.b", "a.b.c", '"a"."b"', "c.a.b.a"])
@given(data=_VALUES)
def test_a_plain_path_is_walked_exactly_as_jmespath_reads_it(path: str, data: object) -> None:
    template = compile_template("{{ " + path + " }}")

    assert isinstance(template.parts[0], FieldPath)
    assert template.render(data) == jmespath.search(path, data)


@pytest.mark.parametrize("expression", ["a[0]", "a.b[*]", "join(',', a)", "a || b", "`1`"])
def test_anything_but_a_plain_path_keeps_jmespath(expression: str) -> None:
    assert not isinstance(compile_template("{{ " + expression + " }}").parts[0], FieldPath)
