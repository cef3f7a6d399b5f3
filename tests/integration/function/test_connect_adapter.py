"""The Connect adapter: the exact request on the wire, and how each Connect error is classified."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from task_creator.adapters.connect import ConnectTasks, make_connect_client
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
