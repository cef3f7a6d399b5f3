"""The lifecycle requests a rule may fill (UpdateContact, UpdateContactAttributes, UpdateContactSchedule,
StopContact) are held to botocore's Connect model: the members a rule may set are the operations' own,
their constraints are exactly StartTaskContact's (which limits.py pins, path by path, in
test_connect_model_constraints.py), the ids are the function's, and each bound is enforced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.session
import pytest
from botocore.model import StructureShape

from task_creator.errors import LimitViolation
from task_creator.mapping import limits
from task_creator.mapping.lifecycle_limits import DISCONNECT_REASON_CODE, enforce_lifecycle_limits
from task_creator.mapping.limits import Bounds, LimitPolicy
from task_creator.mapping.task_fields import (
    ACTION_FIELDS,
    ACTION_OPERATIONS,
    DISCONNECT_REASON_MEMBERS,
    FILLED_BY_THE_FUNCTION,
    UPDATE_CONTACT_ATTRIBUTES_FIELDS,
    UPDATE_CONTACT_FIELDS,
    TaskAction,
)
from tests.unit.test_connect_model_constraints import stated_constraints

MODEL = botocore.session.get_session().get_service_model("connect")
FOLLOW_UPS: tuple[TaskAction, ...] = ("update", "reschedule", "complete")
FAIL = LimitPolicy(oversize="fail")


def input_shape(operation: str) -> StructureShape:
    shape = MODEL.operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def constraints(operation: str, member: str) -> dict[tuple[str, str], Any]:
    """Every constraint the model states under one member of an operation's request."""
    shape = input_shape(operation).members[member]
    return {(path, kind): stated for path, kind, stated in stated_constraints(shape, member)}


def members_a_rule_sets(operation: str) -> list[str]:
    return [
        member
        for member in input_shape(operation).members
        if any(member in ACTION_FIELDS[a] for a in FOLLOW_UPS)
    ]


# --- the members, and who fills which ---------------------------------------------------------------


def test_update_is_split_between_update_contact_and_update_contact_attributes() -> None:
    assert set(UPDATE_CONTACT_FIELDS) < set(input_shape("UpdateContact").members)
    assert set(UPDATE_CONTACT_ATTRIBUTES_FIELDS) < set(input_shape("UpdateContactAttributes").members)
    assert (
        ACTION_FIELDS["update"].keys()
        == UPDATE_CONTACT_FIELDS.keys() | UPDATE_CONTACT_ATTRIBUTES_FIELDS.keys()
    )
    assert ACTION_OPERATIONS["update"] == ("UpdateContact", "UpdateContactAttributes")


@pytest.mark.parametrize(
    ("action", "operation"), [("reschedule", "UpdateContactSchedule"), ("complete", "StopContact")]
)
def test_a_rule_sets_every_member_of_its_operation_but_the_ids(action: TaskAction, operation: str) -> None:
    members = set(input_shape(operation).members)

    assert set(ACTION_FIELDS[action]) == members - FILLED_BY_THE_FUNCTION
    assert ACTION_OPERATIONS[action] == (operation,)


@pytest.mark.parametrize("operation", [op for action in FOLLOW_UPS for op in ACTION_OPERATIONS[action]])
def test_every_required_member_is_an_id_the_function_fills_or_a_field_planning_guarantees(
    operation: str,
) -> None:
    required = set(input_shape(operation).required_members)
    guaranteed = {"UpdateContactAttributes": {"Attributes"}, "UpdateContactSchedule": {"ScheduledTime"}}

    assert required <= FILLED_BY_THE_FUNCTION | guaranteed.get(operation, set())
    assert required & FILLED_BY_THE_FUNCTION  # the contact is always named by the function


# --- the constraints are StartTaskContact's, already pinned to limits.py ------------------------------


@pytest.mark.parametrize(
    ("operation", "member"),
    [
        (operation, member)
        for action in ("update", "reschedule")
        for operation in ACTION_OPERATIONS[action]
        for member in members_a_rule_sets(operation)
    ],
)
def test_member_a_rule_sets_has_exactly_the_constraints_it_has_in_start_task_contact(
    operation: str, member: str
) -> None:
    assert constraints(operation, member) == constraints("StartTaskContact", member)


def test_disconnect_reason_is_a_code_of_no_stated_length() -> None:
    reason = input_shape("StopContact").members["DisconnectReason"]

    assert isinstance(reason, StructureShape)
    assert set(reason.members) == DISCONNECT_REASON_MEMBERS
    assert constraints("StopContact", "DisconnectReason") == {}
    assert DISCONNECT_REASON_CODE is None


# --- each bound is enforced on an update, as on a create -------------------------------------------

Place = Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class Length:
    """A length limits.py enforces on an update, the operation and model path stating it, and how to put
    a value of ``size`` there."""

    operation: str
    path: str
    bounds: Bounds
    place: Place
    field: str  # the LimitViolation's field, or the start of it

    @property
    def stated(self) -> tuple[int, int]:
        member = self.path.split("{", maxsplit=1)[0]
        bounds: tuple[int, int] = constraints(self.operation, member)[(self.path, "length")]
        return bounds


UPDATE_LENGTHS = [
    Length("UpdateContact", "Name", limits.NAME, lambda n: {"Name": "x" * n}, "Name"),
    Length(
        "UpdateContact", "Description", limits.DESCRIPTION, lambda n: {"Description": "x" * n}, "Description"
    ),
    Length(
        "UpdateContactAttributes",
        "Attributes{key}",
        limits.ATTRIBUTE_KEY,
        lambda n: {"Attributes": {"k" * n: ""}},
        "Attributes.",
    ),
    Length(
        "UpdateContactAttributes",
        "Attributes{value}",
        limits.ATTRIBUTE_VALUE,
        lambda n: {"Attributes": {"k": "x" * n}},
        "Attributes.k",
    ),
    Length(
        "UpdateContact",
        "References{key}",
        limits.REFERENCE_KEY,
        lambda n: {"References": {"R" * n: {"Type": "STRING", "Value": ""}}},
        "References.",
    ),
    Length(
        "UpdateContact",
        "SegmentAttributes{key}",
        limits.SEGMENT_ATTRIBUTE_NAME,
        lambda n: {"SegmentAttributes": {"s" * n: {"ValueString": "v"}}},
        "SegmentAttributes.",
    ),
    Length(
        "UpdateContact",
        "SegmentAttributes{value}.ValueString",
        limits.SEGMENT_VALUE_STRING,
        lambda n: {"SegmentAttributes": {"s": {"ValueString": "x" * n}}},
        "SegmentAttributes.s.ValueString",
    ),
]


@pytest.mark.parametrize("length", UPDATE_LENGTHS, ids=[length.path for length in UPDATE_LENGTHS])
def test_update_value_at_the_models_maximum_passes_and_one_past_it_is_refused(length: Length) -> None:
    assert (length.bounds.min, length.bounds.max) == length.stated

    enforce_lifecycle_limits("update", length.place(length.bounds.max), policy=FAIL)
    with pytest.raises(LimitViolation) as raised:
        enforce_lifecycle_limits("update", length.place(length.bounds.max + 1), policy=FAIL)
    assert raised.value.field.startswith(length.field)
