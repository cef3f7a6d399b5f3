"""limits.py holds every constraint botocore's Connect model states for StartTaskContact, and enforces it.

The model is walked from ``StartTaskContactRequest`` through every shape it reaches. Each constraint it
states (length or count, pattern, enum, required members, integer and timestamp types) must be pinned in
a table below to what limits.py exposes, so a botocore upgrade that adds or changes one fails here until
limits.py (and docs/mapping.md) follow. Then each pinned constraint is checked by behaviour: a request at
the bound passes, one past it is a LimitViolation naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from task_creator.errors import LimitViolation
from task_creator.mapping import limits
from task_creator.mapping.limits import Bounds, LimitPolicy, enforce_limits
from task_creator.mapping.task_fields import TASK_FIELDS

pytestmark = pytest.mark.unit


def request_shape() -> StructureShape:
    model = botocore.session.get_session().get_service_model("connect")
    shape = model.operation_model("StartTaskContact").input_shape
    assert isinstance(shape, StructureShape)
    return shape


REQUEST_SHAPE = request_shape()
ROOT = "(request)"
FILE = {"FileName": "invoice.pdf", "S3Url": "https://bucket.s3.amazonaws.com/invoice.pdf"}
BASE = {"InstanceId": "instance-1", "ContactFlowId": "flow-1", "Name": "n"}
FAIL = LimitPolicy(oversize="fail")


def stated_constraints(shape: Shape, path: str = ROOT, ancestors: tuple[str, ...] = ()) -> Iterator[Any]:
    """(path, kind, what the model states) for every constraint reachable from ``shape``.

    Paths: ``Name``, ``References{key}``, ``References{value}.Type``, ``Attachments[].FileName``. A shape
    that recurses (a ValueMap's values are segment attribute values again) is walked once per path."""
    if shape.name in ancestors:
        return
    metadata = shape.metadata
    if "min" in metadata or "max" in metadata:
        yield path, "length", (metadata.get("min", 0), metadata["max"])
    for kind in ("pattern", "enum"):
        if kind in metadata:
            yield path, kind, metadata[kind]
    if shape.type_name in ("integer", "long", "timestamp"):
        yield path, shape.type_name, shape.type_name
    inner = (*ancestors, shape.name)
    if isinstance(shape, StructureShape):
        if shape.required_members:
            yield path, "required", tuple(shape.required_members)
        for name, member in shape.members.items():
            yield from stated_constraints(member, name if path == ROOT else f"{path}.{name}", inner)
    elif isinstance(shape, MapShape):
        yield from stated_constraints(shape.key, f"{path}{{key}}", inner)
        yield from stated_constraints(shape.value, f"{path}{{value}}", inner)
    elif isinstance(shape, ListShape):
        yield from stated_constraints(shape.member, f"{path}[]", inner)


MODEL = {(path, kind): stated for path, kind, stated in stated_constraints(REQUEST_SHAPE)}


@dataclass(frozen=True)
class Length:
    """A length (or count) limits.py enforces, and how to put a value of ``size`` at its path."""

    bounds: Bounds
    place: Callable[[int], dict[str, Any]]
    field: str  # the LimitViolation's field, or the start of it (keys are part of field names)
    budget_binds_at_max: str | None = None  # our stricter byte budget refuses the model's maximum


def text(size: int) -> str:
    return "x" * size


def segment(value: dict[str, Any]) -> dict[str, Any]:
    return {"SegmentAttributes": {"s": value}}


# --- the pinned tables: model path -> what limits.py exposes ----------------------------------------

LENGTHS: dict[str, Length] = {
    "InstanceId": Length(limits.INSTANCE_ID, lambda n: {"InstanceId": text(n)}, "InstanceId"),
    "ContactFlowId": Length(limits.CONTACT_FLOW_ID, lambda n: {"ContactFlowId": text(n)}, "ContactFlowId"),
    "TaskTemplateId": Length(
        limits.TASK_TEMPLATE_ID,
        lambda n: {"ContactFlowId": None, "TaskTemplateId": text(n)},
        "TaskTemplateId",
    ),
    "PreviousContactId": Length(
        limits.CONTACT_ID, lambda n: {"PreviousContactId": text(n)}, "PreviousContactId"
    ),
    "RelatedContactId": Length(
        limits.CONTACT_ID, lambda n: {"RelatedContactId": text(n)}, "RelatedContactId"
    ),
    "ClientToken": Length(limits.CLIENT_TOKEN, lambda n: {"ClientToken": text(n)}, "ClientToken"),
    "Name": Length(limits.NAME, lambda n: {"Name": text(n)}, "Name"),
    "Description": Length(limits.DESCRIPTION, lambda n: {"Description": text(n)}, "Description"),
    "Attributes{key}": Length(limits.ATTRIBUTE_KEY, lambda n: {"Attributes": {"k" * n: ""}}, "Attributes."),
    "Attributes{value}": Length(
        limits.ATTRIBUTE_VALUE, lambda n: {"Attributes": {"k": text(n)}}, "Attributes.k"
    ),
    "References{key}": Length(
        limits.REFERENCE_KEY,
        lambda n: {"References": {"R" * n: {"Type": "STRING", "Value": ""}}},
        "References.",
    ),
    "References{value}.Value": Length(
        limits.REFERENCE_VALUE,
        lambda n: {"References": {"R": {"Type": "STRING", "Value": text(n)}}},
        "References.R.Value",
        budget_binds_at_max="References",  # 1 byte of name + 4,096 of value > the 4,096-byte budget
    ),
    "SegmentAttributes{key}": Length(
        limits.SEGMENT_ATTRIBUTE_NAME,
        lambda n: {"SegmentAttributes": {"s" * n: {"ValueString": "v"}}},
        "SegmentAttributes.",
    ),
    "SegmentAttributes{value}.ValueString": Length(
        limits.SEGMENT_VALUE_STRING,
        lambda n: segment({"ValueString": text(n)}),
        "SegmentAttributes.s.ValueString",
    ),
    "SegmentAttributes{value}.ValueMap{key}": Length(
        limits.SEGMENT_ATTRIBUTE_NAME,
        lambda n: segment({"ValueMap": {"m" * n: {"ValueString": "v"}}}),
        "SegmentAttributes.s.ValueMap.",
    ),
    "SegmentAttributes{value}.ValueArn": Length(
        limits.SEGMENT_VALUE_STRING, lambda n: segment({"ValueArn": text(n)}), "SegmentAttributes.s.ValueArn"
    ),
    "Attachments": Length(limits.ATTACHMENTS, lambda n: {"Attachments": [FILE] * n}, "Attachments"),
    "Attachments[].FileName": Length(
        limits.ATTACHMENT_FILE_NAME,
        lambda n: {"Attachments": [{**FILE, "FileName": text(n)}]},
        "Attachments[0].FileName",
    ),
    "Attachments[].S3Url": Length(
        limits.ATTACHMENT_S3_URL,
        lambda n: {"Attachments": [{**FILE, "S3Url": text(n)}]},
        "Attachments[0].S3Url",
    ),
}
PATTERNS: dict[str, str] = {"Attachments[].FileName": limits.ATTACHMENT_FILE_NAME_PATTERN}
ENUMS: dict[str, frozenset[str]] = {"References{value}.Type": limits.REFERENCE_TYPES_AT_CREATION}
REQUIRED: dict[str, Any] = {
    ROOT: limits.REQUIRED_FIELDS,
    "References{value}": limits.REFERENCE_MEMBERS_AT_CREATION,
    "Attachments[]": limits.ATTACHMENT_MEMBERS,
}
INTEGERS: dict[str, Bounds] = {"SegmentAttributes{value}.ValueInteger": limits.SEGMENT_VALUE_INTEGER}
TIMESTAMPS = frozenset({"ScheduledTime"})
# Members of a Reference that Connect sets itself: limits.py refuses them, whatever their constraints.
REFUSED = frozenset(
    f"References{{value}}.{member}"
    for member in ("Status", "Arn", "StatusReason")
    if member not in limits.REFERENCE_MEMBERS_AT_CREATION
)
TABLES: dict[str, Any] = {
    "length": LENGTHS,
    "pattern": PATTERNS,
    "enum": ENUMS,
    "required": REQUIRED,
    "integer": INTEGERS,
    "long": {},
    "timestamp": TIMESTAMPS,
}


def check(policy: LimitPolicy = FAIL, /, **fields: Any) -> dict[str, Any]:
    request = {key: value for key, value in {**BASE, **fields}.items() if value is not None}
    return enforce_limits(request, policy=policy)


def violation(**fields: Any) -> LimitViolation:
    with pytest.raises(LimitViolation) as raised:
        check(**fields)
    return raised.value


# --- the tables cover the model, exactly ------------------------------------------------------------


def test_the_model_is_the_one_limits_py_was_written_against() -> None:
    assert REQUEST_SHAPE.name == "StartTaskContactRequest"
    assert len(MODEL) >= 25  # the walk reached the nested shapes, not just the top level


def test_every_constraint_the_model_states_is_pinned_to_limits_py() -> None:
    missing = [
        f"{path}: {kind} {stated!r}"
        for (path, kind), stated in MODEL.items()
        if path not in REFUSED and path not in TABLES[kind]
    ]

    assert missing == [], "constraints in botocore's model that limits.py does not enforce"


def test_every_pinned_constraint_is_still_in_the_model() -> None:
    pinned = {(path, kind) for kind, table in TABLES.items() for path in table}

    assert sorted(pinned - MODEL.keys()) == []
    assert sorted(path for path in REFUSED if not any(p == path for p, _ in MODEL)) == []


def test_every_request_member_is_a_task_field_or_the_derived_client_token() -> None:
    assert set(REQUEST_SHAPE.members) == {*TASK_FIELDS, "ClientToken"}


@pytest.mark.parametrize("path", sorted(LENGTHS))
def test_pinned_length_is_the_models(path: str) -> None:
    bounds = LENGTHS[path].bounds

    assert (bounds.min, bounds.max) == MODEL[(path, "length")]


def test_pinned_pattern_is_the_models() -> None:
    assert {path: MODEL[(path, "pattern")] for path in PATTERNS} == PATTERNS


def test_reference_types_at_creation_are_a_subset_of_the_models_enum() -> None:
    assert set(limits.REFERENCE_TYPES_AT_CREATION) < set(MODEL[("References{value}.Type", "enum")])


@pytest.mark.parametrize("path", sorted(REQUIRED))
def test_limits_py_requires_at_least_what_the_model_requires(path: str) -> None:
    assert set(MODEL[(path, "required")]) <= set(REQUIRED[path])


def test_pinned_integer_range_is_32_bit_signed() -> None:
    assert INTEGERS["SegmentAttributes{value}.ValueInteger"] == Bounds(-(2**31), 2**31 - 1)


# --- each pinned constraint is enforced -------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(LENGTHS))
def test_value_at_the_models_maximum_passes_unless_a_stricter_budget_binds(path: str) -> None:
    length = LENGTHS[path]
    fields = length.place(length.bounds.max)

    if length.budget_binds_at_max is None:
        check(**fields)
    else:
        assert violation(**fields).field == length.budget_binds_at_max


@pytest.mark.parametrize("path", sorted(LENGTHS))
def test_value_one_past_the_models_maximum_is_a_limit_violation_naming_the_field(path: str) -> None:
    length = LENGTHS[path]

    assert violation(**length.place(length.bounds.max + 1)).field.startswith(length.field)


@pytest.mark.parametrize("path", sorted(path for path, length in LENGTHS.items() if length.bounds.min > 0))
def test_value_one_under_the_models_minimum_is_a_limit_violation_naming_the_field(path: str) -> None:
    length = LENGTHS[path]

    assert violation(**length.place(length.bounds.min - 1)).field.startswith(length.field)


def test_value_at_the_models_minimum_passes() -> None:
    for path, length in LENGTHS.items():
        if path != "ContactFlowId":  # an empty flow id is no flow selector: refused by our own rule
            check(**length.place(length.bounds.min))


@pytest.mark.parametrize(
    "character",
    [
        pytest.param("\x00", id="Cc-null"),
        pytest.param("\n", id="Cc-newline"),
        pytest.param("\x7f", id="Cc-delete"),
        pytest.param("\u200b", id="Cf-zero-width-space"),
        pytest.param("\u202e", id="Cf-right-to-left-override"),
        pytest.param("\ue000", id="Co-private-use"),
        pytest.param("\u0378", id="Cn-unassigned"),
        pytest.param("\ud800", id="Cs-surrogate"),
    ],
)
def test_file_name_with_a_character_of_category_c_is_refused(character: str) -> None:
    error = violation(Attachments=[{**FILE, "FileName": f"in{character}voice.pdf"}])

    assert error.field == "Attachments[0].FileName"
    assert character not in error.message


@pytest.mark.parametrize("name", ["invoice.pdf", "facture été 2026.pdf", "报告 😀.txt", "a b\u00a0c"])
def test_file_name_of_letters_spaces_and_symbols_matches_the_pattern(name: str) -> None:
    assert check(Attachments=[{**FILE, "FileName": name}])["Attachments"][0]["FileName"] == name


@pytest.mark.parametrize("kind", MODEL[("References{value}.Type", "enum")])
def test_reference_type_is_accepted_exactly_when_connect_takes_it_at_creation(kind: str) -> None:
    references = {"R": {"Type": kind, "Value": "1795512600"}}

    if kind in limits.REFERENCE_TYPES_AT_CREATION:
        assert check(References=references)["References"] == references
    else:
        assert violation(References=references).field == "References.R.Type"


@pytest.mark.parametrize("path", sorted(REFUSED))
def test_reference_members_connect_sets_itself_are_refused(path: str) -> None:
    member = path.rsplit(".", 1)[1]
    references = {"R": {"Type": "STRING", "Value": "v", member: "AVAILABLE"}}

    assert violation(References=references).field == f"References.R.{member}"


@pytest.mark.parametrize("field", limits.REQUIRED_FIELDS)
def test_request_without_a_required_member_is_refused(field: str) -> None:
    assert violation(**{field: None}).field == field


@pytest.mark.parametrize("member", sorted(limits.REFERENCE_MEMBERS_AT_CREATION))
def test_reference_without_a_required_member_is_refused(member: str) -> None:
    reference = {"Type": "STRING", "Value": "v"}
    del reference[member]

    assert violation(References={"R": reference}).field.startswith("References.R")


@pytest.mark.parametrize("member", sorted(limits.ATTACHMENT_MEMBERS))
def test_attachment_without_a_required_member_is_refused(member: str) -> None:
    attachment = {key: value for key, value in FILE.items() if key != member}

    assert violation(Attachments=[attachment]).field == "Attachments[0]"


@pytest.mark.parametrize("path", sorted(INTEGERS))
def test_integer_inside_the_range_passes_and_one_past_either_end_is_refused(path: str) -> None:
    bounds = INTEGERS[path]
    for number in (bounds.min, 0, bounds.max):
        check(**segment({"ValueInteger": number}))
    for number in (bounds.min - 1, bounds.max + 1):
        assert violation(**segment({"ValueInteger": number})).field == "SegmentAttributes.s.ValueInteger"


def test_scheduled_time_must_be_a_timezone_aware_timestamp() -> None:
    assert "ScheduledTime" in TIMESTAMPS
    aware = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)

    assert check(ScheduledTime=aware)["ScheduledTime"] == aware
    assert violation(ScheduledTime=aware.replace(tzinfo=None)).field == "ScheduledTime"
    assert violation(ScheduledTime="2026-11-24T09:30:00Z").field == "ScheduledTime"
