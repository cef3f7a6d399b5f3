"""The Connect adapter's task lifecycle calls: the exact requests, what they return, how every error of
every operation is classified, cleaned messages, and stopping a task that had ended already."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from task_creator.adapters.connect import (
    MAX_ERROR_MESSAGE_CHARS,
    OPERATION_MEMBERS,
    ConnectTasks,
    StopOutcome,
    TaskContact,
)
from task_creator.errors import ConnectRejected, ConnectThrottled, ConnectUnavailable, TaskCreatorError

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
CONTACT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
LATER = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)
SECRET_NAME = "Order 42 for Alice Smith"
SECRET_DESCRIPTION = "Call Alice on +1 555 0100 about the refund"
SECRET_ATTRIBUTE = "hunter2-alice"
SECRETS = (SECRET_NAME, SECRET_DESCRIPTION, SECRET_ATTRIBUTE, "Alice", "555 0100", "hunter2")
UPDATE_FIELDS = {
    "Name": "Order ORD-1 is delayed",
    "Description": "The carrier reports a delay",
    "References": {"order": {"Value": "https://shop.example.com/orders/ORD-1", "Type": "URL"}},
    "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Task"}},
}

# Each lifecycle call with valid arguments, by its Connect operation: what a test invokes.
CALLS: dict[str, Callable[[ConnectTasks], Any]] = {
    "UpdateContact": lambda tasks: tasks.update_task(INSTANCE_ID, CONTACT_ID, UPDATE_FIELDS),
    "UpdateContactAttributes": lambda tasks: tasks.update_task_attributes(
        INSTANCE_ID, CONTACT_ID, {"status": "delayed"}
    ),
    "UpdateContactSchedule": lambda tasks: tasks.reschedule_task(INSTANCE_ID, CONTACT_ID, LATER),
    "StopContact": lambda tasks: tasks.stop_task(INSTANCE_ID, CONTACT_ID),
    "DescribeContact": lambda tasks: tasks.describe_task(INSTANCE_ID, CONTACT_ID),
}
METHODS = {
    "UpdateContact": "update_contact",
    "UpdateContactAttributes": "update_contact_attributes",
    "UpdateContactSchedule": "update_contact_schedule",
    "StopContact": "stop_contact",
    "DescribeContact": "describe_contact",
}
# How each error code is read, whichever operation it comes from.
CLASSIFICATION: dict[str, type[TaskCreatorError]] = {
    "InvalidRequestException": ConnectRejected,
    "InvalidParameterException": ConnectRejected,
    "ResourceNotFoundException": ConnectRejected,  # the task (or the instance) Connect does not have
    "ContactNotFoundException": ConnectRejected,  # StopContact's 410
    "AccessDeniedException": ConnectRejected,
    "InvalidActiveRegionException": ConnectRejected,  # Global Resiliency: not the active region
    "ThrottlingException": ConnectThrottled,
    "LimitExceededException": ConnectThrottled,  # UpdateContactSchedule's 429
    "ConflictException": ConnectUnavailable,  # UpdateContact: "at this time"
    "InternalServiceException": ConnectUnavailable,
    # Not declared by these operations, and still possible on any of them (UNDECLARED):
    "TooManyRequestsException": ConnectThrottled,
    "ServiceUnavailable": ConnectUnavailable,
    "ServiceQuotaExceededException": ConnectUnavailable,  # no PreviousContactId chain here
    "ExpiredTokenException": ConnectUnavailable,
}
STATUS = {
    "ContactNotFoundException": 410,
    "ResourceNotFoundException": 404,
    "AccessDeniedException": 403,
    "ConflictException": 409,
    "ThrottlingException": 429,
    "LimitExceededException": 429,
    "TooManyRequestsException": 429,
    "InternalServiceException": 500,
    "ServiceUnavailable": 503,
    "ServiceQuotaExceededException": 402,
    "ExpiredTokenException": 403,
}
UNDECLARED = (
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ServiceQuotaExceededException",
    "ExpiredTokenException",
)
CHECKED_WHEN_STOP_IS_REFUSED = (
    "ContactNotFoundException",
    "InvalidRequestException",
    "ResourceNotFoundException",
)


def model_errors(operation: str) -> list[str]:
    model = boto3.client("connect", region_name="us-east-1").meta.service_model
    return [shape.name for shape in model.operation_model(operation).error_shapes]


def contact(*, ended: bool) -> dict[str, Any]:
    """A DescribeContact ``Contact`` for a task, open or ended, content and all."""
    view: dict[str, Any] = {
        "Id": CONTACT_ID,
        "Channel": "TASK",
        "InitiationMethod": "API",
        "InitiationTimestamp": datetime(2029, 12, 31, tzinfo=UTC),
        "ScheduledTimestamp": LATER,
        "LastUpdateTimestamp": datetime(2029, 12, 31, 1, tzinfo=UTC),
        "Name": SECRET_NAME,
        "Description": SECRET_DESCRIPTION,
        "Attributes": {"secret": SECRET_ATTRIBUTE},
    }
    if ended:
        view |= {"DisconnectTimestamp": datetime(2030, 1, 2, tzinfo=UTC), "DisconnectReason": "API"}
    return view


IDS = {"InstanceId": INSTANCE_ID, "ContactId": CONTACT_ID}


@pytest.fixture
def stubbed() -> tuple[ConnectTasks, Stubber]:
    client = boto3.client("connect", region_name="us-east-1")
    return ConnectTasks(client), Stubber(client)


# --- the requests on the wire and what each call returns ---------------------------------------------


def test_update_task_sends_the_fields_with_the_ids(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response("update_contact", {}, expected_params={**UPDATE_FIELDS, **IDS})

    with stubber:
        tasks.update_task(INSTANCE_ID, CONTACT_ID, UPDATE_FIELDS)
    stubber.assert_no_pending_responses()


def test_update_task_attributes_names_the_task_by_its_initial_contact_id(
    stubbed: tuple[ConnectTasks, Stubber],
):
    tasks, stubber = stubbed
    expected = {
        "InstanceId": INSTANCE_ID,
        "InitialContactId": CONTACT_ID,
        "Attributes": {"status": "delayed"},
    }
    stubber.add_response("update_contact_attributes", {}, expected_params=expected)

    with stubber:
        tasks.update_task_attributes(INSTANCE_ID, CONTACT_ID, {"status": "delayed"})
    stubber.assert_no_pending_responses()


def test_reschedule_task_sends_the_new_scheduled_time(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response("update_contact_schedule", {}, expected_params={**IDS, "ScheduledTime": LATER})

    with stubber:
        tasks.reschedule_task(INSTANCE_ID, CONTACT_ID, LATER)
    stubber.assert_no_pending_responses()


def test_stop_task_sends_only_the_ids_and_reports_the_task_stopped(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response("stop_contact", {}, expected_params=IDS)

    with stubber:
        assert tasks.stop_task(INSTANCE_ID, CONTACT_ID) is StopOutcome.STOPPED
    stubber.assert_no_pending_responses()


def test_stop_task_sends_a_disconnect_reason_when_given_one(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response(
        "stop_contact", {}, expected_params={**IDS, "DisconnectReason": {"Code": "COMPLETED_BY_SOURCE"}}
    )

    with stubber:
        outcome = tasks.stop_task(INSTANCE_ID, CONTACT_ID, disconnect_reason="COMPLETED_BY_SOURCE")
    assert outcome is StopOutcome.STOPPED
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("ended", [False, True])
def test_describe_task_returns_the_lifecycle_view(stubbed: tuple[ConnectTasks, Stubber], ended: bool):
    tasks, stubber = stubbed
    stubber.add_response("describe_contact", {"Contact": contact(ended=ended)}, expected_params=IDS)

    with stubber:
        view = tasks.describe_task(INSTANCE_ID, CONTACT_ID)

    assert view == TaskContact(
        contact_id=CONTACT_ID,
        channel="TASK",
        initiation_method="API",
        initiation_timestamp=datetime(2029, 12, 31, tzinfo=UTC),
        scheduled_time=LATER,
        last_update_timestamp=datetime(2029, 12, 31, 1, tzinfo=UTC),
        disconnect_timestamp=datetime(2030, 1, 2, tzinfo=UTC) if ended else None,
        disconnect_reason="API" if ended else None,
    )
    assert view.stopped is ended


def test_the_task_view_never_carries_task_content(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response("describe_contact", {"Contact": contact(ended=True)})

    with stubber:
        view = tasks.describe_task(INSTANCE_ID, CONTACT_ID)

    assert not [secret for secret in SECRETS if secret in repr(view)]
    assert not {"name", "description", "attributes", "references"} & {field.name for field in fields(view)}


# --- refused before anything is sent -----------------------------------------------------------------

# Each lifecycle method, its operation, the id member its ``contact_id`` becomes, the arguments after the ids.
SIGNATURES: list[tuple[str, str, str, tuple[Any, ...]]] = [
    ("update_task", "UpdateContact", "ContactId", (UPDATE_FIELDS,)),
    ("update_task_attributes", "UpdateContactAttributes", "InitialContactId", ({"a": "b"},)),
    ("reschedule_task", "UpdateContactSchedule", "ContactId", (LATER,)),
    ("stop_task", "StopContact", "ContactId", ()),
    ("describe_task", "DescribeContact", "ContactId", ()),
]


REFUSALS = [
    case
    for method, operation, contact_member, rest in SIGNATURES
    for case in [
        (method, operation, "InstanceId", ("", CONTACT_ID, *rest)),
        (method, operation, contact_member, (INSTANCE_ID, "", *rest)),
    ]
]


@pytest.mark.parametrize(("method", "operation", "member", "arguments"), REFUSALS)
def test_a_call_without_its_required_ids_is_refused_before_it_is_sent(
    stubbed: tuple[ConnectTasks, Stubber],
    method: str,
    operation: str,
    member: str,
    arguments: tuple[Any, ...],
):
    tasks, stubber = stubbed
    with stubber, pytest.raises(ValueError, match=f"^refusing to call {operation} without a {member}$"):
        getattr(tasks, method)(*arguments)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("update", "match"),
    [
        ({}, "without a field to update"),
        ({"Name": "x", "ContactId": "other-contact"}, "must not repeat the ids: ContactId"),
    ],
)
def test_an_update_with_nothing_to_set_or_a_second_id_is_refused(
    stubbed: tuple[ConnectTasks, Stubber], update: dict[str, Any], match: str
):
    tasks, stubber = stubbed
    with stubber, pytest.raises(ValueError, match=match):
        tasks.update_task(INSTANCE_ID, CONTACT_ID, update)


def test_a_naive_scheduled_time_is_refused(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    with stubber, pytest.raises(ValueError, match="naive ScheduledTime"):
        tasks.reschedule_task(INSTANCE_ID, CONTACT_ID, datetime(2030, 1, 1))


# --- every error of every operation, classified ------------------------------------------------------


def test_every_error_botocore_declares_for_these_operations_has_a_classification():
    declared = {code for operation in CALLS for code in model_errors(operation)}
    assert declared <= set(CLASSIFICATION), declared - set(CLASSIFICATION)


ERROR_CASES = [
    (operation, code)
    for operation in CALLS
    for code in dict.fromkeys(
        [*model_errors(operation), "ThrottlingException", "AccessDeniedException", *UNDECLARED]
    )
]


@pytest.mark.parametrize(("operation", "code"), ERROR_CASES)
def test_each_operations_errors_are_sorted_into_permanent_and_transient(
    stubbed: tuple[ConnectTasks, Stubber], operation: str, code: str
):
    tasks, stubber = stubbed
    expected = CLASSIFICATION[code]
    stubber.add_client_error(
        METHODS[operation], service_error_code=code, http_status_code=STATUS.get(code, 400)
    )
    if operation == "StopContact" and code in CHECKED_WHEN_STOP_IS_REFUSED:
        # the task is still open: the refusal stands
        stubber.add_response("describe_contact", {"Contact": contact(ended=False)}, expected_params=IDS)

    with stubber, pytest.raises(expected) as raised:
        CALLS[operation](tasks)

    assert raised.value.message.startswith(f"{code}: ")
    assert raised.value.error_type == (code if expected is not ConnectThrottled else "ThrottlingException")
    if isinstance(raised.value, ConnectRejected | ConnectUnavailable):
        assert raised.value.code == code
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize("operation", list(CALLS))
@pytest.mark.parametrize(
    "failure",
    [
        ReadTimeoutError(endpoint_url="https://connect.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://connect.us-east-1.amazonaws.com"),
        EndpointConnectionError(endpoint_url="https://connect.us-east-1.amazonaws.com"),
    ],
    ids=lambda failure: type(failure).__name__,
)
def test_timeouts_and_connection_errors_are_transient(operation: str, failure: Exception):
    client = boto3.client("connect", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))

    def fail(**_: Any) -> None:
        raise failure

    client.meta.events.register("before-send.connect.*", fail)

    with pytest.raises(ConnectUnavailable) as raised:
        CALLS[operation](ConnectTasks(client))

    assert raised.value.code == type(failure).__name__
    assert raised.value.message == f"{type(failure).__name__}: Connect could not be reached"


@pytest.mark.parametrize(
    ("call", "kept"),
    [
        (lambda tasks: tasks.update_task(INSTANCE_ID, CONTACT_ID, {"Name": [SECRET_NAME]}), "Name"),
        (
            lambda tasks: tasks.update_task(INSTANCE_ID, CONTACT_ID, {SECRET_ATTRIBUTE: "x"}),
            "Unknown parameter in input",
        ),
        (
            lambda tasks: tasks.update_task_attributes(INSTANCE_ID, CONTACT_ID, {"k": [SECRET_DESCRIPTION]}),
            "Attributes.k",
        ),
        (lambda tasks: tasks.stop_task(INSTANCE_ID, CONTACT_ID, disconnect_reason=[SECRET_NAME]), "Code"),
    ],
)
def test_requests_botocore_refuses_are_permanent_and_do_not_echo_values(
    call: Callable[[ConnectTasks], Any], kept: str
):
    client = boto3.client(
        "connect", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"
    )  # never reached
    with pytest.raises(ConnectRejected) as raised:
        call(ConnectTasks(client))

    assert raised.value.code == "ParamValidationError"
    assert not [secret for secret in SECRETS if secret in raised.value.message], raised.value.message
    assert kept in raised.value.message


# --- a Connect peer that echoes values ---------------------------------------------------------------

ECHOES = [
    (
        "UpdateContact",
        "InvalidParameterException",
        f"Value '{SECRET_NAME}' at 'name' failed to satisfy constraint: Member must have length <= 512",
        "at 'name'",
    ),
    (
        "UpdateContact",
        "ConflictException",
        f'Contact "{SECRET_DESCRIPTION}" is being updated by another request',
        "is being updated",
    ),
    (
        "UpdateContactAttributes",
        "InvalidRequestException",
        f"Value '{{secret={SECRET_ATTRIBUTE}}}' at 'attributes' failed to satisfy constraint: too long",
        "at 'attributes'",
    ),
    (
        "UpdateContactSchedule",
        "InvalidRequestException",
        f"Value '{LATER.isoformat()}' at 'scheduledTime' failed to satisfy constraint: task `{SECRET_NAME}` "
        "has already started",
        "at 'scheduledTime'",
    ),
    ("UpdateContactSchedule", "LimitExceededException", f"Limit exceeded for '{SECRET_NAME}'", "Limit"),
    (
        "StopContact",
        "InvalidParameterException",
        f"Value '{SECRET_NAME}' at 'disconnectReason.code' failed to satisfy constraint: unknown code",
        "at 'disconnectReason.code'",
    ),
    (
        "DescribeContact",
        "ResourceNotFoundException",
        f"Value '{SECRET_ATTRIBUTE}' at 'contactId' failed to satisfy constraint: not found",
        "at 'contactId'",
    ),
    (
        "DescribeContact",
        "InternalServiceException",
        f'Failed to describe "{SECRET_NAME}"',
        "Failed to describe",
    ),
]


@pytest.mark.parametrize(("operation", "code", "message", "kept"), ECHOES)
def test_values_echoed_by_connect_never_reach_the_error_message(
    stubbed: tuple[ConnectTasks, Stubber], operation: str, code: str, message: str, kept: str
):
    tasks, stubber = stubbed
    stubber.add_client_error(
        METHODS[operation],
        service_error_code=code,
        service_message=message,
        http_status_code=STATUS.get(code, 400),
    )

    with stubber, pytest.raises(TaskCreatorError) as raised:
        CALLS[operation](tasks)

    error_message = raised.value.message
    assert not [secret for secret in SECRETS if secret in error_message], error_message
    assert LATER.isoformat() not in error_message
    assert error_message.startswith(f"{code}: ")
    assert kept in error_message
    assert len(error_message) <= len(code) + 2 + MAX_ERROR_MESSAGE_CHARS


def test_the_field_paths_kept_are_each_operations_botocore_members():
    model = boto3.client("connect", region_name="us-east-1").meta.service_model
    for operation in ["StartTaskContact", *CALLS]:
        shape = model.operation_model(operation).input_shape
        assert shape is not None
        assert set(OPERATION_MEMBERS[operation]) == set(shape.members), operation


# --- stopping a task that had ended already ----------------------------------------------------------


@pytest.mark.parametrize("code", CHECKED_WHEN_STOP_IS_REFUSED)
def test_stopping_a_task_that_had_ended_reports_it_already_stopped(
    stubbed: tuple[ConnectTasks, Stubber], code: str
):
    tasks, stubber = stubbed
    stubber.add_client_error(
        "stop_contact",
        service_error_code=code,
        service_message=f"Contact '{SECRET_NAME}' is not active",
        http_status_code=STATUS.get(code, 400),
        expected_params=IDS,
    )
    stubber.add_response("describe_contact", {"Contact": contact(ended=True)}, expected_params=IDS)

    with stubber:
        assert tasks.stop_task(INSTANCE_ID, CONTACT_ID) is StopOutcome.ALREADY_STOPPED
    stubber.assert_no_pending_responses()


def test_stopping_a_task_twice_is_idempotent(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response("stop_contact", {}, expected_params=IDS)
    stubber.add_client_error(
        "stop_contact", service_error_code="ContactNotFoundException", http_status_code=410
    )
    stubber.add_response("describe_contact", {"Contact": contact(ended=True)})

    with stubber:
        outcomes = [tasks.stop_task(INSTANCE_ID, CONTACT_ID), tasks.stop_task(INSTANCE_ID, CONTACT_ID)]

    assert outcomes == [StopOutcome.STOPPED, StopOutcome.ALREADY_STOPPED]
    stubber.assert_no_pending_responses()


def test_a_stop_connect_refuses_for_an_open_task_is_raised_as_it_came(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_client_error(
        "stop_contact", service_error_code="InvalidRequestException", service_message=f"No: '{SECRET_NAME}'"
    )
    stubber.add_response("describe_contact", {"Contact": contact(ended=False)})

    with stubber, pytest.raises(ConnectRejected) as raised:
        tasks.stop_task(INSTANCE_ID, CONTACT_ID)

    assert raised.value.code == "InvalidRequestException"
    assert "Alice" not in raised.value.message
    stubber.assert_no_pending_responses()


def test_stopping_a_task_connect_does_not_have_is_permanent(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_client_error(
        "stop_contact", service_error_code="ContactNotFoundException", http_status_code=410
    )
    stubber.add_client_error(
        "describe_contact", service_error_code="ResourceNotFoundException", http_status_code=404
    )

    with stubber, pytest.raises(ConnectRejected) as raised:
        tasks.stop_task(INSTANCE_ID, CONTACT_ID)

    assert raised.value.code == "ContactNotFoundException"  # StopContact's answer, not the check's
    stubber.assert_no_pending_responses()


def test_a_throttled_check_after_a_refused_stop_is_transient(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_client_error(
        "stop_contact", service_error_code="ContactNotFoundException", http_status_code=410
    )
    stubber.add_client_error(
        "describe_contact", service_error_code="ThrottlingException", http_status_code=429
    )

    with stubber, pytest.raises(ConnectThrottled):
        tasks.stop_task(INSTANCE_ID, CONTACT_ID)
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code", ["InvalidParameterException", "AccessDeniedException", "InvalidActiveRegionException"]
)
def test_other_stop_rejections_are_final_without_a_check(stubbed: tuple[ConnectTasks, Stubber], code: str):
    tasks, stubber = stubbed
    stubber.add_client_error("stop_contact", service_error_code=code, http_status_code=STATUS.get(code, 400))

    with stubber, pytest.raises(ConnectRejected) as raised:  # a DescribeContact would find no response
        tasks.stop_task(INSTANCE_ID, CONTACT_ID)

    assert raised.value.code == code
    stubber.assert_no_pending_responses()
