"""The Connect adapter: the exact request on the wire, and how each Connect error is classified."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from task_creator.adapters.connect import (
    MAX_ERROR_MESSAGE_CHARS,
    START_TASK_CONTACT_MEMBERS,
    ConnectTasks,
    make_connect_client,
    redact_service_message,
)
from task_creator.dependencies import AWS_CLIENT_CONFIG
from task_creator.errors import ConnectRejected, ConnectThrottled, ConnectUnavailable, TaskCreatorError

REQUEST = {
    "InstanceId": "11111111-2222-3333-4444-555555555555",
    "ContactFlowId": "66666666-7777-8888-9999-000000000000",
    "Name": "Order ORD-1 is delayed",
    "ClientToken": "tc1-" + "a" * 64,
    "ScheduledTime": datetime(2030, 1, 1, tzinfo=UTC),
    "Attachments": [{"FileName": "invoice.pdf", "S3Url": "https://bucket.s3.amazonaws.com/invoice.pdf"}],
}


@pytest.fixture
def stubbed() -> tuple[ConnectTasks, Stubber]:
    client = boto3.client("connect", region_name="us-east-1")
    return ConnectTasks(client), Stubber(client)


def test_request_reaches_connect_exactly_as_planned(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_response("start_task_contact", {"ContactId": "contact-1"}, expected_params=REQUEST)

    with stubber:
        assert tasks.start_task(REQUEST) == "contact-1"
    stubber.assert_no_pending_responses()


def test_a_request_without_client_token_is_refused_before_it_is_sent(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    with stubber, pytest.raises(ValueError, match="ClientToken"):
        tasks.start_task({key: value for key, value in REQUEST.items() if key != "ClientToken"})


@pytest.mark.parametrize(
    ("code", "status", "request_extra", "expected"),
    [
        ("InvalidParameterException", 400, {}, ConnectRejected),
        ("InvalidRequestException", 400, {}, ConnectRejected),
        ("ResourceNotFoundException", 404, {}, ConnectRejected),
        ("ThrottlingException", 429, {}, ConnectThrottled),
        ("InternalServiceException", 500, {}, ConnectUnavailable),
        ("ServiceUnavailable", 503, {}, ConnectUnavailable),
        ("ServiceQuotaExceededException", 402, {}, ConnectUnavailable),  # active-task quota clears
        (
            "ServiceQuotaExceededException",
            402,
            {"PreviousContactId": "prev-1"},
            ConnectRejected,
        ),  # chain of 12
    ],
)
def test_connect_errors_are_sorted_into_permanent_and_transient(
    stubbed: tuple[ConnectTasks, Stubber],
    code: str,
    status: int,
    request_extra: dict[str, str],
    expected: type[TaskCreatorError],
):
    tasks, stubber = stubbed
    stubber.add_client_error("start_task_contact", service_error_code=code, http_status_code=status)

    with stubber, pytest.raises(expected) as raised:
        tasks.start_task({**REQUEST, **request_extra})
    assert raised.value.error_type == code or expected is ConnectThrottled


def test_invalid_parameters_caught_by_botocore_are_permanent_and_do_not_echo_values(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_CONNECT", "http://127.0.0.1:9"
    )  # never reached: botocore refuses first
    with pytest.raises(ConnectRejected) as raised:
        ConnectTasks(make_connect_client(AWS_CLIENT_CONFIG)).start_task(
            {**REQUEST, "Attributes": {"secret": 12345678}}
        )
    assert raised.value.error_type == "ParamValidationError"
    assert "12345678" not in raised.value.message


def test_unreachable_connect_is_transient(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_CONNECT", "http://127.0.0.1:9"
    )  # nothing listens on the discard port
    client = make_connect_client(AWS_CLIENT_CONFIG)
    with pytest.raises(ConnectUnavailable):
        ConnectTasks(client).start_task(REQUEST)


def test_production_client_honours_the_standard_endpoint_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", "http://127.0.0.1:4599")
    assert make_connect_client(AWS_CLIENT_CONFIG).meta.endpoint_url == "http://127.0.0.1:4599"


# --- a Connect peer that echoes values: its messages never reach our errors with the values in them ---

SECRET_NAME = "Order 42 for Alice Smith"
SECRET_DESCRIPTION = "Call Alice on +1 555 0100 about the refund"
SECRET_ATTRIBUTE = "hunter2-alice"
SECRETS = (SECRET_NAME, SECRET_DESCRIPTION, SECRET_ATTRIBUTE, "Alice", "555 0100", "hunter2")
ECHOING_MESSAGES = [
    (
        "InvalidParameterException",
        400,
        f"Value '{SECRET_NAME}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 512",
        "at 'name'",
    ),
    (
        "InvalidParameterException",
        400,
        f"1 validation error detected: Value '{{secret={SECRET_ATTRIBUTE}, note=Alice's cat}}' "
        "at 'attributes' failed to satisfy constraint: Member must satisfy map key/value constraints",
        "at 'attributes'",
    ),
    (
        "InvalidRequestException",
        400,
        f'2 validation errors detected: Value "{SECRET_DESCRIPTION}" at "description" failed to satisfy '
        f"constraint: too long; Value '{SECRET_NAME}' at 'name' failed to satisfy constraint: too long",
        'at "description"',
    ),
    ("InvalidRequestException", 400, f"The description `{SECRET_DESCRIPTION}` is not allowed", "description"),
    ("ThrottlingException", 429, f"Rate exceeded for task '{SECRET_NAME}", "Rate exceeded"),
    ("InternalServiceException", 500, f'Failed to start "{SECRET_NAME}": try again', "Failed to start"),
    (
        "ServiceQuotaExceededException",
        402,
        f"Value [{SECRET_NAME}, {SECRET_ATTRIBUTE}] at 'references' failed to satisfy constraint: quota",
        "at 'references'",
    ),
]


@pytest.mark.parametrize(("code", "status", "message", "kept"), ECHOING_MESSAGES)
def test_values_echoed_by_connect_never_reach_the_error_message(
    stubbed: tuple[ConnectTasks, Stubber], code: str, status: int, message: str, kept: str
):
    tasks, stubber = stubbed
    stubber.add_client_error(
        "start_task_contact", service_error_code=code, service_message=message, http_status_code=status
    )
    request = {
        **REQUEST,
        "Name": SECRET_NAME,
        "Description": SECRET_DESCRIPTION,
        "Attributes": {"secret": SECRET_ATTRIBUTE},
    }

    with stubber, pytest.raises(TaskCreatorError) as raised:
        tasks.start_task(request)

    error_message = raised.value.message
    assert not [secret for secret in SECRETS if secret in error_message], error_message
    assert error_message.startswith(f"{code}: ")  # the code is kept
    assert kept in error_message  # and so is the field, or the service's own words
    assert len(error_message) <= len(code) + 2 + MAX_ERROR_MESSAGE_CHARS


def test_a_long_echo_is_clipped_after_it_is_cleaned(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    long_message = "Rejected: " + "; ".join(f"Value '{SECRET_NAME}' at 'name' is wrong" for _ in range(500))
    stubber.add_client_error(
        "start_task_contact", service_error_code="InvalidParameterException", service_message=long_message
    )

    with stubber, pytest.raises(ConnectRejected) as raised:
        tasks.start_task(REQUEST)

    assert "Alice" not in raised.value.message
    assert len(raised.value.message) <= len("InvalidParameterException: ") + MAX_ERROR_MESSAGE_CHARS


@pytest.mark.parametrize(
    ("extra", "kept"),
    [
        ({"References": {"ref": SECRET_NAME}}, "References.ref"),  # a str where a Reference belongs
        ({"Attributes": {"note": [SECRET_NAME, "Alice's cat"]}}, "Attributes.note"),  # repr quotes it
        (
            {"References": {"ref": {"Type": "URL", "Value": "https://example.com", SECRET_NAME: "x"}}},
            "Unknown parameter in References.ref",  # botocore quotes the unknown key
        ),
        ({"Description": ["line one", f"{SECRET_DESCRIPTION}\nsecond line"]}, "Description"),
        ({"References": {"ref": f"{SECRET_NAME}\n{SECRET_DESCRIPTION}"}}, "References.ref"),  # two lines
    ],
)
def test_values_quoted_by_botocores_validation_never_reach_the_error_message(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, object], kept: str
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", "http://127.0.0.1:9")  # never reached
    with pytest.raises(ConnectRejected) as raised:
        ConnectTasks(make_connect_client(AWS_CLIENT_CONFIG)).start_task({**REQUEST, **extra})

    assert raised.value.error_type == "ParamValidationError"
    assert not [secret for secret in SECRETS if secret in raised.value.message], raised.value.message
    assert kept in raised.value.message
    assert "\n" not in raised.value.message


@pytest.mark.parametrize(
    ("message", "cleaned"),
    [
        (
            "Value 'O'Brien's order' at 'name' failed to satisfy constraint: Member must not be blank",
            "Value *** at 'name' failed to satisfy constraint: Member must not be blank",
        ),
        (
            "Value null at 'contactFlowId' failed to satisfy constraint: Member must not be null",
            "Value null at 'contactFlowId' failed to satisfy constraint: Member must not be null",
        ),
        ("Invalid description 'meet at 'noon'' now", "Invalid description *** now"),  # not a field path
        (
            "Value 'x' at 'Alice Smith' failed to satisfy constraint: c",
            "Value *** failed to satisfy constraint: c",
        ),
        ("Task can't be created: flow is not published", "Task can't be created: flow is not published"),
        ("Invalid value 'Alice, cut off by the servi", "Invalid value ***"),  # a lone quote: to the end
        (
            'Parameter validation failed:\nMissing required parameter in input: "Name"',
            'Parameter validation failed: Missing required parameter in input: "Name"',
        ),
    ],
)
def test_service_messages_lose_quoted_values_and_keep_field_paths(message: str, cleaned: str):
    assert redact_service_message(message) == cleaned


def test_the_field_paths_kept_are_start_task_contacts_members():
    model = boto3.client("connect", region_name="us-east-1").meta.service_model
    shape = model.operation_model("StartTaskContact").input_shape
    assert shape is not None
    assert set(START_TASK_CONTACT_MEMBERS) == set(shape.members)


def test_an_idempotency_conflict_is_permanent(stubbed: tuple[ConnectTasks, Stubber]):
    tasks, stubber = stubbed
    stubber.add_client_error(
        "start_task_contact",
        service_error_code="IdempotencyException",
        service_message=f"Token was used with a different request: '{SECRET_NAME}'",
        http_status_code=409,
    )

    with stubber, pytest.raises(ConnectRejected) as raised:
        tasks.start_task(REQUEST)

    assert raised.value.error_type == "IdempotencyException"
    assert "Alice" not in raised.value.message
